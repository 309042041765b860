/**
 * `npm run sync` as a user runs it: a separate process configured by an env file and a tables
 * config, killed with SIGKILL and restarted (it resumes from its checkpoint without re-copying),
 * stopped with SIGTERM, run in reconcile-only mode, and refusing bad configuration.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { statusQuery } from '../../src/workflows/messages.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { envFileText, testStack, testTmpDir } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';
import { inSync } from '../support/compare.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stack = testStack();
const name = uniqueName('proc_orders');
const cronName = uniqueName('cron_orders');
const taskQueue = `proc-${randomBytes(4).toString('hex')}`;
let dir: string;
let client: Client;

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function runSync(args: string[] = [], env: Record<string, string> = {}): Run {
  let output = '';
  const child = spawn(process.execPath, ['bin/run.mjs', 'src/sync.ts', ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SYNC_ENV_PATH: path.join(dir, 'sync.env'),
      SYNC_TABLE_CONFIG: path.join(dir, 'tables.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function rowCount(url: string, table: string): Promise<number> {
  const { rows } = await db(url).query<{ n: string }>(`SELECT count(*) AS n FROM public.${table}`);
  return Number(rows[0]!.n);
}

const ddl = (t: string) =>
  `CREATE TABLE public.${t} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`;

before(async () => {
  dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-proc-'));
  await writeFile(path.join(dir, 'sync.env'), envFileText(taskQueue));
  await writeFile(path.join(dir, 'tables.json'), JSON.stringify({ tables: [{ name, primaryKeys: ['id'] }] }));
  await writeFile(path.join(dir, 'cron-tables.json'), JSON.stringify({ tables: [{ name: cronName }] }));
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    await db(url).query(ddl(name));
    await db(url).query(ddl(cronName));
  }
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${name} (id, note) SELECT g, 'row ' || g FROM generate_series(1, 3000) g`,
  );
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${cronName} (id, note) SELECT g, 'row ' || g FROM generate_series(1, 700) g`,
  );
  client = new Client({ connection: await Connection.connect({ address: stack.temporal.address }) });
});

after(async () => {
  await client?.workflow
    .getHandle(`table-sync:public.${name}`)
    .terminate('test finished')
    .catch(() => undefined);
  await client?.connection.close();
  await closeDatabases();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run sync', () => {
  test('copies the table, survives SIGKILL, resumes from its checkpoint, and stops on SIGTERM', async () => {
    const first = runSync();
    try {
      await waitFor(async () => (await rowCount(stack.target.databaseUrl, name)) === 3000, {
        timeoutMs: 30_000,
        message: () => `first copy incomplete; output:\n${first.output()}`,
      });
      assert.match(first.output(), new RegExp(`delete tracking on public\\.${name}: trigger created`));
      assert.match(
        first.output(),
        new RegExp(`public\\.${name}: started workflow table-sync:public\\.${name}`),
      );
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    const xminBefore = await db(stack.target.databaseUrl).query<{ id: string; xmin: string }>(
      `SELECT id, xmin::text FROM public.${name} WHERE id <= 100 ORDER BY id`,
    );

    // Changes while no worker runs.
    const source = db(stack.source.databaseUrl);
    await source.query(`INSERT INTO public.${name} (id, note) VALUES (3001, 'while down')`);
    await source.query(
      `UPDATE public.${name} SET note = 'changed while down', updated_at = now() WHERE id = 2000`,
    );
    await source.query(`DELETE FROM public.${name} WHERE id = 1500`);

    const second = runSync();
    try {
      await waitFor(() => inSync(name), {
        timeoutMs: 30_000,
        message: () => `did not converge; output:\n${second.output()}`,
      });
      assert.match(
        second.output(),
        new RegExp(`kept running \\(current settings applied\\): workflow table-sync:public\\.${name}`),
      );
      const status = await client.workflow.getHandle(`table-sync:public.${name}`).query(statusQuery);
      assert.equal(
        status.initialCopy.rowsCopied,
        3000,
        'the table was copied once, not again after the restart',
      );
      const xminAfter = await db(stack.target.databaseUrl).query<{ id: string; xmin: string }>(
        `SELECT id, xmin::text FROM public.${name} WHERE id <= 100 ORDER BY id`,
      );
      assert.deepEqual(xminAfter.rows, xminBefore.rows, 'unchanged rows were not written again');

      second.child.kill('SIGTERM');
      const code = await Promise.race([
        second.exited,
        new Promise<'slow'>((r) => setTimeout(() => r('slow'), 30_000)),
      ]);
      assert.equal(code, 0, `SIGTERM should stop the worker gracefully; output:\n${second.output()}`);
      assert.match(second.output(), /shutting down gracefully/);
    } finally {
      second.child.kill('SIGKILL');
    }
  });

  test('reconcile-only mode runs one pass per table, prints a summary, and the next run starts from the checkpoint', async () => {
    const env = { SYNC_TABLE_CONFIG: path.join(dir, 'cron-tables.json') };
    const first = runSync(['--cron'], env);
    assert.equal(await first.exited, 0, first.output());
    assert.match(first.output(), new RegExp(`public\\.${cronName}: ok — read 700, written 700`));
    assert.match(first.output(), /reconcile-only run: 1 of 1 tables ok/);
    assert.equal(await rowCount(stack.target.databaseUrl, cronName), 700);

    await db(stack.source.databaseUrl).query(
      `UPDATE public.${cronName} SET note = 'edited', updated_at = now() WHERE id = 5`,
    );
    await db(stack.source.databaseUrl).query(`DELETE FROM public.${cronName} WHERE id = 6`);
    const second = runSync([], { ...env, SYNC_MODE: 'reconcile' });
    assert.equal(await second.exited, 0, second.output());
    // The second run reads only the lookback window after the checkpoint, and writes just the change.
    assert.match(
      second.output(),
      new RegExp(
        `public\\.${cronName}: ok — read \\d+, written 1, unchanged \\d+, deletes replayed 1 \\(1 removed\\)`,
      ),
    );
    assert.ok(await inSync(cronName));
  });

  test('bad configuration: one clear line, exit code 2, nothing started', async () => {
    await writeFile(
      path.join(dir, 'bad.json'),
      JSON.stringify({ tables: [{ name: 'orders; drop table x' }] }),
    );
    const run = runSync([], { SYNC_TABLE_CONFIG: path.join(dir, 'bad.json') });
    assert.equal(await run.exited, 2);
    const lines = run.output().trim().split('\n');
    assert.equal(lines.length, 1, run.output());
    assert.match(lines[0]!, /bad\.json: .*orders; drop table x/);
    assert.ok(!run.output().includes(stack.source.serviceRoleKey));
  });
});
