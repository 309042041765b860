/**
 * `failover check` and `failover promote` with the source reachable: not ready while a table has
 * no workflow; ready once it syncs; promote runs a final pass (a row written just before is on the
 * target), stops the sync (a later write on the source does not arrive), and moves the sequence
 * past the source by the margin; the change log of a table without a version column is removed
 * from the old primary (an app still writing there would fill it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, createTestSchema, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { CliEnv, show } from './cli.js';

const stack = testStack();
// A schema of its own: promote's readiness compares every function and view of the table's schema.
const ns = uniqueName('fp');
const name = uniqueName('cli_promote');
const qualified = `${ns}.${name}`;
const t = table(qualified);
/** A join table without a version column: its feed turns the change log on on the source. */
const tags = `${ns}.${uniqueName('cli_promote_tags')}`;
const tg = table(tags, { primaryKeys: ['post_id', 'tag'] });
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);
let sync: RunningSync;
let cli: CliEnv;

before(async () => {
  await createTestSchema(ns, [stack.source.databaseUrl, stack.target.databaseUrl]);
  for (const pool of [source(), target()]) {
    await pool.query(
      `CREATE TABLE ${qualified} (id bigserial PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await pool.query(`GRANT ALL ON ${qualified} TO service_role`);
    await pool.query(`CREATE TABLE ${tags} (post_id bigint, tag text, PRIMARY KEY (post_id, tag))`);
    await pool.query(`GRANT ALL ON ${tags} TO service_role`);
  }
  await source().query(`INSERT INTO ${tags} SELECT g, 't' || g FROM generate_series(1, 5) g`);
  await source().query(`INSERT INTO ${qualified} (note) SELECT 'n' || g FROM generate_series(1, 25) g`);
  sync = await startSync(testConfig([t, tg]), { startWorkflows: false });
  cli = await CliEnv.create(sync.config.temporal.taskQueue, [
    qualified,
    { name: tags, primaryKeys: ['post_id', 'tag'] },
  ]);
});

after(async () => {
  await sync?.close();
  await cli?.remove();
  await closeDatabases();
});

/** The change log's triggers on the source's tags table. */
async function changeLogTriggers(): Promise<number> {
  const { rows } = await source().query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname IN ('sync_track_inserts', 'sync_track_updates')`,
    [tags],
  );
  return Number(rows[0]!.n);
}

describe('failover check and promote, the source reachable', () => {
  test('not ready without a workflow; ready once the table syncs', async () => {
    const r = await cli.run(['failover', 'check']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.said, new RegExp(`${ns}\\.${name}: state is not started, not running`));
    const start = await cli.run(['start', qualified]);
    assert.equal(start.code, 0, show(start));
    const startTags = await cli.run(['start', tags]);
    assert.equal(startTags.code, 0, show(startTags));
    await waitUntilSyncing(sync, t, { timeoutMs: 30_000 });
    await waitUntilSyncing(sync, tg, { timeoutMs: 30_000 });
    assert.equal(await changeLogTriggers(), 2, 'the feed turned the change log on');
    // The sync added the table to the source's Realtime publication: the backup needs it too to
    // serve the app's subscriptions after a switch, which `schema push` does.
    const check = await cli.run(['failover', 'check']);
    assert.match(
      check.said,
      new RegExp(`schema: ${ns}\\.${name} in publication supabase_realtime is missing on the target`),
    );
    const push = await cli.run(['schema', 'push', '--db-url', stack.target.databaseUrl]);
    assert.equal(push.code, 0, show(push));
    await waitFor(async () => (await cli.run(['failover', 'check'])).code === 0, {
      timeoutMs: 30_000,
      message: async () => show(await cli.run(['failover', 'check'])),
    });
  });

  test('promote: final pass, sync stopped, sequence past the source by the margin', async () => {
    await source().query(`INSERT INTO ${qualified} (note) VALUES ('just before')`);
    const r = await cli.run(['failover', 'promote', '--sequence-margin', '100']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /2\. readiness\n {2}ready\n/);
    assert.match(r.stdout, new RegExp(`1\\. final catch-up pass\\n  ${ns}\\.${name}: read \\d+`));
    assert.match(r.stdout, new RegExp(`${ns}\\.${name}: stopped`));
    assert.match(r.stdout, new RegExp(`${ns}\\.${name}_id_seq: next 27 → 127`));
    const copied = await target().query(`SELECT 1 FROM ${qualified} WHERE note = 'just before'`);
    assert.equal(copied.rowCount, 1, 'the final pass copied the last write');
    await source().query(`INSERT INTO ${qualified} (note) VALUES ('after the promote')`);
    const status = await cli.run(['status', qualified]);
    assert.match(status.stdout, /stopped/, show(status));
    const { rows } = await target().query<{ id: string }>(
      `INSERT INTO ${qualified} (note) VALUES ('on the promoted') RETURNING id`,
    );
    assert.equal(rows[0]!.id, '127');
    const late = await target().query(`SELECT 1 FROM ${qualified} WHERE note = 'after the promote'`);
    assert.equal(late.rowCount, 0, 'nothing syncs after the promote');
    assert.match(r.stdout, new RegExp(`${tags.replace('.', '\\.')}: change log removed on the old primary`));
    assert.equal(await changeLogTriggers(), 0, 'no change-log trigger is left on the old primary');
    await source().query(`INSERT INTO ${tags} VALUES (99, 'after')`);
    const logged = await source().query(
      `SELECT 1 FROM public.sync_changes WHERE schema_name = $1 AND table_name = $2`,
      tags.split('.'),
    );
    assert.equal(logged.rowCount, 0, 'a write on the old primary is not logged');
  });
});
