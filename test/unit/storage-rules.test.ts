/**
 * The local Storage stand-in's rules that need no server: size strings, MIME matching, names,
 * Range headers, S3 ETags, where a resumable upload's parts fall, the TUS Upload-Metadata format
 * and upload ids.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { ETagHasher } from '../../devstack/storage/files.js';
import { StorageError } from '../../devstack/storage/errors.js';
import {
  mustBeValidBucketName,
  mustBeValidKey,
  parseFileSize,
  validateAllowedMimeTypes,
  validateUploadMimeType,
} from '../../devstack/storage/limits.js';
import { parseRange } from '../../devstack/storage/serve.js';
import { parseMetadata, stringifyMetadata, TusError } from '../../devstack/storage/tus-protocol.js';
import { decodeUploadId, encodeUploadId } from '../../devstack/storage/tus-state.js';
import { partsAfterRequest } from '../../devstack/storage/tus-parts.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest();

void describe('storage rules', () => {
  test('file size strings use decimal units and three significant digits', () => {
    assert.equal(parseFileSize('5MB'), 5_000_000);
    assert.equal(parseFileSize('1.5gb'), 1_500_000_000);
    assert.equal(parseFileSize('30KB'), 30_000);
    assert.equal(parseFileSize('3B'), 3);
    assert.equal(parseFileSize('1.2345MB'), 1_230_000);
    assert.throws(() => parseFileSize('5 MB'), StorageError);
  });

  test('MIME types: a bucket list accepts type/subtype and wildcards; uploads match them exactly', () => {
    validateAllowedMimeTypes(['image/*', 'text/plain; charset=utf-8', 'application/vnd.api+json']);
    assert.throws(() => validateAllowedMimeTypes(['image']), /mime type image is not supported/);
    validateUploadMimeType('image/png', ['image/*']);
    validateUploadMimeType('text/csv', ['text/csv']);
    assert.throws(() => validateUploadMimeType('text/plain;charset=UTF-8', ['text/plain']), StorageError);
    assert.throws(() => validateUploadMimeType('plain', ['*']), StorageError);
  });

  test('names: S3-safe characters only', () => {
    mustBeValidKey("a/b c/(1)!*'&$=@;:+,?.txt");
    assert.throws(() => mustBeValidKey('ünï.txt'), /Invalid key: ünï.txt/);
    assert.throws(() => mustBeValidKey(''), StorageError);
    mustBeValidBucketName('my-bucket_1');
    assert.throws(() => mustBeValidBucketName('a/b'), /Bucket name invalid/);
    assert.throws(() => mustBeValidBucketName('x'.repeat(101)), StorageError);
  });

  test('Range: single ranges as S3 reads them', () => {
    assert.deepEqual(parseRange('bytes=2-5', 10), { start: 2, end: 5 });
    assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
    assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-2', 10), undefined);
    assert.equal(parseRange('bytes=0-1,4-5', 10), undefined);
    assert.equal(parseRange(undefined, 10), undefined);
  });

  test('ETags: md5 for one part, md5 of the part md5s with the part count for several', () => {
    const data = Buffer.from('abcdefghij');
    const single = new ETagHasher(4);
    single.update(data.subarray(0, 3));
    assert.equal(new ETagHasher(100).digest(), `"${md5(Buffer.alloc(0)).toString('hex')}"`);
    single.update(data.subarray(3));
    const parts = [data.subarray(0, 4), data.subarray(4, 8), data.subarray(8)].map(md5);
    assert.equal(single.digest(), `"${md5(Buffer.concat(parts)).toString('hex')}-3"`);
    const tus = new ETagHasher(100, true);
    tus.update(data);
    assert.equal(tus.digest(), `"${md5(md5(data)).toString('hex')}-1"`);
    const listed = new ETagHasher([2, 5], true);
    listed.update(data);
    const listedParts = [data.subarray(0, 2), data.subarray(2, 7), data.subarray(7)].map(md5);
    assert.equal(listed.digest(), `"${md5(Buffer.concat(listedParts)).toString('hex')}-3"`);
  });

  test("TUS parts as hosted's S3 store cuts them: each request's chunk, small tails carried", () => {
    const MiB = 1024 * 1024;
    const size = 20 * MiB;
    // 6 MiB requests: one part each, the last one short.
    let parts: number[] = [];
    for (const offset of [6, 12, 18, 20]) parts = partsAfterRequest(parts, offset * MiB, size, size);
    assert.deepEqual(
      parts,
      [6, 6, 6, 2].map((n) => n * MiB),
    );
    // 2 MiB requests: under S3's 5 MiB minimum, carried until a request takes the tail past it.
    assert.deepEqual(partsAfterRequest([], 2 * MiB, size, size), []);
    assert.deepEqual(partsAfterRequest([], 6 * MiB, size, size), [6 * MiB]);
    // One request with the whole upload: parts of the upload's size up to 50 MiB.
    assert.deepEqual(partsAfterRequest([], size, size, size), [size]);
    assert.deepEqual(
      partsAfterRequest([], 120 * MiB, 120 * MiB, 120 * MiB),
      [50, 50, 20].map((n) => n * MiB),
    );
    // A deferred length: the largest upload sets the part size; no tail is final.
    assert.deepEqual(partsAfterRequest([], 3 * MiB, undefined, 100 * MiB), []);
  });

  test('TUS Upload-Metadata and upload ids', () => {
    const header = `bucketName ${Buffer.from('b').toString('base64')},objectName ${Buffer.from('a/ß.txt').toString('base64')},flag`;
    assert.deepEqual(parseMetadata(header), { bucketName: 'b', objectName: 'a/ß.txt', flag: null });
    assert.equal(stringifyMetadata(parseMetadata(header)), header);
    assert.throws(() => parseMetadata('a 1,a 2'), TusError);
    assert.throws(() => parseMetadata('a b c'), TusError);
    const id = { bucket: 'b', name: 'dir/file.bin', version: '00000000-0000-4000-8000-000000000000' };
    assert.deepEqual(decodeUploadId(encodeUploadId(id)), id);
  });
});
