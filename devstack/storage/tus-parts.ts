/**
 * Where the S3 parts of a resumable upload fall, hence its ETag, as hosted Storage's TUS store
 * (@tus/s3-store, 50 MiB preferred parts) cuts them: each request's bytes, after the unfinished
 * tail the previous one left, are split every part size (the upload's size up to 50 MiB, never
 * under S3's 5 MiB minimum); a piece left at the end of a request becomes a part of its own when it
 * has at least 5 MiB or ends the upload, else it waits for the next request. So a client's chunks
 * (tus-js-client: 6 MB) are the parts: the same bytes sent in other chunks have another ETag.
 */

/** Hosted's TUS_PART_SIZE default: the preferred part size. */
export const TUS_PART_SIZE = 50 * 1024 * 1024;
/** S3's smallest part but the last. */
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/** @tus/s3-store's calcOptimalPartSize for an upload of `size` bytes (or its largest possible). */
function partSizeFor(size: number): number {
  const preferred =
    size <= TUS_PART_SIZE
      ? size
      : size <= TUS_PART_SIZE * MAX_PARTS
        ? TUS_PART_SIZE
        : Math.ceil(size / MAX_PARTS);
  return Math.max(preferred, MIN_PART_SIZE);
}

/**
 * The sizes of the upload's finished parts after a request brought it to `offset`. `parts`: those
 * before it; `size`: the declared length (undefined while deferred: `maxSize` then sets the part size).
 */
export function partsAfterRequest(
  parts: readonly number[],
  offset: number,
  size: number | undefined,
  maxSize: number,
): number[] {
  const partSize = partSizeFor(size ?? maxSize);
  const next = [...parts];
  let done = parts.reduce((sum, part) => sum + part, 0);
  while (offset - done >= partSize) {
    next.push(partSize);
    done += partSize;
  }
  const rest = offset - done;
  if (rest > 0 && (rest >= MIN_PART_SIZE || offset === size)) next.push(rest);
  return next;
}
