/**
 * Object bytes on disk: one file per object version under `<storageDir>/objects/`, named by a hash
 * of (bucket, name, version) so no key can reach outside the directory. Writes stream into a temp
 * file (never held in memory) and are renamed into place when complete. ETags follow S3, which
 * hosted Storage stores: `"md5"` for a single-part write, `"md5(part md5s)-N"` for a multipart one
 * (where the parts fall: STANDARD_PART_SIZE here, tus-parts.ts for resumable uploads).
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ERRORS } from './errors.js';

/**
 * Hosted Storage writes standard uploads to S3 through lib-storage's Upload without a part size:
 * its default, 5 MiB parts, and one PUT (a plain md5 ETag) for at most that.
 */
export const STANDARD_PART_SIZE = 5 * 1024 * 1024;

export interface Written {
  size: number;
  eTag: string;
}

/**
 * Computes S3's ETag of a byte stream written in parts: every `partSizes` bytes, or parts of the
 * listed sizes (what is left after them is one last part).
 */
export class ETagHasher {
  private whole = createHash('md5');
  private part: Hash = createHash('md5');
  private partBytes = 0;
  private parts: Buffer[] = [];
  size = 0;

  constructor(
    private readonly partSizes: number | readonly number[],
    /** TUS writes are always an S3 multipart upload, even with one part. */
    private readonly alwaysMultipart = false,
  ) {}

  private partSize(): number {
    const sizes = this.partSizes;
    return typeof sizes === 'number' ? sizes : (sizes[this.parts.length] ?? Infinity);
  }

  update(chunk: Buffer): void {
    this.size += chunk.length;
    this.whole.update(chunk);
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.partSize() - this.partBytes, chunk.length - offset);
      this.part.update(chunk.subarray(offset, offset + take));
      this.partBytes += take;
      offset += take;
      if (this.partBytes === this.partSize()) {
        this.parts.push(this.part.digest());
        this.part = createHash('md5');
        this.partBytes = 0;
      }
    }
  }

  digest(): string {
    if (this.partBytes > 0 || this.parts.length === 0) this.parts.push(this.part.digest());
    if (this.parts.length === 1 && !this.alwaysMultipart) return `"${this.whole.digest('hex')}"`;
    const combined = createHash('md5').update(Buffer.concat(this.parts)).digest('hex');
    return `"${combined}-${this.parts.length}"`;
  }
}

export class FileStore {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(path.join(this.root, 'objects'), { recursive: true });
    await mkdir(path.join(this.root, 'tmp'), { recursive: true });
    await mkdir(path.join(this.root, 'tus'), { recursive: true });
  }

  pathOf(bucket: string, name: string, version: string): string {
    const digest = createHash('sha256').update(`${bucket}\0${name}\0${version}`).digest('hex');
    return path.join(this.root, 'objects', digest.slice(0, 2), digest);
  }

  tempPath(): string {
    return path.join(this.root, 'tmp', randomUUID());
  }

  /**
   * Streams `body` into the object's file, refusing more than `maxBytes` (EntityTooLarge; the
   * request is not read further). Nothing is left on disk when it fails.
   */
  async write(
    body: Readable,
    target: { bucket: string; name: string; version: string },
    maxBytes: number,
  ): Promise<Written> {
    const temp = this.tempPath();
    const hasher = new ETagHasher(STANDARD_PART_SIZE);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (hasher.size + chunk.length > maxBytes) {
          done(ERRORS.entityTooLarge());
          return;
        }
        hasher.update(chunk);
        done(null, chunk);
      },
    });
    try {
      // The request is piped, not part of the pipeline: a failure must not destroy it (and with
      // it the client's keep-alive connection); the caller drains what is left of it.
      const source = body.pipe(meter);
      body.once('error', (error) => meter.destroy(error));
      await pipeline(source, createWriteStream(temp)).finally(() => body.unpipe(meter));
      const final = this.pathOf(target.bucket, target.name, target.version);
      await mkdir(path.dirname(final), { recursive: true });
      await rename(temp, final);
      return { size: hasher.size, eTag: hasher.digest() };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async copy(from: string, target: { bucket: string; name: string; version: string }): Promise<void> {
    const final = this.pathOf(target.bucket, target.name, target.version);
    await mkdir(path.dirname(final), { recursive: true });
    await copyFile(from, final);
  }

  async adopt(file: string, target: { bucket: string; name: string; version: string }): Promise<void> {
    const final = this.pathOf(target.bucket, target.name, target.version);
    await mkdir(path.dirname(final), { recursive: true });
    await rename(file, final);
  }

  async size(file: string): Promise<number | undefined> {
    return stat(file).then(
      (s) => s.size,
      () => undefined,
    );
  }

  read(file: string, range?: { start: number; end: number }): Readable {
    return createReadStream(file, range);
  }

  async remove(bucket: string, name: string, version: string | null): Promise<void> {
    if (version === null) return;
    await rm(this.pathOf(bucket, name, version), { force: true });
  }

  /** The S3 ETag of a file already on disk, read in parts as ETagHasher takes them. */
  async eTagOf(
    file: string,
    partSizes: number | readonly number[],
    alwaysMultipart: boolean,
  ): Promise<Written> {
    const hasher = new ETagHasher(partSizes, alwaysMultipart);
    for await (const chunk of createReadStream(file)) hasher.update(chunk as Buffer);
    return { size: hasher.size, eTag: hasher.digest() };
  }
}
