/**
 * The first copy's progress as a user sees it: `supabase-sync status --watch` while an app-shaped
 * table of 120,000 rows (identity key, unique email, enum, RLS) is copied, slowed, shows
 * `copying N of ~M rows · R rows/s · about T left` (the source's estimate: above 100,000 rows not
 * a count, hence `~`), then `status` shows how long the copy took and its rate; the workflow's memo
 * and current details (the Temporal UI) hold the same counts, never a row; sync_estimate_rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TableStatus } from '../../src/contracts/table-sync.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { CliEnv, show, type CliRun } from './cli.js';

const stack = testStack();
const name = uniqueName('copy_progress');
const small = uniqueName('copy_progress_small');
const unanalyzed = uniqueName('copy_progress_unanalyzed');
const ROWS = 120_000;
const t = table(name);
let sync: RunningSync | undefined;
let cli: CliEnv;
let watch: CliRun | undefined;

const ddl = (n: string) => `
  CREATE TYPE public.${n}_plan AS ENUM ('free', 'pro', 'team');
  CREATE TABLE public.${n} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    plan public.${n}_plan NOT NULL DEFAULT 'free',
    note text,
    updated_at timestamptz NOT NULL DEFAULT now());
  ALTER TABLE public.${n} ENABLE ROW LEVEL SECURITY;`;

const count = (s: string) => Number(s.replace(/,/g, ''));
const COPYING = new RegExp(
  `^public\\.${name}: copying ([\\d,]+) of ~([\\d,]+) rows · ([\\d,]+) rows/s · (about [\\d a-z]+ left|finishing)$`,
  'm',
);

before(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) await db(url).query(ddl(name));
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${name} (email, plan, note)
     SELECT 'user' || g || '@example.com', (ARRAY['free','pro','team'])[1 + g % 3]::public.${name}_plan, repeat('n', 100)
       FROM generate_series(1, ${ROWS}) g;
     ANALYZE public.${name};
     CREATE TABLE public.${small} (id bigint PRIMARY KEY);
     INSERT INTO public.${small} SELECT generate_series(1, 42);
     CREATE TABLE public.${unanalyzed} (id bigint PRIMARY KEY, note text) WITH (autovacuum_enabled = false);
     INSERT INTO public.${unanalyzed} SELECT g, repeat('u', 1 + g % 200) FROM generate_series(1, 150000) g;`,
  );
  // A slowed copy: each write on the target waits 0.4 s (a trigger that fires even with the sync's
  // replica role), so the copy takes well over one heartbeat (5 s) and is seen under way. The
  // function is on both projects: the other test files compare the app's objects of the stack.
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl])
    await db(url).query(`CREATE FUNCTION public.${name}_slow() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$`);
  await db(stack.target.databaseUrl).query(
    `CREATE TRIGGER slow AFTER INSERT ON public.${name} FOR EACH STATEMENT EXECUTE FUNCTION public.${name}_slow();
     ALTER TABLE public.${name} ENABLE ALWAYS TRIGGER slow;`,
  );
  const config = testConfig([t], { reconcile: { batchSize: 500 } });
  cli = await CliEnv.create(config.temporal.taskQueue, [name]);
  watch = cli.start(['status', name, '--watch', '--interval', '0.5']);
  sync = await startSync(config);
});

after(async () => {
  watch?.child.kill('SIGTERM');
  await watch?.done;
  await sync?.close();
  await cli?.remove();
  // Nothing left that other test files (sharing the stack) would see as a difference.
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl])
    await db(url).query(
      `DROP TABLE IF EXISTS public.${name}, public.${small}, public.${unanalyzed};
       DROP FUNCTION IF EXISTS public.${name}_slow(); DROP TYPE IF EXISTS public.${name}_plan;`,
    );
  await closeDatabases();
});

describe('the first copy’s progress', () => {
  test('status --watch: rows copied of about how many, rows/s and the time left, mid-copy', async (ctx) => {
    const seen = await waitFor(() => COPYING.exec(watch!.stdout()), {
      timeoutMs: 90_000,
      intervalMs: 250,
      message: () => `status --watch:\n${watch!.stdout().slice(-3000)}\n${watch!.stderr()}`,
    });
    ctx.diagnostic(seen[0]);
    const [copied, estimate, rate] = [count(seen[1]!), count(seen[2]!), count(seen[3]!)];
    assert.ok(copied > 0 && copied < ROWS, seen[0]);
    assert.ok(estimate > 100_000 && estimate < 2 * ROWS, `an estimate near ${ROWS}: ${seen[0]}`);
    assert.ok(rate > 0, seen[0]);
    const s = await sync!.status(t);
    assert.equal(s.initialCopy.done, false, 'seen while the copy ran');
  });

  test('when done: status shows how long the copy took and its rate; --json the same counts', async () => {
    await waitFor(async () => (await sync!.status(t)).initialCopy.done, {
      timeoutMs: 180_000,
      message: async () => JSON.stringify((await sync!.status(t)).initialCopy),
    });
    const r = await cli.run(['status', name]);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `public.${name}: running`);
    assert.match(lines.at(-1)!, /^ {2}first copy: copied 120,000 rows in [\d a-z]+ · [\d,]+ rows\/s$/);

    const json = await cli.run(['status', name, '--json']);
    const [doc] = JSON.parse(json.stdout) as TableStatus[];
    assert.equal(doc!.copyProgress?.done, true);
    assert.equal(doc!.copyProgress?.copied, ROWS);
    assert.equal(doc!.copyProgress?.exact, false, 'above 100,000 rows: the estimate');
    assert.ok((doc!.copyProgress?.rowsPerSecond ?? 0) > 0);
    assert.equal(doc!.copyProgress?.line, lines.at(-1)!.replace('  first copy: ', ''));
  });

  test('the memo and the current details (the Temporal UI) hold counts only', async () => {
    const handle = sync!.client.workflow.getHandle(`table-sync:public.${name}`);
    const memo = await waitFor(
      async () => {
        const m = (await handle.describe()).memo?.syncStatus as TableStatus | undefined;
        return m?.copyProgress?.done ? m : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(memo.copyProgress?.copied, ROWS);
    assert.match(memo.copyProgress.line, /^copied 120,000 rows in /);
    assert.equal(memo.initialCopy.keyCursor, null);
    assert.doesNotMatch(JSON.stringify(memo), /@example\.com|nnnn/, 'no row data');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.equal(metadata.currentDetails, `first copy: ${memo.copyProgress.line}`);
  });

  test('the estimate: exact for a small table; above 100,000 rows the planner’s, or a sample', async () => {
    const source = db(stack.source.databaseUrl);
    const estimate = async (n: string) =>
      (
        await source.query<{ e: { rows: number; exact: boolean } }>(
          `SELECT public.sync_estimate_rows('public', $1) AS e`,
          [n],
        )
      ).rows[0]!.e;
    assert.deepEqual(await estimate(small), { rows: 42, exact: true });
    const near = (e: { rows: number; exact: boolean }, rows: number) =>
      assert.ok(!e.exact && Math.abs(e.rows - rows) <= rows * 0.2, `${JSON.stringify(e)}, not near ${rows}`);
    near(await estimate(name), ROWS);
    // Never analyzed (the planner's own guess can be far off): from a sample of its pages.
    near(await estimate(unanalyzed), 150_000);
  });
});
