/**
 * The local Storage stand-in (devstack/storage) through the unmodified supabase-js storage client:
 * buckets, uploads of every body kind, downloads, listing, move/copy/remove, signed URLs and the
 * rows in storage.buckets / storage.objects, with the errors a caller sees from hosted Storage
 * (HTTP 400 with the real status in `statusCode`). Resumable uploads: storage-tus.contract.test.ts.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { signJwt } from '../../devstack/keys.js';
import { waitFor } from '../support/wait.js';
import { apiError, client, db, objectRows, serviceRoleKey, storageUrl, unique } from '../support/storage.js';

const sb = client();
after(() => db.end());

const md5 = (data: Buffer | string) => `"${createHash('md5').update(data).digest('hex')}"`;

async function bucket(
  options: { public?: boolean; fileSizeLimit?: string | number; allowedMimeTypes?: string[] } = {},
) {
  const id = unique('b');
  const { error } = await sb.storage.createBucket(id, { public: options.public ?? false, ...options });
  assert.equal(error, null);
  return id;
}

void describe('buckets', () => {
  test('create, get, list, update and their rows', async () => {
    const id = unique('b');
    const created = await sb.storage.createBucket(id, {
      public: true,
      fileSizeLimit: '5MB',
      allowedMimeTypes: ['image/*'],
    });
    assert.deepEqual(created, { data: { name: id }, error: null });
    const { data: got } = await sb.storage.getBucket(id);
    assert.equal(got?.id, id);
    assert.equal(got?.owner, '');
    assert.equal(got?.public, true);
    assert.equal(got?.file_size_limit, 5_000_000);
    assert.deepEqual(got?.allowed_mime_types, ['image/*']);
    assert.match(got?.created_at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal('type' in (got ?? {}), false, 'getBucket does not return type on hosted');
    const { data: listed } = await sb.storage.listBuckets({ search: id });
    assert.deepEqual(
      listed?.map((b) => [b.id, b.type]),
      [[id, 'STANDARD']],
    );
    const row = (await db.query('select * from storage.buckets where id = $1', [id])).rows[0] as Record<
      string,
      unknown
    >;
    assert.equal(row.name, id);
    assert.equal(row.owner, null);
    assert.equal(row.type, 'STANDARD');
    assert.equal(row.file_size_limit, '5000000');

    const updated = await sb.storage.updateBucket(id, {
      public: false,
      fileSizeLimit: null,
      allowedMimeTypes: null,
    });
    assert.deepEqual(updated, { data: { message: 'Successfully updated' }, error: null });
    const after = (
      await db.query<Record<string, unknown>>(
        'select public, file_size_limit, allowed_mime_types from storage.buckets where id = $1',
        [id],
      )
    ).rows[0];
    assert.deepEqual(after, { public: false, file_size_limit: null, allowed_mime_types: null });
  });

  test('listBuckets with limit, offset and sort', async () => {
    const prefix = unique('sort');
    for (const s of ['c', 'a', 'b']) await sb.storage.createBucket(`${prefix}-${s}`, { public: false });
    const { data } = await sb.storage.listBuckets({
      search: prefix,
      sortColumn: 'name',
      sortOrder: 'desc',
      limit: 2,
      offset: 1,
    });
    assert.deepEqual(
      data?.map((b) => b.name),
      [`${prefix}-b`, `${prefix}-a`],
    );
  });

  test('errors as hosted answers them', async () => {
    const id = await bucket();
    assert.deepEqual(apiError((await sb.storage.createBucket(id)).error), {
      status: 400,
      statusCode: '409',
      message: 'The resource already exists',
    });
    assert.deepEqual(apiError((await sb.storage.createBucket('a/b')).error), {
      status: 400,
      statusCode: '400',
      message: 'Bucket name invalid',
    });
    assert.deepEqual(
      apiError((await sb.storage.createBucket(unique('b'), { public: false, fileSizeLimit: '60MB' })).error),
      {
        status: 400,
        statusCode: '413',
        message: 'The object exceeded the maximum allowed size',
      },
    );
    assert.deepEqual(
      apiError(
        (await sb.storage.createBucket(unique('b'), { public: false, allowedMimeTypes: ['image'] })).error,
      ),
      {
        status: 400,
        statusCode: '415',
        message: 'mime type image is not supported',
      },
    );
    assert.deepEqual(apiError((await sb.storage.getBucket(unique('missing'))).error), {
      status: 400,
      statusCode: '404',
      message: 'Bucket not found',
    });
    assert.deepEqual(
      apiError((await sb.storage.updateBucket(unique('missing'), { public: true })).error).statusCode,
      '404',
    );
    assert.deepEqual(
      apiError((await sb.storage.deleteBucket(unique('missing'))).error).message,
      'Bucket not found',
    );
  });

  test('delete is refused while objects remain; emptyBucket queues their deletion', async () => {
    const id = await bucket();
    await sb.storage.from(id).upload('a.txt', 'a');
    await sb.storage.from(id).upload('d/b.txt', 'b');
    assert.deepEqual(apiError((await sb.storage.deleteBucket(id)).error), {
      status: 400,
      statusCode: '409',
      message: 'The bucket you tried to delete is not empty',
    });
    assert.deepEqual(await sb.storage.emptyBucket(id), {
      data: { message: 'Empty bucket has been queued. Completion may take up to an hour.' },
      error: null,
    });
    await waitFor(async () => (await objectRows(id)).length === 0, { message: 'bucket emptied' });
    assert.deepEqual(await sb.storage.deleteBucket(id), {
      data: { message: 'Successfully deleted' },
      error: null,
    });
    assert.equal((await db.query('select 1 from storage.buckets where id = $1', [id])).rowCount, 0);
  });
});

void describe('authorization', () => {
  test('a missing Authorization header is a schema error', async () => {
    const res = await fetch(`${storageUrl}/bucket`, { headers: { apikey: serviceRoleKey } });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      statusCode: '400',
      code: 'InvalidRequest',
      error: 'Error',
      message: "headers must have required property 'authorization'",
    });
  });

  test('a malformed, foreign or non-service key is refused with AccessDenied', async () => {
    const malformed = apiError((await client('not-a-jwt').storage.listBuckets()).error);
    assert.deepEqual(malformed, { status: 400, statusCode: '403', message: 'Invalid Compact JWS' });
    const foreign = signJwt(
      { role: 'service_role', exp: Math.floor(Date.now() / 1000) + 60 },
      'another-secret',
    );
    assert.equal(
      apiError((await client(foreign).storage.listBuckets()).error).message,
      'signature verification failed',
    );
  });
});

void describe('objects', () => {
  test('upload a Buffer with content type, cache control and user metadata; the row as hosted writes it', async () => {
    const id = await bucket();
    const body = Buffer.from('hello storage');
    const { data, error } = await sb.storage.from(id).upload('docs/hello.txt', body, {
      contentType: 'text/plain',
      cacheControl: '60',
      metadata: { owner: 'alice', n: 1 },
    });
    assert.equal(error, null);
    assert.deepEqual(
      { path: data?.path, fullPath: data?.fullPath },
      { path: 'docs/hello.txt', fullPath: `${id}/docs/hello.txt` },
    );
    const [row] = await objectRows(id);
    assert.equal(row?.id, data?.id);
    assert.deepEqual(row?.path_tokens, ['docs', 'hello.txt']);
    assert.deepEqual(row?.user_metadata, { owner: 'alice', n: 1 });
    const { lastModified, ...metadata } = row.metadata as Record<string, unknown>;
    assert.deepEqual(metadata, {
      eTag: md5(body),
      size: body.length,
      mimetype: 'text/plain',
      cacheControl: 'max-age=60',
      contentLength: body.length,
      httpStatusCode: 200,
    });
    assert.match(String(lastModified), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    assert.ok(row?.version);

    const { data: info } = await sb.storage.from(id).info('docs/hello.txt');
    assert.equal(info?.id, row?.id);
    assert.equal(info?.size, body.length);
    assert.equal(info?.contentType, 'text/plain');
    assert.equal(info?.cacheControl, 'max-age=60');
    assert.equal(info?.etag, md5(body));
    assert.deepEqual(info?.metadata, { owner: 'alice', n: 1 });
    assert.deepEqual(await sb.storage.from(id).exists('docs/hello.txt'), { data: true, error: null });
    const missing = await sb.storage.from(id).exists('docs/nope.txt');
    assert.equal(missing.data, false);
  });

  test('Blob (multipart), ArrayBuffer, stream and empty bodies; downloads byte for byte', async () => {
    const id = await bucket();
    const files = sb.storage.from(id);
    const blob = await files.upload('blob.csv', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), {
      metadata: { k: 'v' },
    });
    assert.equal(blob.error, null);
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    assert.equal(
      (await files.upload('bin/array.bin', bytes.buffer, { contentType: 'application/octet-stream' })).error,
      null,
    );
    const streamed = await files.upload(
      'stream.txt',
      Readable.from([Buffer.from('str'), Buffer.from('eam')]),
      {
        contentType: 'text/plain',
      },
    );
    assert.equal(streamed.error, null);
    assert.equal((await files.upload('empty.txt', Buffer.alloc(0))).error, null);

    const rows = Object.fromEntries((await objectRows(id)).map((r) => [r.name, r]));
    assert.equal(rows['blob.csv']?.metadata?.mimetype, 'text/csv');
    assert.equal(rows['blob.csv']?.metadata?.cacheControl, 'max-age=3600');
    assert.deepEqual(rows['blob.csv']?.user_metadata, { k: 'v' });
    assert.equal(rows['stream.txt']?.metadata?.size, 6);
    assert.equal(rows['empty.txt']?.metadata?.size, 0);
    assert.equal(rows['empty.txt']?.metadata?.eTag, md5(''));
    assert.equal(rows['empty.txt']?.metadata?.mimetype, 'text/plain;charset=UTF-8');

    assert.equal(await (await files.download('blob.csv')).data?.text(), 'a,b\n1,2\n');
    assert.deepEqual(
      new Uint8Array(await (await files.download('bin/array.bin')).data!.arrayBuffer()),
      bytes,
    );
    assert.equal(await (await files.download('stream.txt')).data?.text(), 'stream');
    assert.equal(await (await files.download('empty.txt')).data?.text(), '');
    const missing = await files.download('nope.txt');
    assert.deepEqual(apiError(missing.error), {
      status: 400,
      statusCode: '404',
      message: 'Object not found',
    });
  });

  test('ETags as S3 gives them to hosted Storage: md5 up to 5 MiB, a multipart ETag above', async () => {
    const id = await bucket();
    const part = 5 * 1024 * 1024;
    const big = Buffer.alloc(part + 1024, 7);
    assert.equal((await sb.storage.from(id).upload('big.bin', big)).error, null);
    const partMd5 = (b: Buffer) => createHash('md5').update(b).digest();
    const expected = createHash('md5')
      .update(Buffer.concat([partMd5(big.subarray(0, part)), partMd5(big.subarray(part))]))
      .digest('hex');
    const [row] = await objectRows(id);
    assert.equal(row?.metadata?.eTag, `"${expected}-2"`);
    const head = await fetch(`${storageUrl}/object/${id}/big.bin`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${serviceRoleKey}` },
    });
    assert.equal(head.headers.get('etag'), `"${expected}-2"`);
    assert.equal(head.headers.get('content-length'), String(big.length));
  });

  test('Range requests are answered 206, an unsatisfiable one refused', async () => {
    const id = await bucket();
    await sb.storage.from(id).upload('r.txt', '0123456789');
    const headers = { authorization: `Bearer ${serviceRoleKey}` };
    const part = await fetch(`${storageUrl}/object/${id}/r.txt`, {
      headers: { ...headers, range: 'bytes=2-5' },
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 2-5/10');
    assert.equal(await part.text(), '2345');
    const tail = await fetch(`${storageUrl}/object/${id}/r.txt`, {
      headers: { ...headers, range: 'bytes=-3' },
    });
    assert.equal(await tail.text(), '789');
    const beyond = await fetch(`${storageUrl}/object/${id}/r.txt`, {
      headers: { ...headers, range: 'bytes=20-' },
    });
    assert.equal(beyond.status, 400);
    assert.equal(((await beyond.json()) as { statusCode: string }).statusCode, '416');
  });

  test('duplicate without upsert is refused before any byte is stored; upsert updates the same row', async () => {
    const id = await bucket();
    const files = sb.storage.from(id);
    await files.upload('f.txt', 'one');
    const [first] = await objectRows(id);
    const duplicate = await files.upload('f.txt', 'two');
    assert.deepEqual(apiError(duplicate.error), {
      status: 400,
      statusCode: '409',
      message: 'The resource already exists',
    });
    assert.equal((await files.upload('f.txt', 'three', { upsert: true })).error, null);
    const [second] = await objectRows(id);
    assert.equal(second?.id, first?.id, 'an upsert keeps the row (INSERT … ON CONFLICT DO UPDATE)');
    assert.notEqual(second?.version, first?.version);
    assert.ok(second!.updated_at > first!.updated_at);
    assert.equal(await (await files.download('f.txt')).data?.text(), 'three');
    assert.equal((await files.update('f.txt', 'four')).error, null);
    assert.equal(await (await files.download('f.txt')).data?.text(), 'four');
    assert.equal(
      (await files.update('new.txt', 'created by update')).error,
      null,
      'update upserts on hosted',
    );
  });

  test('keys: nested and punctuated ones work, non-ASCII ones are refused as hosted refuses them', async () => {
    const id = await bucket();
    const files = sb.storage.from(id);
    for (const key of ['a/b/c/d.txt', 'folder with space/file (1).txt', "x!*'();:@&=+$,?y.txt"]) {
      assert.equal((await files.upload(key, key)).error, null, key);
      assert.equal(await (await files.download(key)).data?.text(), key);
    }
    assert.deepEqual(apiError((await files.upload('ünï/文件.txt', 'x')).error), {
      status: 400,
      statusCode: '400',
      message: 'Invalid key: ünï/文件.txt',
    });
  });

  test('bucket file size limit and allowed MIME types, and the global limit', async () => {
    const small = await bucket({ fileSizeLimit: '1KB' });
    assert.equal((await sb.storage.from(small).upload('ok.bin', Buffer.alloc(1000))).error, null);
    assert.deepEqual(apiError((await sb.storage.from(small).upload('big.bin', Buffer.alloc(1001))).error), {
      status: 400,
      statusCode: '413',
      message: 'The object exceeded the maximum allowed size',
    });
    const images = await bucket({ allowedMimeTypes: ['image/*', 'text/csv'] });
    assert.equal(
      (await sb.storage.from(images).upload('a.png', Buffer.from('png'), { contentType: 'image/png' })).error,
      null,
    );
    assert.equal(
      (await sb.storage.from(images).upload('a.csv', Buffer.from('c'), { contentType: 'text/csv' })).error,
      null,
    );
    assert.deepEqual(apiError((await sb.storage.from(images).upload('a.txt', 'text')).error), {
      status: 400,
      statusCode: '415',
      message: 'mime type text/plain;charset=UTF-8 is not supported',
    });
    const open = await bucket();
    const chunk = Buffer.alloc(1024 * 1024);
    const tooBig = Readable.from(
      (function* () {
        for (let i = 0; i <= 50; i++) yield chunk;
      })(),
    );
    assert.deepEqual(
      apiError((await sb.storage.from(open).upload('huge.bin', tooBig)).error).statusCode,
      '413',
    );
    assert.deepEqual(await objectRows(small).then((rows) => rows.map((r) => r.name)), ['ok.bin']);
    assert.deepEqual(await objectRows(open), []);
  });

  test('direct DELETE on storage.objects is refused, as on hosted projects', async () => {
    const id = await bucket();
    await sb.storage.from(id).upload('keep.txt', 'k');
    await assert.rejects(
      db.query('delete from storage.objects where bucket_id = $1', [id]),
      /Direct deletion from storage tables is not allowed/,
    );
  });
});
