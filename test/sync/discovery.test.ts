/**
 * No table left out by accident: `npm run sync` with table patterns (`include`/`exclude`) syncs the
 * tables they select with the key read from the source's catalog (a composite one too), finds a
 * table created on the source while it runs, and says which tables on the source it does not sync.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { waitInSync } from '../support/compare.js';
import { waitFor } from '../support/wait.js';
import { spawnSyncProcess, type SyncProcess } from '../support/sync-process.js';
import { closeDatabases, db } from '../support/db.js';
import { envFileText, testStack, testTmpDir } from '../support/stack-env.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stack = testStack();
const x = randomBytes(3).toString('hex');
const taskQueue = `disc-${x}`;
const names = {
  plain: `disc_${x}_orders`,
  composite: `disc_${x}_lines`,
  later: `disc_${x}_later`,
  skipped: `disc_${x}_skip_tmp`,
};
let dir: string;
let worker: SyncProcess | undefined;

async function both(sql: string): Promise<void> {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) await db(url).query(sql);
}

before(async () => {
  dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-disc-'));
  await writeFile(path.join(dir, 'sync.env'), envFileText(taskQueue, ['SYNC_DISCOVERY_INTERVAL_MS=1000']));
  await writeFile(
    path.join(dir, 'tables.json'),
    JSON.stringify({
      include: [`public.disc_${x}_*`],
      exclude: [`public.disc_${x}_skip*`],
      tables: [{ name: names.plain, realtime: false }],
    }),
  );
  await both(
    `CREATE TABLE public.${names.plain} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  await both(
    `CREATE TABLE public.${names.composite} (order_id bigint, line int, note text, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (order_id, line))`,
  );
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${names.plain} (id, note) SELECT g, 'o' || g FROM generate_series(1, 50) g`,
  );
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${names.composite} (order_id, line, note) SELECT g / 3, g % 3, 'l' || g FROM generate_series(1, 60) g`,
  );
  worker = spawnSyncProcess(dir);
});

after(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  const client = new Client({ connection: await Connection.connect({ address: stack.temporal.address }) });
  for (const n of Object.values(names)) {
    await client.workflow
      .getHandle(`table-sync:public.${n}`)
      .terminate('test finished')
      .catch(() => undefined);
  }
  await client.connection.close();
  await closeDatabases();
  await rm(dir, { recursive: true, force: true });
});

/** A table's entry of `status --json` (the entries of the app's differing objects have no `table`). */
interface CliStatusEntry {
  table?: string;
  state: string;
  realtime?: { connected: boolean };
  lastPass?: { kind: string } | null;
}

/** `supabase-sync status --json` as a user runs it, with the same configuration. */
async function cliStatus(): Promise<CliStatusEntry[]> {
  const cli = spawn(process.execPath, ['bin/supabase-sync.mjs', 'status', '--json'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SYNC_ENV_PATH: path.join(dir, 'sync.env'),
      SYNC_TABLE_CONFIG: path.join(dir, 'tables.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
  cli.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
  assert.equal(code, 0, `${out}\n${err}`);
  return JSON.parse(out) as CliStatusEntry[];
}

const output = () => worker?.output() ?? '';

function logLines(): Array<{ level: string; msg: string }> {
  return output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; msg: string });
}

test('patterns select tables, keys come from the catalog, an entry overrides settings', async () => {
  await waitInSync(`public.${names.plain}`, { timeoutMs: 30_000 });
  await waitInSync(`public.${names.composite}`, { key: ['order_id', 'line'], timeoutMs: 30_000 });
  assert.ok(
    logLines().some((l) => l.msg.includes(`public.${names.composite}: started`)),
    `the pattern selected the composite-key table:\n${output()}`,
  );
});

test('a table created on the source while the worker runs is found and synced; an excluded one is listed as not synced', async () => {
  await both(
    `CREATE TABLE public.${names.later} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), note text, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  await db(stack.source.databaseUrl).query(`CREATE TABLE public.${names.skipped} (id int PRIMARY KEY)`);
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${names.later} (note) SELECT 'n' || g FROM generate_series(1, 20) g`,
  );
  await waitInSync(`public.${names.later}`, { timeoutMs: 30_000 });
  assert.ok(
    logLines().some((l) =>
      l.msg.includes(`public.${names.later}: a new table on the source that the tables file selects`),
    ),
    output(),
  );
  // `status` lists it as on the source, not synced (the worker's log says so too).
  const status = await cliStatus();
  const mine = status.filter((s) => s.table?.includes(x));
  assert.ok(
    mine.some((s) => s.table === `public.${names.skipped}` && s.state === 'not synced'),
    JSON.stringify(mine),
  );
  assert.ok(
    mine.some((s) => s.table === `public.${names.later}` && s.state === 'running'),
    JSON.stringify(mine),
  );
  // Realtime is on for the new table (the default): once its feed is live and the catch-up pass it
  // asks for has run, passes are 5 minutes apart (SYNC_RECONCILE_INTERVAL_LIVE_MS), so a change that
  // reaches the target within seconds came through the feed. The change moves updated_at as apps
  // do: a change that keeps it cannot be ordered against a pass that read the row just before it.
  await waitFor(
    async () => {
      const s = (await cliStatus()).find((e) => e.table === `public.${names.later}`);
      return s?.realtime?.connected === true && s.lastPass?.kind === 'catch-up';
    },
    {
      timeoutMs: 30_000,
      intervalMs: 500,
      message: "the new table's feed is not live, or its catch-up pass has not run",
    },
  );
  await db(stack.source.databaseUrl).query(
    `UPDATE public.${names.later} SET note = 'changed', updated_at = now()`,
  );
  await waitInSync(`public.${names.later}`, { timeoutMs: 10_000 });
});
