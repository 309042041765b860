/**
 * `supabase-sync status` as a user runs it: the JSON and plain views of a syncing table (state,
 * last pass, rows by path, realtime, lag, last error), a table not started, `--watch` refreshing
 * until Ctrl-C, and one-line errors with a non-zero exit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import type { TableStatus } from '../../src/contracts/table-sync.js';
import { CliEnv, show } from './cli.js';

const stack = testStack();
const name = uniqueName('cli_status');
const idle = uniqueName('cli_status_idle');
const unlisted = uniqueName('cli_status_unlisted');
const t = table(name);
let sync: RunningSync;
let cli: CliEnv;

const ddl = (n: string) =>
  `CREATE TABLE public.${n} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`;

before(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    await db(url).query(ddl(name));
    await db(url).query(ddl(idle));
  }
  await db(stack.source.databaseUrl).query(ddl(unlisted));
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${name} (id, note) SELECT g, 'row ' || g FROM generate_series(1, 50) g`,
  );
  // Realtime counts reach the workflow every 250 ms here (30 s by default).
  sync = await startSync(testConfig([t]), { settings: { realtimeProgressMs: 250 } });
  cli = await CliEnv.create(sync.config.temporal.taskQueue, [name, idle]);
  await waitUntilSyncing(sync, t);
  // One change by each path: realtime upsert and delete, and a ledger delete.
  await db(stack.source.databaseUrl).query(`INSERT INTO public.${name} (id, note) VALUES (51, 'live')`);
  await db(stack.source.databaseUrl).query(`DELETE FROM public.${name} WHERE id = 1`);
  await waitFor(
    async () => {
      const s = await sync.status(t);
      // Whichever path got there first (realtime or the 1 s reconcile) counts it.
      return (
        s.counters.realtimeWritten + s.counters.reconcileWritten >= 51 &&
        s.counters.realtimeDeleted + s.counters.ledgerDeleted >= 1
      );
    },
    { timeoutMs: 15_000, message: async () => JSON.stringify(await sync.status(t)) },
  );
});

after(async () => {
  await sync?.close();
  await cli?.remove();
  await closeDatabases();
});

describe('supabase-sync status', () => {
  test('--json: every table, with state, initial copy, counters by path, realtime and lag', async () => {
    const r = await cli.run(['status', '--json']);
    assert.equal(r.code, 0, show(r));
    const all = JSON.parse(r.stdout) as Array<TableStatus | { table: string; state: string }>;
    // After the configured tables: every table on the source that the tables file does not select
    // (and the app's objects that differ in public, from other test files: `{object, state: "differs"}`).
    const statuses = all.filter((x) => 'table' in x && x.state !== 'not synced');
    assert.equal(statuses.length, 2);
    assert.ok(
      all.some((x) => x.table === `public.${unlisted}` && x.state === 'not synced'),
      'a table on the source that nothing selects is listed as not synced',
    );
    const s = statuses.find((x) => x.table === `public.${name}`) as TableStatus;
    assert.equal(s.state, 'running');
    assert.equal(s.initialCopy.done, true);
    assert.equal(s.initialCopy.rowsCopied, 50);
    assert.ok(s.counters.realtimeWritten + s.counters.reconcileWritten >= 51, JSON.stringify(s.counters));
    assert.ok(s.counters.realtimeDeleted + s.counters.ledgerDeleted >= 1, JSON.stringify(s.counters));
    assert.equal(s.realtime.enabled, true);
    assert.equal(s.realtime.connected, true);
    assert.ok(s.lastPass !== null && s.lastPass.ok);
    assert.equal(s.lastError, null);
    assert.deepEqual(
      statuses.find((x) => x.table === `public.${idle}`),
      { table: `public.${idle}`, state: 'not started' },
    );
  });

  test('plain view: state, last pass time and result, rows by path, realtime, lag, last error', async () => {
    const r = await cli.run(['status', name]);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `public.${name}: running`);
    assert.match(
      lines[1]!,
      /^ {2}last pass: (reconcile|catch-up|initial-copy) ok at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d+s ago\): read \d+, written \d+, unchanged \d+, deletes replayed \d+ \(\d+ removed\)$/,
    );
    assert.match(
      lines[2]!,
      /^ {2}rows upserted: realtime \d+( \(\d+ that Realtime did not deliver, read from the source\))?, reconcile \d+; deleted: realtime \d+, ledger \d+$/,
    );
    // The counts are the workflow's (read before this check, so at most the current ones), and
    // include the insert and the delete by whichever path applied them.
    const c = (await sync.status(t)).counters;
    const [rw, cw, rd, ld] = lines[2]!.match(/\d+/g)!.map(Number);
    assert.ok(rw! <= c.realtimeWritten && cw! <= c.reconcileWritten, lines[2]);
    assert.ok(rd! <= c.realtimeDeleted && ld! <= c.ledgerDeleted, lines[2]);
    assert.ok(rw! + cw! >= 51 && rd! + ld! >= 1, lines[2]);
    assert.match(lines[3]!, /^ {2}realtime: connected; lag: (unknown|\d+\.\d s)$/);
    assert.equal(lines[4], '  last error: none');
  });

  test('a configured table without a workflow is "not started"', async () => {
    const r = await cli.run(['status', idle]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout.trim(), `public.${idle}: not started`);
  });

  test('--watch refreshes every --interval until Ctrl-C, then exits 0', async () => {
    const run = cli.start(['status', name, '--watch', '--interval', '0.2']);
    await waitFor(() => (run.stdout().match(/^supabase-sync status — /gm) ?? []).length >= 3, {
      timeoutMs: 15_000,
      message: () => `output:\n${run.stdout()}\n${run.stderr()}`,
    });
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 0, show(r));
    const blocks = r.stdout.split(/^supabase-sync status — /m).filter(Boolean);
    for (const block of blocks.slice(0, 3)) {
      assert.match(block, /every 0\.2s \(Ctrl-C to stop\)/);
      assert.match(block, new RegExp(`public\\.${name}: running`));
      assert.match(block, /realtime: connected/);
    }
  });

  test('--watch --json: one JSON document per refresh', async () => {
    const run = cli.start(['status', '--watch', '--json', '--interval', '0.2']);
    await waitFor(() => run.stdout().split('\n').filter(Boolean).length >= 2, {
      timeoutMs: 15_000,
      message: () => `output:\n${run.stdout()}\n${run.stderr()}`,
    });
    run.child.kill('SIGTERM');
    const r = await run.done;
    assert.equal(r.code, 0, show(r));
    const docs = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { at: string; tables: Array<{ table: string; state: string }> });
    assert.ok(docs.length >= 2);
    for (const d of docs) {
      assert.ok(!Number.isNaN(Date.parse(d.at)));
      assert.deepEqual(
        d.tables
          .filter((x) => 'table' in x)
          .map((x) => x.state)
          .filter((x) => x !== 'not synced')
          .sort(),
        ['not started', 'running'],
      );
    }
  });

  test('errors: one line on stderr, non-zero exit', async () => {
    const unknown = await cli.run(['status', 'no_such_table']);
    assert.notEqual(unknown.code, 0);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr.trim().split('\n').length, 1, show(unknown));
    assert.match(
      unknown.said,
      /^supabase-sync: table "no_such_table" is not in .*tables\.json \(configured: /,
    );

    const badInterval = await cli.run(['status', '--watch', '--interval', '0']);
    assert.equal(badInterval.code, 2, show(badInterval));
    assert.match(badInterval.said, /^supabase-sync: --interval "0": a positive number of seconds\n$/);

    const badOption = await cli.run(['status', '--bogus']);
    assert.equal(badOption.code, 2, show(badOption));
    assert.equal(badOption.said, "supabase-sync: unknown option '--bogus' (see --help)\n");

    const noTemporal = await cli.run(['status'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(noTemporal.code, 1, show(noTemporal));
    // Which projects, then the error in one line.
    assert.match(noTemporal.projects ?? '', /^projects: source /, show(noTemporal));
    assert.equal(noTemporal.said.trim().split('\n').length, 1, show(noTemporal));
    assert.match(noTemporal.said, /Temporal is not reachable at 127\.0\.0\.1:1/);
    assert.ok(!noTemporal.stderr.includes(stack.source.serviceRoleKey));
  });
});
