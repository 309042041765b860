/**
 * Storage through the CLI, as a user runs it: `npm run sync` with a tables file holding only a
 * `storage` key copies the bucket and `status` shows it; then the target bucket is corrupted by
 * hand (an object's bytes changed, one deleted, one added) and `verify` names each difference and
 * exits 1, `verify --repair` mends them and both buckets hold the same bytes; `npm run sync --cron`
 * runs one pass per bucket.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { waitFor } from '../support/wait.js';
import {
  sameContents,
  sourceDb,
  sourceStorage,
  targetDb,
  targetStorage,
  uniqueBucket,
} from '../support/storage-sync.js';
import { CliEnv, show, stopSync, untilLogged } from './cli.js';

const bucket = uniqueBucket('cli');
let cli: CliEnv | undefined;
after(async () => {
  await cli?.run(['stop', `storage-sync:${bucket}`]).catch(() => undefined);
  await cli?.remove();
  await sourceDb.end();
  await targetDb.end();
});

test('npm run sync copies a bucket, status shows it, verify finds a corrupted target and --repair mends it', async () => {
  assert.equal((await sourceStorage.storage.createBucket(bucket, { public: false })).error, null);
  for (const [name, body] of [
    ['docs/a.txt', 'alpha'],
    ['docs/deep/b.txt', 'bravo'],
    ['c.bin', randomBytes(3000)],
    ['empty', ''],
  ] as const) {
    const { error } = await sourceStorage.storage
      .from(bucket)
      .upload(name, Buffer.from(body), { upsert: true });
    assert.equal(error, null);
  }
  cli = await CliEnv.create(`test-${randomBytes(4).toString('hex')}`, []);
  await writeFile(path.join(cli.dir, 'tables.json'), JSON.stringify({ storage: { buckets: [bucket] } }));
  const run = cli.startSync([], { SYNC_RECONCILE_INTERVAL_MS: '1000' });
  try {
    await untilLogged(run, new RegExp(`bucket ${bucket}: started`));
    await waitFor(async () => (await sameContents(bucket)) === true, {
      timeoutMs: 60_000,
      message: async () => String(await sameContents(bucket)),
    });
    const status = await waitFor(
      async () => {
        const r = await cli!.run(['status']);
        return r.stdout.includes(`bucket ${bucket}: running`) && /objects copied 4 /.test(r.stdout)
          ? r
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.match(status.stdout, new RegExp(`bucket ${bucket}: running\\n  last pass: ok at`));
  } finally {
    assert.equal(await stopSync(run), 0, run.output());
  }

  // Without a worker: what the bucket's workflow last recorded (its memo).
  const recorded = await cli.run(['status']);
  assert.match(recorded.stdout, new RegExp(`bucket ${bucket}: running \\(as recorded .* ago, at `));
  assert.match(recorded.stdout, /objects copied 4 /);

  // Corrupt the target: other bytes of the same size, one object gone, one the source never had.
  const to = targetStorage.storage.from(bucket);
  assert.equal((await to.upload('docs/a.txt', Buffer.from('ALPHA'), { upsert: true })).error, null);
  assert.equal((await to.remove(['docs/deep/b.txt'])).error, null);
  assert.equal((await to.upload('stray.txt', Buffer.from('stray'))).error, null);

  const found = await cli.run(['verify', '--bucket', bucket]);
  assert.equal(found.code, 1, show(found));
  assert.equal(
    found.stdout.trim(),
    `bucket ${bucket}: DIFFERENT — 1 missing on the target (docs/deep/b.txt), 1 different (docs/a.txt), 1 only on the target (stray.txt)`,
  );
  assert.match(found.said, /1 of 1 bucket\(s\) differ \(supabase-sync verify --repair fixes them\)/);
  assert.notEqual(await sameContents(bucket), true);

  const repaired = await cli.run(['verify', '--bucket', bucket, '--repair']);
  assert.equal(repaired.code, 0, show(repaired));
  assert.equal(
    repaired.stdout.trim(),
    `bucket ${bucket}: equal after repair (copied 2, removed 1) — 4 objects`,
  );
  assert.equal(await sameContents(bucket), true);
  const again = await cli.run(['verify']);
  assert.equal(again.code, 0, show(again));
  assert.equal(again.stdout.trim(), `bucket ${bucket}: equal — 4 objects`);
});

test('npm run sync --cron: one pass per bucket, a line each, exit 0', async () => {
  assert.ok(cli, 'runs after the first test');
  const { error } = await sourceStorage.storage.from(bucket).upload('cron/new.txt', Buffer.from('cron'));
  assert.equal(error, null);
  const run = cli.startSync(['--cron']);
  assert.equal(await run.exited, 0, run.output());
  // The bucket's long-running workflow, still on the task queue, may copy the object first.
  assert.match(
    run.output(),
    new RegExp(`bucket ${bucket}: ok — copied [01], unchanged [45], removed 0, refused 0`),
  );
  // The migration's own tables are not offered as tables to sync.
  assert.doesNotMatch(run.output(), /sync_storage_/);
  assert.match(run.output(), /reconcile-only run: 0 of 0 tables ok, 1 of 1 buckets ok/);
  assert.equal(await sameContents(bucket), true);
});
