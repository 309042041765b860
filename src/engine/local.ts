/**
 * `npm start`'s conveniences for this machine: an embedded Temporal dev server (state in
 * .temporal/temporal.sqlite, so a restart resumes) when no TEMPORAL_ADDRESS is given, and the demo
 * on a local stack (kept in .stack/demo) when there is no env file. The only module of src/ that
 * uses devstack/, a development tool, and only when `npm start` needs it (loaded lazily).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, loadConfig, readEnvSources, type SyncConfig } from '../config/index.js';
import { runSync } from './run-sync.js';

const DEMO_TABLE = 'demo_orders';

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

/** `npm start` with an env file: `npm run sync`, with an embedded Temporal dev server unless TEMPORAL_ADDRESS is set. */
export async function syncWithEnvFile(): Promise<number> {
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
  if (temporalAddressGiven()) return runSync({ config });
  const temporal = await startEmbeddedTemporal(path.resolve('.temporal'));
  console.log(
    `embedded Temporal dev server at ${temporal.address} (state in .temporal/temporal.sqlite); UI ${temporal.uiUrl}`,
  );
  try {
    return await runSync({
      config: { ...config, temporal: { ...config.temporal, address: temporal.address } },
    });
  } finally {
    await temporal.stop();
  }
}

/**
 * `npm start` without an env file: a sample table on both projects of a local stack, the sync
 * running, and changes written on the source shown arriving on the target with their lag.
 */
export async function demo(options: {
  dataDir: string;
  changes?: number;
  intervalMs: number;
}): Promise<number> {
  const { startStack, writeEnvFile } = await import('../../devstack/stack.js');
  const { default: pg } = await import('pg');
  console.log(`no .env.sync here: starting the demo on a local stack (data in ${options.dataDir}) …`);
  const stack = await startStack({ persistDir: options.dataDir, log: () => {} });
  const ddl = `CREATE TABLE IF NOT EXISTS public.${DEMO_TABLE} (
    id bigint PRIMARY KEY, customer text NOT NULL, status text NOT NULL, total numeric(10,2) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now())`;
  const source = new pg.Pool({ connectionString: stack.source.databaseUrl, max: 2 });
  const target = new pg.Pool({ connectionString: stack.target.databaseUrl, max: 2 });
  let stopping = false;
  try {
    await source.query(ddl);
    await target.query(ddl);
    await source.query(
      `INSERT INTO public.${DEMO_TABLE} (id, customer, status, total)
       SELECT g, 'customer ' || g, 'new', round((random() * 100)::numeric, 2) FROM generate_series(1, 1000) g
       ON CONFLICT DO NOTHING`,
    );
    const envFile = path.join(options.dataDir, 'env.sync');
    const tablesFile = path.join(options.dataDir, 'tables.config.json');
    await writeEnvFile(envFile, { ...stack.env, SYNC_RECONCILE_INTERVAL_MS: '10000' });
    await writeFile(
      tablesFile,
      JSON.stringify({ tables: [{ name: `public.${DEMO_TABLE}`, primaryKeys: ['id'] }] }, null, 2) + '\n',
    );
    console.log(
      `Temporal UI: ${stack.temporal.uiUrl ?? '(headless)'}  — look for workflow table-sync:public.${DEMO_TABLE}`,
    );
    console.log(
      `inspect it: SYNC_ENV_PATH=${envFile} SYNC_TABLE_CONFIG=${tablesFile} npx supabase-sync status`,
    );

    // The demo prints its own lines; the worker's JSON log shows warnings only (SYNC_LOG_LEVEL overrides).
    const config = loadConfig({
      env: { SYNC_LOG_LEVEL: 'warn', ...process.env, SYNC_ENV_PATH: envFile, SYNC_TABLE_CONFIG: tablesFile },
    });
    const shutdown = new AbortController();
    const syncing = runSync({ config, signal: shutdown.signal });

    // Write on the source, watch the target.
    let nextId = Number(
      (await source.query<{ n: string }>(`SELECT coalesce(max(id), 0) + 1 AS n FROM public.${DEMO_TABLE}`))
        .rows[0]!.n,
    );
    let done = 0;
    const statuses = ['paid', 'packed', 'shipped', 'delivered'];
    const ready = async () =>
      (await target.query(`SELECT count(*)::int AS n FROM public.${DEMO_TABLE}`)).rows[0] as { n: number };
    const deadline = Date.now() + 120_000;
    while ((await ready()).n < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    console.log(`initial copy: ${(await ready()).n} rows on the target`);
    const stop = () => {
      stopping = true;
      shutdown.abort();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    while (!stopping && (options.changes === undefined || done < options.changes)) {
      const update = done % 2 === 1;
      const id = update ? 1 + Math.floor(Math.random() * 1000) : nextId++;
      const status = statuses[done % statuses.length]!;
      const sql = update
        ? `UPDATE public.${DEMO_TABLE} SET status = $2, updated_at = now() WHERE id = $1 RETURNING updated_at`
        : `INSERT INTO public.${DEMO_TABLE} (id, customer, status, total) VALUES ($1::bigint, 'customer ' || $1::bigint, $2, 42.00) RETURNING updated_at`;
      const committed = Date.now();
      await source.query(sql, [id, status]);
      let arrived: number | undefined;
      while (arrived === undefined && Date.now() - committed < 10_000) {
        const { rows } = await target.query(`SELECT status FROM public.${DEMO_TABLE} WHERE id = $1`, [id]);
        if ((rows[0] as { status?: string } | undefined)?.status === status) arrived = Date.now();
        else await new Promise((r) => setTimeout(r, 5));
      }
      console.log(
        arrived === undefined
          ? `${update ? 'update' : 'insert'} order ${id} → ${status}: not on the target after 10 s`
          : `${update ? 'update' : 'insert'} order ${id} → ${status}: on the target after ${arrived - committed} ms`,
      );
      done += 1;
      const wait = Date.now() + options.intervalMs;
      while (!stopping && Date.now() < wait) await new Promise((r) => setTimeout(r, 50));
    }
    shutdown.abort(); // the worker shuts down gracefully
    return await syncing;
  } finally {
    await source.end();
    await target.end();
    await stack.stop();
  }
}
