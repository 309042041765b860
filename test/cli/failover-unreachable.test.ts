/**
 * The drill by hand (docs/failover.md): a stack of this file's own (`npm run stack`, on the
 * harness's Temporal) syncs two tables, the auth users and a named sequence; `npm run stack -- stop
 * source` switches the source off. `failover check` then says NOT READY with one reason — the
 * source project, its cause, how many checks and tables it affected — where it gave 15 long ones
 * (one naming an empty table: `reading the sequences of public.`); every line is short, no reason
 * names an empty object, no key is printed. `failover promote` refuses with that one reason.
 * `start source` brings the source back and the running worker makes the backup ready again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { withAuthTables } from '../../src/config/tables-extras.js';
import type { SyncConfig } from '../../src/contracts/config.js';
import {
  killLeftovers,
  stackCommand,
  startStackProcess,
  type StackProcess,
} from '../devstack/stack-process.js';
import { testStack, testTmpDir } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { CliEnv, show, type CliResult } from './cli.js';

const names = ['unreach_orders', 'unreach_items'];
const sequence = 'public.unreach_invoice_no';
const tables = withAuthTables(names.map((name) => table(name, { realtime: false })));
let dir: string;
let stack: StackProcess;
let sync: RunningSync;
let cli: CliEnv;

async function sql(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Every line of the command's output is short, names no empty object, and carries no key. */
function assertShortLines(r: CliResult): void {
  const lines = `${r.stdout}\n${r.said}`.split('\n');
  for (const line of lines) assert.ok(line.length <= 200, `a line of ${line.length} characters: ${line}`);
  assert.doesNotMatch(r.stdout + r.said, /\b(public|auth)\.(?![a-z_])/, 'an object with an empty name');
  for (const key of [
    stack.env.SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY!,
    stack.env.SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY!,
  ])
    assert.ok(!(r.stdout + r.stderr).includes(key), 'no service role key');
}

const reasonLines = (r: CliResult) => r.stdout.split('\n').filter((line) => line.startsWith('  - '));
const oneReason =
  /^ {2}- the source project \(http:\/\/127\.0\.0\.1:\d+\) is unreachable \(connection refused\): 16 checks could not run on 4 tables(; 4 tables failing)?$/;

before(async () => {
  dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-unreachable-'));
  stack = await startStackProcess(path.join(dir, 'F.env'), { temporalAddress: testStack().temporal.address });
  for (const url of [stack.env.STACK_SOURCE_DATABASE_URL!, stack.env.STACK_TARGET_DATABASE_URL!])
    await sql(url, [
      ...names.flatMap((name) => [
        `CREATE TABLE public.${name} (id bigserial PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
        `GRANT ALL ON public.${name} TO service_role`,
      ]),
      `CREATE SEQUENCE ${sequence}`,
    ]);
  await sql(stack.env.STACK_SOURCE_DATABASE_URL!, [
    ...names.map((name) => `INSERT INTO public.${name} (note) SELECT 'n' || g FROM generate_series(1, 20) g`),
    `SELECT nextval('${sequence}') FROM generate_series(1, 5)`,
  ]);
  const base = testConfig(tables, { realtime: false });
  const config: SyncConfig = {
    ...base,
    source: {
      url: stack.env.SYNC_SOURCE_SUPABASE_URL!,
      serviceRoleKey: stack.env.SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY!,
    },
    target: {
      url: stack.env.SYNC_TARGET_SUPABASE_URL!,
      serviceRoleKey: stack.env.SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY!,
    },
    auth: true,
    sequences: [sequence],
  };
  sync = await startSync(config);
  for (const t of tables) await waitUntilSyncing(sync, t, { realtime: false, timeoutMs: 60_000 });
  cli = await CliEnv.create(config.temporal.taskQueue, []);
  await writeFile(
    path.join(cli.dir, 'tables.json'),
    JSON.stringify({
      tables: names.map((name) => ({ name, realtime: false })),
      auth: true,
      sequences: [sequence],
    }),
  );
  await writeFile(
    path.join(cli.dir, 'sync.env'),
    [
      ...['SOURCE', 'TARGET'].flatMap((p) => [
        `SYNC_${p}_SUPABASE_URL=${stack.env[`SYNC_${p}_SUPABASE_URL`]}`,
        `SYNC_${p}_SUPABASE_SERVICE_ROLE_KEY=${stack.env[`SYNC_${p}_SUPABASE_SERVICE_ROLE_KEY`]}`,
      ]),
      `TEMPORAL_ADDRESS=${config.temporal.address}`,
      `TEMPORAL_NAMESPACE=${config.temporal.namespace}`,
      `TEMPORAL_TASK_QUEUE=${config.temporal.taskQueue}`,
      '',
    ].join('\n'),
  );
});

after(async () => {
  await sync?.close();
  await cli?.remove();
  if (stack) {
    stack.npm.kill('SIGINT');
    await Promise.race([stack.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    killLeftovers(stack);
  }
  await rm(dir, { recursive: true, force: true });
});

describe('failover check and promote with the source switched off', () => {
  test('ready while both projects answer', async () => {
    await waitFor(async () => (await cli.run(['failover', 'check'])).code === 0, {
      timeoutMs: 60_000,
      message: async () => show(await cli.run(['failover', 'check'])),
    });
  });

  test('the source stopped: NOT READY, with one short reason for it', async () => {
    const stopped = await stackCommand(stack.envFile, ['stop', 'source']);
    assert.equal(stopped.code, 0, stopped.stderr);
    const r = await cli.run(['failover', 'check']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /overall: NOT READY \(1 reason\(s\)\)/);
    assert.equal(reasonLines(r).length, 1, show(r));
    assert.match(reasonLines(r)[0]!, oneReason);
    assert.equal(r.said.trim().split('\n').length, 1, show(r));
    assertShortLines(r);
    // Once the tables' passes fail too (the worker runs on), their state and pass are the same cause.
    const failing = await waitFor(
      async () => {
        const again = await cli.run(['failover', 'check']);
        return again.stdout.match(/ failing /g)?.length === 4 ? again : undefined;
      },
      { timeoutMs: 60_000, message: async () => show(await cli.run(['failover', 'check'])) },
    );
    assert.deepEqual(reasonLines(failing).length, 1, show(failing));
    assert.match(reasonLines(failing)[0]!, /; 4 tables failing$/);
    assertShortLines(failing);
  });

  test('promote refuses, with that one reason', async () => {
    const r = await cli.run(['failover', 'promote']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.said, /^ {2}skipped: the source cannot be reached \(connection refused\)$/m);
    assert.equal(r.stderr.match(/^ {2}not ready: /gm)?.length, 1, show(r));
    assert.match(
      r.said,
      /^supabase-sync: refusing to promote, the backup is not ready: the source project .*\(fix it, or pass --force\)$/m,
    );
    assertShortLines(r);
  });

  test('the source started again: the running worker makes the backup ready again', async () => {
    const started = await stackCommand(stack.envFile, ['start', 'source']);
    assert.equal(started.code, 0, started.stderr);
    await waitFor(async () => (await cli.run(['failover', 'check'])).code === 0, {
      timeoutMs: 60_000,
      message: async () => show(await cli.run(['failover', 'check'])),
    });
  });
});
