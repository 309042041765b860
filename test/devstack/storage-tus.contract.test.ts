/**
 * Resumable uploads (TUS 1.0.0) at /storage/v1/upload/resumable, as a client following Supabase's
 * guide sends them (tus-js-client, 6 MB chunks, `x-upsert`, Upload-Metadata with bucketName,
 * objectName, contentType, cacheControl, metadata), and spoken directly for the protocol's edges:
 * resume from HEAD's offset, offset conflicts, termination, and the errors hosted Storage answers.
 * A ~50 MB file goes up and comes back byte for byte while the API process's memory stays bounded.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import * as tus from 'tus-js-client';
import { apiRss, client, db, objectRows, serviceRoleKey, storageUrl, unique } from '../support/storage.js';
import { testTmpDir } from '../support/stack-env.js';

const sb = client();
const endpoint = `${storageUrl}/upload/resumable`;
const auth = { authorization: `Bearer ${serviceRoleKey}` };
const MB = 1024 * 1024;
const CHUNK = 6 * MB;
let dir: string | undefined;
after(async () => {
  await db.end();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const b64 = (value: string) => Buffer.from(value).toString('base64');
const metadataHeader = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');

async function bucket(options: { allowedMimeTypes?: string[] } = {}) {
  const id = unique('t');
  assert.equal((await sb.storage.createBucket(id, { public: false, ...options })).error, null);
  return id;
}

/** S3's ETag of a multipart upload whose parts have these md5s (hosted: one part per 6 MB chunk). */
function multipartETag(parts: Buffer[]): string {
  return `"${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}"`;
}

function create(headers: Record<string, string>) {
  return fetch(endpoint, { method: 'POST', headers: { ...auth, 'tus-resumable': '1.0.0', ...headers } });
}

function patch(location: string, offset: number, body: Buffer, extra: Record<string, string> = {}) {
  return fetch(location, {
    method: 'PATCH',
    headers: {
      ...auth,
      'tus-resumable': '1.0.0',
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
      ...extra,
    },
    body,
  });
}

/** Samples the API process's resident memory until stopped; returns the peak. */
function watchMemory() {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await apiRss());
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return peak;
  };
}

void describe('resumable uploads', () => {
  test('a ~50 MB file through tus-js-client in 6 MB chunks, downloaded back byte for byte, memory bounded', async (t) => {
    const id = await bucket();
    dir = await mkdtemp(path.join(testTmpDir(), 'storage-tus-'));
    const file = path.join(dir, 'big.bin');
    const size = 50_000_000;
    const whole = createHash('md5');
    const partHashes: Buffer[] = [];
    let partHash = createHash('md5');
    const out = createWriteStream(file);
    for (let written = 0; written < size;) {
      const block = randomBytes(Math.min(MB, size - written));
      whole.update(block);
      partHash.update(block);
      written += block.length;
      if (written % CHUNK === 0 || written === size) {
        partHashes.push(partHash.digest());
        partHash = createHash('md5');
      }
      if (!out.write(block)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const expectedMd5 = whole.digest('hex');

    const baseline = await apiRss();
    const stopUpload = watchMemory();
    let location = '';
    await new Promise<void>((resolve, reject) => {
      const upload = new tus.Upload(createReadStream(file), {
        endpoint,
        headers: { ...auth, 'x-upsert': 'true' },
        chunkSize: CHUNK,
        uploadDataDuringCreation: true,
        removeFingerprintOnSuccess: true,
        metadata: {
          bucketName: id,
          objectName: 'big/file.bin',
          contentType: 'application/octet-stream',
          cacheControl: '3600',
          metadata: JSON.stringify({ source: 'tus' }),
        },
        onError: reject,
        onSuccess: () => {
          location = upload.url ?? '';
          resolve();
        },
      });
      upload.start();
    });
    const uploadPeak = await stopUpload();
    assert.match(location, /\/storage\/v1\/upload\/resumable\/[A-Za-z0-9_-]+$/);

    const [row] = await objectRows(id);
    assert.equal(row?.name, 'big/file.bin');
    assert.deepEqual(row?.user_metadata, { source: 'tus' });
    assert.equal(row?.metadata?.size, size);
    assert.equal(row?.metadata?.cacheControl, 'max-age=3600');
    assert.equal(row?.metadata?.mimetype, 'application/octet-stream');
    assert.equal(row?.metadata?.eTag, multipartETag(partHashes));

    const stopDownload = watchMemory();
    const { data: stream, error } = await sb.storage.from(id).download('big/file.bin').asStream();
    assert.equal(error, null);
    const back = createHash('md5');
    let received = 0;
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      back.update(chunk);
      received += chunk.length;
    }
    const downloadPeak = await stopDownload();
    assert.equal(received, size);
    assert.equal(back.digest('hex'), expectedMd5);
    // Holding the file would grow the process by at least its size; streaming grows it only by
    // what the garbage collector has not yet reclaimed (tens of MB at most, whatever the size).
    const bound = size;
    t.diagnostic(
      `API process: ${(baseline / MB).toFixed(0)} MB before, +${((uploadPeak - baseline) / MB).toFixed(1)} MB peak while uploading, +${((downloadPeak - baseline) / MB).toFixed(1)} MB while downloading`,
    );
    assert.ok(
      uploadPeak - baseline < bound,
      `upload grew the API process by ${((uploadPeak - baseline) / MB).toFixed(1)} MB`,
    );
    assert.ok(
      downloadPeak - baseline < bound,
      `download grew the API process by ${((downloadPeak - baseline) / MB).toFixed(1)} MB`,
    );
  });

  test('create, HEAD for the offset, resume, conflict, finish; the row and ETag as hosted', async () => {
    const id = await bucket();
    const data = randomBytes(CHUNK + 1000);
    const created = await create({
      'upload-length': String(data.length),
      'upload-metadata': metadataHeader({
        bucketName: id,
        objectName: 'resume/r.bin',
        contentType: 'image/png',
      }),
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('tus-resumable'), '1.0.0');
    assert.match(created.headers.get('upload-expires') ?? '', /GMT$/);
    const location = created.headers.get('location')!;
    const first = await patch(location, 0, data.subarray(0, CHUNK));
    assert.equal(first.status, 204);
    assert.equal(first.headers.get('upload-offset'), String(CHUNK));
    const head = await fetch(location, { method: 'HEAD', headers: { ...auth, 'tus-resumable': '1.0.0' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('upload-offset'), String(CHUNK));
    assert.equal(head.headers.get('upload-length'), String(data.length));
    assert.equal(head.headers.get('cache-control'), 'no-store');
    const conflict = await patch(location, 0, data.subarray(0, 10));
    assert.equal(conflict.status, 409);
    assert.equal(await conflict.text(), 'Upload-Offset conflict\n');
    const last = await patch(location, CHUNK, data.subarray(CHUNK));
    assert.equal(last.status, 204);
    assert.equal(last.headers.get('tus-complete'), '1');
    const [row] = await objectRows(id);
    const md5 = (b: Buffer) => createHash('md5').update(b).digest();
    assert.equal(
      row?.metadata?.eTag,
      multipartETag([md5(data.subarray(0, CHUNK)), md5(data.subarray(CHUNK))]),
    );
    assert.equal(row?.metadata?.cacheControl, 'no-cache');
    assert.equal(row?.metadata?.mimetype, 'image/png');
    assert.equal(row?.user_metadata, null);
    const downloaded = Buffer.from(
      await (await sb.storage.from(id).download('resume/r.bin')).data!.arrayBuffer(),
    );
    assert.ok(downloaded.equals(data));
  });

  test('a signed resumable upload: /upload/resumable/sign with the signed upload token in x-signature', async () => {
    const id = await bucket();
    const { data: signed } = await sb.storage.from(id).createSignedUploadUrl('signed/s.bin');
    const data = randomBytes(1000);
    const headers = { 'tus-resumable': '1.0.0', 'x-signature': signed!.token };
    const created = await fetch(`${endpoint}/sign`, {
      method: 'POST',
      headers: {
        ...headers,
        'upload-length': String(data.length),
        'upload-metadata': metadataHeader({ bucketName: id, objectName: 'signed/s.bin' }),
      },
    });
    assert.equal(created.status, 201);
    const location = created.headers.get('location')!;
    assert.match(location, /\/upload\/resumable\/sign\//);
    const missing = await fetch(location, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: data,
    });
    assert.equal(missing.status, 400);
    assert.equal(await missing.text(), 'Missing x-signature header');
    const done = await fetch(location, {
      method: 'PATCH',
      headers: { ...headers, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: data,
    });
    assert.equal(done.status, 204);
    assert.equal(done.headers.get('tus-complete'), '1');
    const downloaded = Buffer.from(
      await (await sb.storage.from(id).download('signed/s.bin')).data!.arrayBuffer(),
    );
    assert.ok(downloaded.equals(data));
    const other = await fetch(`${endpoint}/sign`, {
      method: 'POST',
      headers: {
        ...headers,
        'upload-length': '1',
        'upload-metadata': metadataHeader({ bucketName: id, objectName: 'elsewhere.bin' }),
      },
    });
    assert.equal(other.status, 400);
    assert.equal(await other.text(), 'Invalid signature');
  });

  test('termination, OPTIONS and the errors hosted answers (status and plain-text body)', async () => {
    const id = await bucket({ allowedMimeTypes: ['image/*'] });
    await sb.storage.from(id).upload('taken.png', Buffer.from('x'), { contentType: 'image/png' });
    const meta = (objectName: string, extra: Record<string, string> = {}) =>
      metadataHeader({ bucketName: id, objectName, contentType: 'image/png', ...extra });

    const options = await fetch(endpoint, { method: 'OPTIONS' });
    assert.equal(options.status, 204);
    assert.equal(options.headers.get('tus-version'), '1.0.0');
    assert.match(options.headers.get('tus-extension') ?? '', /creation,creation-with-upload/);

    const cases: Array<[string, Response, number, string]> = [
      [
        'no Tus-Resumable',
        await fetch(endpoint, {
          method: 'POST',
          headers: { ...auth, 'upload-length': '1', 'upload-metadata': meta('a.png') },
        }),
        412,
        'Tus-Resumable Required\n',
      ],
      [
        'no length',
        await create({ 'upload-metadata': meta('a.png') }),
        400,
        'Upload-Length or Upload-Defer-Length header required\n',
      ],
      ['no metadata', await create({ 'upload-length': '1' }), 400, 'Metadata header is required'],
      [
        'missing bucket',
        await create({
          'upload-length': '1',
          'upload-metadata': metadataHeader({ bucketName: unique('nope'), objectName: 'a.png' }),
        }),
        404,
        'Bucket not found',
      ],
      [
        'over the global limit',
        await create({ 'upload-length': String(60 * MB), 'upload-metadata': meta('a.png') }),
        413,
        'Maximum size exceeded\n',
      ],
      [
        'duplicate without x-upsert',
        await create({ 'upload-length': '1', 'upload-metadata': meta('taken.png') }),
        409,
        'The resource already exists',
      ],
      [
        'MIME type not allowed',
        await create({
          'upload-length': '1',
          'upload-metadata': meta('a.txt', { contentType: 'text/plain' }),
        }),
        415,
        'mime type text/plain is not supported',
      ],
      [
        'invalid key',
        await create({ 'upload-length': '1', 'upload-metadata': meta('ü.png') }),
        400,
        'Invalid key: ü.png',
      ],
    ];
    for (const [name, res, status, body] of cases) {
      assert.equal(res.status, status, name);
      assert.equal(await res.text(), body, name);
    }
    const upsert = await create({
      'upload-length': '1',
      'upload-metadata': meta('taken.png'),
      'x-upsert': 'true',
    });
    assert.equal(upsert.status, 201, 'x-upsert allows overwriting');

    const noAuth = await fetch(endpoint, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '1' },
    });
    assert.equal(noAuth.status, 400);
    assert.equal(
      ((await noAuth.json()) as { message: string }).message,
      "headers must have required property 'authorization'",
    );

    const created = await create({ 'upload-length': '10', 'upload-metadata': meta('gone.png') });
    const location = created.headers.get('location')!;
    const terminated = await fetch(location, {
      method: 'DELETE',
      headers: { ...auth, 'tus-resumable': '1.0.0' },
    });
    assert.equal(terminated.status, 204);
    const head = await fetch(location, { method: 'HEAD', headers: { ...auth, 'tus-resumable': '1.0.0' } });
    assert.equal(head.status, 404);
    const tooMuch = await create({ 'upload-length': '3', 'upload-metadata': meta('small.png') });
    const over = await patch(tooMuch.headers.get('location')!, 0, Buffer.from('four'));
    assert.equal(over.status, 413);
    assert.equal(await over.text(), "upload's size exceeded\n");
    assert.deepEqual(
      (await objectRows(id)).map((r) => r.name),
      ['taken.png'],
    );
  });
});
