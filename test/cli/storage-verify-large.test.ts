/**
 * `verify --bucket` on large objects written differently on each side, as a user's uploads and the
 * sync's copies are: a standard upload (S3 parts of 5 MiB) on one side and a resumable one (a part
 * per TUS chunk) on the other, both ways, and resumable on both with other chunk sizes. Their ETags
 * are multipart and differ, part counts equal or not, though the bytes, type and cache control are
 * the same: verify hashes them and reports only the object whose bytes differ (same size), exits 1;
 * `--repair` copies that one (its new ETag cannot be compared either), and verify then says the
 * bucket is equal and exits 0.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import type { SupabaseClient } from '@supabase/supabase-js';
import * as tus from 'tus-js-client';
import { sourceDb, sourceStorage, targetDb, targetStorage, uniqueBucket } from '../support/storage-sync.js';
import { testStack } from '../support/stack-env.js';
import { CliEnv, show } from './cli.js';

const MiB = 1024 * 1024;
const stack = testStack();
const bucket = uniqueBucket('large');
let cli: CliEnv | undefined;
after(async () => {
  await cli?.remove();
  await sourceDb.end();
  await targetDb.end();
});

type Side = 'source' | 'target';
type Write = { way: 'standard' } | { way: 'resumable'; chunkMiB: number };
const standard: Write = { way: 'standard' };
const resumable = (chunkMiB = 6): Write => ({ way: 'resumable', chunkMiB });

/** A standard upload through supabase-js, or a resumable one through tus-js-client (Supabase's guide). */
async function put(side: Side, name: string, body: Buffer, write: Write): Promise<void> {
  if (write.way === 'standard') {
    const client: SupabaseClient = side === 'source' ? sourceStorage : targetStorage;
    const { error } = await client.storage
      .from(bucket)
      .upload(name, body, { upsert: true, contentType: 'application/octet-stream', cacheControl: '3600' });
    assert.equal(error, null);
    return;
  }
  const project = stack[side];
  await new Promise<void>((resolve, reject) => {
    new tus.Upload(body, {
      endpoint: `${project.url}/storage/v1/upload/resumable`,
      headers: { authorization: `Bearer ${project.serviceRoleKey}`, 'x-upsert': 'true' },
      chunkSize: write.chunkMiB * MiB,
      uploadDataDuringCreation: true,
      removeFingerprintOnSuccess: true,
      metadata: {
        bucketName: bucket,
        objectName: name,
        contentType: 'application/octet-stream',
        cacheControl: '3600',
      },
      onError: reject,
      onSuccess: () => resolve(),
    }).start();
  });
}

async function etags(side: Side): Promise<Map<string, string>> {
  const db = side === 'source' ? sourceDb : targetDb;
  const { rows } = await db.query<{ name: string; etag: string }>(
    "select name, metadata ->> 'eTag' as etag from storage.objects where bucket_id = $1",
    [bucket],
  );
  return new Map(rows.map((r) => [r.name, r.etag]));
}

test('verify hashes large objects whose ETags cannot be compared; after --repair the bucket is equal', async () => {
  for (const client of [sourceStorage, targetStorage])
    assert.equal((await client.storage.createBucket(bucket, { public: false })).error, null);

  // name, size, how the source and the target got it; `differs` has other bytes of the same size.
  const objects: Array<[string, number, Write, Write]> = [
    ['standard-then-resumable.bin', 13 * MiB, standard, resumable()], // "-3" and "-3"
    ['resumable-then-standard.bin', 17 * MiB, resumable(), standard], // "-3" and "-4"
    ['resumable-both.bin', 10 * MiB, resumable(6), resumable(8)], // "-2" and "-2"
    ['differs.bin', 13 * MiB, standard, resumable()],
  ];
  for (const [name, size, onSource, onTarget] of objects) {
    const body = randomBytes(size);
    await put('source', name, body, onSource);
    if (name === 'differs.bin') body.writeUInt8((body.readUInt8(size >> 1) + 1) % 256, size >> 1);
    await put('target', name, body, onTarget);
  }
  await put('source', 'small.txt', Buffer.from('the same'), standard);
  await put('target', 'small.txt', Buffer.from('the same'), standard);

  // What makes it hard: every large object's ETags are multipart and not the same string.
  const [onSource, onTarget] = [await etags('source'), await etags('target')];
  for (const [name] of objects) {
    assert.match(onSource.get(name) ?? '', /^"[0-9a-f]{32}-\d+"$/, name);
    assert.match(onTarget.get(name) ?? '', /^"[0-9a-f]{32}-\d+"$/, name);
    assert.notEqual(onSource.get(name), onTarget.get(name), name);
  }
  assert.equal(onSource.get('small.txt'), onTarget.get('small.txt'));

  cli = await CliEnv.create(`test-${randomBytes(4).toString('hex')}`, []);
  await writeFile(path.join(cli.dir, 'tables.json'), JSON.stringify({ storage: { buckets: [bucket] } }));

  const found = await cli.run(['verify', '--bucket', bucket]);
  assert.equal(found.code, 1, show(found));
  assert.equal(
    found.stdout.trim(),
    `bucket ${bucket}: DIFFERENT — 0 missing on the target, 1 different (differs.bin), 0 only on the target`,
  );

  const repaired = await cli.run(['verify', '--bucket', bucket, '--repair']);
  assert.equal(repaired.code, 0, show(repaired));
  assert.equal(
    repaired.stdout.trim(),
    `bucket ${bucket}: equal after repair (copied 1, removed 0) — 5 objects`,
  );
  // The copy went up resumably: its ETag is multipart again, not the source's.
  const copied = (await etags('target')).get('differs.bin');
  assert.match(copied ?? '', /-\d+"$/);
  assert.notEqual(copied, onSource.get('differs.bin'));

  const again = await cli.run(['verify', '--bucket', bucket]);
  assert.equal(again.code, 0, show(again));
  assert.equal(again.stdout.trim(), `bucket ${bucket}: equal — 5 objects`);
});
