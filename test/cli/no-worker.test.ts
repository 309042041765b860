/**
 * The CLI when no worker runs, as a user meets it: `status` answers at once from what the workflow
 * recorded, with its age and since when no worker polls; the commands a worker must carry out fail
 * at once with the command that starts one, and send nothing; and a request that no worker took in
 * time (the worker was killed a moment before) is never applied by the worker that starts later.
 * On a table shaped like an app's (uuid key, unique email, enum, RLS).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/engine/logger.js';
import { createSyncWorker, type SyncWorker } from '../../src/worker.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import { statusQuery } from '../../src/workflows/messages.js';
import { STATUS_MEMO } from '../../src/workflows/status-memo.js';
import type { TableStatus } from '../../src/contracts/table-sync.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import {
  LogCapture,
  startSync,
  table,
  testConfig,
  waitUntilSyncing,
  workflowBundle,
  type RunningSync,
} from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { CliEnv, show, stopSync, untilLogged, type CliResult } from './cli.js';

const stack = testStack();
const name = uniqueName('cli_accounts');
const plan = `${name}_plan`;
const t = table(name);
let sync: RunningSync;
let cli: CliEnv;
let worker: SyncWorker | undefined;
let workerRun: Promise<void> | undefined;

/**
 * The CLI run as a user runs it, timed; with how long it takes to start and answer `--help` on
 * this machine just before (other test files or a benchmark can make that seconds, and it varies).
 */
async function timed(args: string[]): Promise<CliResult & { ms: number; startup: number }> {
  const helpBegan = Date.now();
  await cli.run(['--help']);
  const began = Date.now();
  const r = await cli.run(args);
  return { ...r, ms: Date.now() - began, startup: began - helpBegan };
}

/**
 * Answered within 5 s, or, on a machine so loaded that starting the CLI alone takes seconds, within
 * `waitMs` plus twice that start-up plus 2.5 s (a command does more than `--help`: it connects to
 * Temporal and reads the task queue's pollers). Either way it never waits for a worker that is not
 * there: that wait would be 30 s or more (the CLI's deadlines).
 */
function assertPrompt(r: { ms: number; startup: number }, what: string, waitMs = 0): void {
  assert.ok(
    r.ms < 5000 + waitMs || r.ms < Math.min(2 * r.startup + 2500, 20_000) + waitMs,
    `${what} answered in ${r.ms} ms (the CLI starts in ${r.startup} ms here now)`,
  );
}

/** A worker on the CLI's task queue again, in this process. */
async function startWorker(): Promise<SyncWorker> {
  worker = await createSyncWorker({
    config: sync.config,
    logger: createLogger('warn', new LogCapture()),
    workflowBundle: await workflowBundle(),
  });
  workerRun = worker.run();
  workerRun.catch(() => undefined);
  return worker;
}

async function stopWorker(): Promise<void> {
  await worker?.shutdown();
  await worker?.close();
  worker = undefined;
}

function statusNow(w: SyncWorker): Promise<TableStatus> {
  return w.client.workflow.getHandle(workflowIdFor(t)).query(statusQuery);
}

/** Passes completed by the running worker: the workflow has had tasks on it since. */
async function afterPasses(w: SyncWorker, count: number): Promise<TableStatus> {
  const start = (await waitFor(() => statusNow(w), { timeoutMs: 60_000 })).passes;
  return waitFor(
    async () => {
      const s = await statusNow(w);
      return s.passes >= start + count ? s : undefined;
    },
    { timeoutMs: 60_000, message: async () => JSON.stringify(await statusNow(w)) },
  );
}

before(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    await db(url).query(`CREATE TYPE public.${plan} AS ENUM ('free', 'pro')`);
    await db(url).query(`CREATE TABLE public.${name} (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL UNIQUE,
      plan public.${plan} NOT NULL DEFAULT 'free', updated_at timestamptz NOT NULL DEFAULT now())`);
    await db(url).query(`ALTER TABLE public.${name} ENABLE ROW LEVEL SECURITY`);
  }
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${name} (email) SELECT 'a' || g || '@example.com' FROM generate_series(1, 30) g`,
  );
  sync = await startSync(testConfig([t]));
  cli = await CliEnv.create(sync.config.temporal.taskQueue, [name]);
  await waitUntilSyncing(sync, t);
  // Once the workflow has recorded the pass (after its deletion replay), the worker stops, as
  // `npm run sync` does on Ctrl-C; the workflow waits on the server.
  await waitFor(
    async () => {
      const { memo } = await sync.client.workflow.getHandle(workflowIdFor(t)).describe();
      return (memo?.[STATUS_MEMO] as { state?: string } | undefined)?.state === 'running';
    },
    { timeoutMs: 20_000, message: 'the workflow did not record its state as running' },
  );
  await sync.stopWorker();
});

after(async () => {
  await stopWorker();
  await sync?.close();
  await cli?.remove();
  await closeDatabases();
});

describe('the CLI with no worker running', () => {
  const queue = () => sync.config.temporal.taskQueue;

  test('status: what the workflow last recorded, how old it is, and since when no worker polls', async () => {
    const r = await timed(['status']);
    assert.equal(r.code, 0, show(r));
    assertPrompt(r, 'status');
    assert.match(
      r.said,
      new RegExp(
        `^supabase-sync: no worker is polling task queue "${queue()}" \\(namespace default\\) since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ \\(\\d+s ago\\): start one with \`npm run sync\` \\(same TEMPORAL_TASK_QUEUE\\)\\n$`,
      ),
    );
    const lines = r.stdout.trim().split('\n');
    assert.match(
      lines[0]!,
      new RegExp(
        `^public\\.${name}: running \\(as recorded \\d+s ago, at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\)$`,
      ),
    );
    assert.match(lines[1]!, /^ {2}last pass: .* ok at /);
    assert.match(lines[3]!, /^ {2}realtime: disconnected; lag: \d+\.\d s$/, 'no worker, so no feed');

    // start: the running workflow is kept as it is (a new setting would wait for a worker).
    const start = await timed(['start']);
    assert.equal(start.code, 0, show(start));
    assertPrompt(start, 'start');
    assert.equal(
      start.stdout,
      `public.${name}: already running (its settings are applied when a worker starts: npm run sync) (table-sync:public.${name})\n`,
    );

    const json = await timed(['status', '--json']);
    const [s] = JSON.parse(json.stdout) as Array<TableStatus & { recordedAt: number }>;
    assert.equal(s!.state, 'running');
    assert.equal(s!.initialCopy.rowsCopied, 30);
    assert.ok(Date.now() - s!.recordedAt < 120_000, `recordedAt ${s!.recordedAt}`);
  });

  test('pause, resume, stop, reconcile, backfill, verify, trigger --wait: exit 1 at once, nothing sent', async () => {
    const cases: Array<[string[], string]> = [
      [['pause', name], 'pause'],
      [['resume', name], 'resume'],
      [['stop', name], 'stop'],
      [['reconcile', name], 'reconcile'],
      [['backfill', name], 'backfill'],
      [['verify', name], 'verify'],
      [['schedule', 'trigger', '--wait'], 'trigger --wait'],
    ];
    for (const [args, what] of cases) {
      const r = await timed(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${show(r)}`);
      assertPrompt(r, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assert.match(
        r.said,
        new RegExp(
          `^supabase-sync: ${what} needs a worker: no worker is polling task queue "${queue()}" .*: start one with \`npm run sync\` .*; nothing was (sent|triggered)\\n$`,
        ),
        args.join(' '),
      );
    }
    // A worker starts: nothing of the above happens (the table is not paused, not stopped, not re-copied).
    const w = await startWorker();
    const s = await afterPasses(w, 2);
    assert.equal(s.state, 'running', JSON.stringify(s));
    assert.equal(s.initialCopy.rowsCopied, 30, 'not copied again');
    await db(stack.source.databaseUrl).query(
      `INSERT INTO public.${name} (email) VALUES ('late@example.com')`,
    );
    await waitFor(
      async () =>
        (
          await db(stack.target.databaseUrl).query(
            `SELECT 1 FROM public.${name} WHERE email = 'late@example.com'`,
          )
        ).rowCount === 1,
      { timeoutMs: 20_000, message: 'the table does not sync after the worker started' },
    );
    await stopWorker();
  });

  test('a pause no worker took in time (the worker was just killed) expires: a later worker does not pause', async () => {
    const run = cli.startSync();
    try {
      await untilLogged(run, /syncing 1 table\(s\)/);
    } finally {
      await stopSync(run, 'SIGKILL');
    }
    // The server still lists the killed worker as polling: the CLI sends, no one takes it.
    const r = await timed(['pause', name]);
    assert.equal(r.code, 1, show(r));
    assertPrompt(r, 'pause', 5000);
    assert.match(
      r.said,
      new RegExp(
        `^public\\.${name}: no worker took the pause within 5\\.0s: not applied, and it never will be \\(it expired at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\); is a worker running on this task queue\\? \\(npm run sync\\)\\nsupabase-sync: 1 of 1 table\\(s\\) failed\\n$`,
      ),
    );
    // A pass on the new worker: the workflow's tasks (the pending pause with them) have reached it.
    const w = await startWorker();
    const s = await afterPasses(w, 1);
    assert.equal(s.state, 'running', `the expired pause was applied: ${JSON.stringify(s)}`);
  });
});
