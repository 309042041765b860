/**
 * The state of resumable (TUS) uploads: the upload URL's id
 * (base64url of "bucket/key/version", as hosted Storage names uploads), and each upload's bytes and
 * info on disk under `<storageDir>/tus/`. The bytes file's length is the upload's offset.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ERRORS } from './errors.js';
import { TusError, type TusMetadata } from './tus-protocol.js';
import { mustBeValidBucketName, mustBeValidKey } from './limits.js';

export interface UploadId {
  bucket: string;
  name: string;
  version: string;
}

/** Hosted's UploadId: bucket and key validated as for any upload. */
export function makeUploadId(
  bucket: string | null | undefined,
  name: string | null | undefined,
  version: string,
): UploadId {
  mustBeValidBucketName(bucket ?? '');
  mustBeValidKey(name ?? '');
  return { bucket: bucket!, name: name!, version };
}

export function encodeUploadId(id: UploadId): string {
  return Buffer.from(`${id.bucket}/${id.name}/${id.version}`, 'utf8').toString('base64url');
}

export function decodeUploadId(encoded: string): UploadId {
  const parts = Buffer.from(encoded, 'base64url').toString('utf8').split('/');
  if (parts.length < 2) throw ERRORS.invalidRequest('Invalid upload id');
  const version = parts.pop();
  if (!version) throw new TusError(400, 'Version not provided');
  const [bucket, ...rest] = parts;
  return makeUploadId(bucket, rest.join('/'), version);
}

export interface UploadInfo {
  id: UploadId;
  /** Undefined while the length is deferred (Upload-Defer-Length). */
  size?: number;
  metadata: TusMetadata;
  creationDate: string;
  completed?: boolean;
  /** The sizes of the S3 parts finished so far (tus-parts.ts). */
  parts?: number[];
}

export class TusState {
  constructor(private readonly dir: string) {}

  private base(id: UploadId): string {
    const digest = createHash('sha256').update(`${id.bucket}\0${id.name}\0${id.version}`).digest('hex');
    return path.join(this.dir, digest);
  }

  dataPath(id: UploadId): string {
    return `${this.base(id)}.bin`;
  }

  async create(info: UploadInfo): Promise<void> {
    await writeFile(this.dataPath(info.id), '');
    await this.save(info);
  }

  save(info: UploadInfo): Promise<void> {
    return writeFile(`${this.base(info.id)}.json`, JSON.stringify(info));
  }

  async get(id: UploadId): Promise<{ info: UploadInfo; offset: number }> {
    let info: UploadInfo;
    try {
      info = JSON.parse(await readFile(`${this.base(id)}.json`, 'utf8')) as UploadInfo;
    } catch {
      throw new TusError(404, 'The file for this url was not found\n');
    }
    const offset = await stat(this.dataPath(id)).then(
      (s) => s.size,
      () => 0,
    );
    return { info, offset };
  }

  async remove(id: UploadId): Promise<void> {
    await rm(this.dataPath(id), { force: true });
    await rm(`${this.base(id)}.json`, { force: true });
  }
}
