/**
 * `npm start`'s conveniences for this machine: an embedded Temporal dev server (state in
 * .temporal/temporal.sqlite, so a restart resumes) when no TEMPORAL_ADDRESS is given, and the demo
 * on a local stack (kept in .stack/demo) when there is no env file. The only module of src/ that
 * uses devstack/, a development tool, and only when `npm start` needs it (loaded lazily).
 * Ctrl-C (SIGINT to the process group), SIGINT or SIGTERM (to npm or to this process), or the
 * death of the parent process, at any stage, stops the worker first, then the servers it needs
 * (their own process group: the terminal's Ctrl-C does not reach them; under guards: they never
 * outlive this process), and prints a short summary; a second Ctrl-C only says it is stopping.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, loadConfig, projectsLine, readEnvSources } from '../config/index.js';
import type { SyncConfig } from '../contracts/config.js';
import { errorMessage } from '../core/errors.js';
import { formatSeconds } from '../core/format.js';
import { DEMO_TABLE, writeChanges } from './demo-changes.js';
import { Lags } from './demo-lags.js';
import { showCopy } from './demo-copy.js';
import { demoLog } from './demo-log.js';
import { workflowIdFor } from '../workflows/ids.js';
import type { DashboardStarter } from './run-context.js';
import { runSync } from './run-sync.js';
import { listenForStop, type StopSignals } from './stop-signals.js';

const demoTable = { schema: 'public', table: DEMO_TABLE };

/** The env file `npm start` would use, if it exists. */
export function envFileGiven(): string | undefined {
  const file = path.resolve(process.env.SYNC_ENV_PATH ?? '.env.sync');
  return existsSync(file) ? file : undefined;
}

/** Was TEMPORAL_ADDRESS set by the user (environment or env file), rather than defaulted? */
function temporalAddressGiven(): boolean {
  return readEnvSources().values.TEMPORAL_ADDRESS !== undefined;
}

async function startEmbeddedTemporal(dataDir: string) {
  const { startTemporalDevServer } = await import('../../devstack/temporal.js');
  const { freePort } = await import('../../devstack/ports.js');
  await mkdir(dataDir, { recursive: true });
  const port = (await isFree(7233)) ? 7233 : await freePort();
  const uiPort = (await isFree(8233)) ? 8233 : await freePort();
  return startTemporalDevServer({ port, uiPort, dbFilename: path.join(dataDir, 'temporal.sqlite') });
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * SIGINT/SIGTERM (or the parent's death) from the start of `npm start`, saying what stops; a
 * second signal only says so.
 */
function stopSignals(what: string): StopSignals {
  return listenForStop({
    parent: true,
    first: (name) => console.log(`\n${name}: stopping (${what}) …`),
    again: (name) => console.log(`${name}: already stopping (${what}) …`),
  });
}

/** `npm start` with an env file: `npm run sync`, with an embedded Temporal dev server unless TEMPORAL_ADDRESS is set. */
export async function syncWithEnvFile(dashboard?: DashboardStarter): Promise<number> {
  let config: SyncConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`supabase-sync: ${error.message}`);
      return 2;
    }
    throw error;
  }
  console.log(projectsLine(config, readEnvSources()));
  if (temporalAddressGiven()) return runSync({ config, ...(dashboard ? { dashboard } : {}) });
  const stop = stopSignals('the worker first, then the embedded Temporal server');
  try {
    const temporal = await startEmbeddedTemporal(path.resolve('.temporal'));
    console.log(
      `embedded Temporal dev server at ${temporal.address} (state in .temporal/temporal.sqlite); UI ${temporal.uiUrl}`,
    );
    try {
      if (stop.signal.aborted) return 0;
      return await runSync({
        ...(dashboard ? { dashboard } : {}),
        config: { ...config, temporal: { ...config.temporal, address: temporal.address } },
        signal: stop.signal,
      });
    } finally {
      const began = Date.now();
      await temporal.stop();
      console.log(
        `embedded Temporal server stopped in ${formatSeconds(Date.now() - began)} (state kept in .temporal/temporal.sqlite: npm start resumes)`,
      );
    }
  } finally {
    stop.dispose();
  }
}

/**
 * `npm start` without an env file: a sample table on both projects of a local stack, the sync
 * running, and changes written on the source shown arriving on the target with their lag.
 */
interface DemoOptions {
  dataDir: string;
  changes?: number;
  intervalMs: number;
  /** Rows of the sample table (its first copy shows its progress). */
  rows: number;
  verbose: boolean;
  /** Serves the dashboard page (src/cli/dashboard-server.ts) from the demo's worker. */
  dashboard?: DashboardStarter;
}

export async function demo(options: DemoOptions): Promise<number> {
  const stop = stopSignals('the worker first, then the local stack');
  try {
    const { startStack } = await import('../../devstack/stack.js');
    console.log(`no .env.sync here: starting the demo on a local stack (data in ${options.dataDir}) …`);
    let stack: DemoStack;
    const starting = Date.now();
    try {
      stack = await startStack({ persistDir: options.dataDir, log: () => {} });
    } catch (error) {
      // Stopped while starting (a Ctrl-C can end initdb or a server as it starts): a stop, not a failure.
      if (stop.signal.aborted) {
        console.log(
          `demo stopped: no changes written; local stack stopped in ${formatSeconds(Date.now() - starting)} (it was still starting: ${errorMessage(error)})`,
        );
        return 0;
      }
      console.error(`supabase-sync: the demo could not start its local stack: ${errorMessage(error)}`);
      return 1;
    }
    const lags = new Lags();
    let code = 0;
    let workerStoppedIn: number | null = null;
    try {
      if (!stop.signal.aborted) {
        const outcome = await runDemo(stack, options, stop.signal, lags);
        code = outcome.code;
        workerStoppedIn = outcome.workerStoppedIn;
      }
    } finally {
      const began = Date.now();
      await stack.stop();
      console.log(
        `demo stopped: ${lags.summary()}; ${workerStoppedIn !== null ? `worker stopped in ${formatSeconds(workerStoppedIn)}, then ` : ''}local stack stopped in ${formatSeconds(Date.now() - began)} (data kept in ${options.dataDir}: npm start resumes)`,
      );
    }
    return code;
  } finally {
    stop.dispose();
  }
}

type DemoStack = Awaited<ReturnType<(typeof import('../../devstack/stack.js'))['startStack']>>;

/** The demo's env file (the local stack's projects) and tables file, in its data directory. */
async function writeDemoFiles(
  stack: DemoStack,
  dataDir: string,
): Promise<{ envFile: string; tablesFile: string }> {
  const { writeEnvFile } = await import('../../devstack/env-file.js');
  const envFile = path.join(dataDir, 'env.sync');
  const tablesFile = path.join(dataDir, 'tables.config.json');
  await writeEnvFile(envFile, {
    ...stack.env,
    SYNC_RECONCILE_INTERVAL_MS: '10000',
    SYNC_DASHBOARD_ADDRESS: (await isFree(9470)) ? '127.0.0.1:9470' : '127.0.0.1:0',
    ...(stack.temporal.uiUrl ? { TEMPORAL_UI_URL: stack.temporal.uiUrl } : {}),
  });
  await writeFile(
    tablesFile,
    JSON.stringify({ tables: [{ name: `public.${DEMO_TABLE}`, primaryKeys: ['id'] }] }, null, 2) + '\n',
  );
  return { envFile, tablesFile };
}

async function runDemo(
  stack: DemoStack,
  options: DemoOptions,
  stopping: AbortSignal,
  lags: Lags,
): Promise<{ code: number; workerStoppedIn: number | null }> {
  const { default: pg } = await import('pg');
  const ddl = `CREATE TABLE IF NOT EXISTS public.${DEMO_TABLE} (
    id bigint PRIMARY KEY, customer text NOT NULL, status text NOT NULL, total numeric(10,2) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now())`;
  const source = new pg.Pool({ connectionString: stack.source.databaseUrl, max: 2 });
  const target = new pg.Pool({ connectionString: stack.target.databaseUrl, max: 2 });
  // An idle connection the server ends (it stops after the pools) is not a crash.
  source.on('error', () => {});
  target.on('error', () => {});
  let syncing: Promise<number> | undefined;
  const shutdown = new AbortController();
  let failure: unknown;
  try {
    await source.query(ddl);
    await target.query(ddl);
    await source.query(
      `INSERT INTO public.${DEMO_TABLE} (id, customer, status, total)
       SELECT g, 'customer ' || g, 'new', round((random() * 100)::numeric, 2) FROM generate_series(1, $1::int) g
       ON CONFLICT DO NOTHING`,
      [options.rows],
    );
    const { envFile, tablesFile } = await writeDemoFiles(stack, options.dataDir);
    console.log(
      `Temporal UI: ${stack.temporal.uiUrl ?? '(headless)'}  — look for workflow table-sync:public.${DEMO_TABLE}`,
    );
    console.log(
      `inspect it: SYNC_ENV_PATH=${envFile} SYNC_TABLE_CONFIG=${tablesFile} npx supabase-sync status`,
    );
    if (stopping.aborted) return { code: 0, workerStoppedIn: null };

    // The demo prints its own lines; the worker's JSON log goes to a file unless asked for (demo-log.ts).
    const config = loadConfig({
      env: { ...process.env, SYNC_ENV_PATH: envFile, SYNC_TABLE_CONFIG: tablesFile },
    });
    const log = demoLog({ dataDir: options.dataDir, verbose: options.verbose, level: config.logLevel });
    if (log.file) console.log(`worker log: ${log.file} (--verbose shows it here)`);
    const ready = async () =>
      (await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${DEMO_TABLE}`)).rows[0]!.n;
    // Rows already on the target: a resume (the workflow goes on from its checkpoint), not a copy.
    const before = await ready();
    stopping.addEventListener('abort', () => shutdown.abort(), { once: true });
    syncing = runSync({
      config,
      logger: log.logger,
      signal: shutdown.signal,
      ...(options.dashboard ? { dashboard: options.dashboard } : {}),
      onDashboard: (url) => console.log(`dashboard: ${url}  — is the backup ready, and each table's lag`),
    });

    if (before >= options.rows)
      console.log(`resumed: ${before} rows were already on the target (nothing copied again)`);
    else {
      // The copy's progress as `status` shows it, until it is done (demo-copy.ts).
      const copy = await showCopy(config, `public.${DEMO_TABLE}`, workflowIdFor(demoTable), stopping);
      if (!stopping.aborted)
        console.log(`initial copy: ${copy?.done ? copy.line : `${await ready()} rows on the target`}`);
    }
    await writeChanges(source, target, options, stopping, lags);
  } catch (error) {
    failure = error;
  }
  // The worker first (it needs the stack), then the pools; the caller stops the stack.
  shutdown.abort();
  const began = Date.now();
  const code = syncing ? await syncing : 0;
  const workerStoppedIn = syncing ? Date.now() - began : null;
  await source.end();
  await target.end();
  if (failure === undefined || stopping.aborted) return { code, workerStoppedIn };
  console.error(`supabase-sync: the demo failed: ${errorMessage(failure)}`);
  return { code: 1, workerStoppedIn };
}
