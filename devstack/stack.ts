/**
 * The whole local stack: two real Postgres servers (source and target), a local Supabase API in
 * front of each, and a Temporal dev server with its UI (unless TEMPORAL_ADDRESS points elsewhere).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, type PostgresServer } from './postgres.js';
import { bootstrapDatabase } from './bootstrap.js';
import { applyMigrations } from './migrations.js';
import { startSupabaseApi } from './api.js';
import { startTemporalDevServer, waitForTemporal, type TemporalDevServer } from './temporal.js';
import { makeAnonKey, makeServiceRoleKey, newJwtSecret } from './keys.js';
import { freePort } from './ports.js';
import { guardPaths } from './guard.js';
import { DEFAULT_PLAN, PLANS, type PlanName } from './realtime/index.js';
import { localProject, type LocalProject, type ProjectName } from './project.js';

export interface StackPorts {
  sourceApi?: number;
  targetApi?: number;
  sourceDb?: number;
  targetDb?: number;
  temporal?: number;
  temporalUi?: number;
}

export interface StackOptions {
  /** Keep databases, keys and Temporal state here between runs. */
  persistDir?: string;
  ports?: StackPorts;
  /** Use this Temporal server instead of starting one (host:port). */
  temporalAddress?: string;
  temporalNamespace?: string;
  /** Start the Temporal Web UI (default true). */
  temporalUi?: boolean;
  /** Extra dynamic config for the Temporal dev server. */
  temporalDynamicConfig?: string[];
  /** More namespaces for the dev server to create (besides `temporalNamespace`). */
  temporalExtraNamespaces?: string[];
  /** Storage's global upload limit in bytes for both projects (default: hosted's 50 MiB). */
  storageFileSizeLimit?: number;
  /**
   * Grant new tables in public to anon, authenticated and service_role by default, as hosted
   * projects made before 2026-10-30 did (default false: no automatic grants, as hosted today).
   */
  legacyGrants?: boolean;
  /** The hosted plan whose Realtime quotas both projects enforce (default free). */
  realtimePlan?: PlanName;
  /** Realtime: how long after `SUBSCRIBED` a postgres_changes subscription takes effect (default 1 s). */
  realtimeSubscribeDelayMs?: number;
  log?: (line: string) => void;
}

export interface StackProject {
  url: string;
  serviceRoleKey: string;
  /** The project's anon key: REST requests with it alone run as `anon` (Realtime and Storage take only the service role key). */
  anonKey: string;
  /** The project's JWT secret, which signs its keys and its users' tokens (keys.ts `userAccessToken`). */
  jwtSecret: string;
  /** As `postgres`, the user's role: NOT a superuser, as on hosted projects. */
  databaseUrl: string;
  /** As the superuser `supabase_admin`, which hosted projects never give out: for tests' setup only. */
  adminDatabaseUrl: string;
  /** Where the project's Storage keeps object bytes (removed on stop unless persisted). */
  storageDir: string;
}

export interface Stack {
  source: StackProject;
  target: StackProject;
  temporal: { address: string; namespace: string; uiUrl?: string; started: boolean };
  /** The hosted plan whose Realtime quotas the projects enforce. */
  realtimePlan: PlanName;
  /** The env file lines (KEY=value) a sync worker and the tests read. */
  env: Record<string, string>;
  /** Each project as a unit to stop and start again (its API and Postgres): project.ts. */
  projects: Record<ProjectName, LocalProject>;
  stop(): Promise<void>;
}

interface Keys {
  source: string;
  target: string;
}

async function loadOrCreateSecrets(persistDir: string | undefined): Promise<Keys> {
  const fresh = { source: newJwtSecret(), target: newJwtSecret() };
  if (!persistDir) return fresh;
  const file = path.join(persistDir, 'jwt-secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Keys;
  } catch {
    await writeFile(file, JSON.stringify(fresh), { mode: 0o600 });
    return fresh;
  }
}

/**
 * Starts a server on `port`, or on a free one: a port found free can be taken by another process
 * before the server binds it (tests and benchmarks start stacks side by side), so a server that
 * finds its free port in use starts again on another, up to three times. A port asked for is not
 * changed.
 */
async function startOnFreePort<T>(port: number | undefined, start: (port: number) => Promise<T>): Promise<T> {
  if (port !== undefined) return start(port);
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (attempt >= 3 || !/address already in use/i.test(String(error))) throw error;
    }
  }
}

/**
 * Waits for servers started side by side. When one fails (a Ctrl-C ended its initdb), the others
 * still finish starting, so that the stack's stop finds each of them and stops it before the
 * failure is reported: nothing is left to its guard.
 */
async function allStarted<T extends readonly unknown[]>(starts: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const persistDir = options.persistDir ? path.resolve(options.persistDir) : undefined;
  if (persistDir) await mkdir(persistDir, { recursive: true });
  const ports = options.ports ?? {};
  // What uses the servers (the APIs) stops first, in reverse order; then the servers and the
  // temporary directories (each under a guard: guard.ts) all at once.
  const cleanups: Array<() => Promise<void>> = [];
  const servers: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    const failed = (error: unknown) => log(`cleanup failed: ${String(error)}`);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(failed);
    await Promise.all(servers.splice(0).map((stopServer) => stopServer().catch(failed)));
  };
  try {
    const secrets = await loadOrCreateSecrets(persistDir);
    const namespace = options.temporalNamespace ?? 'default';
    const realtimePlan = options.realtimePlan ?? DEFAULT_PLAN;

    const startDb = async (name: 'source' | 'target', port: number | undefined): Promise<PostgresServer> => {
      const server = await startOnFreePort(port, (p) =>
        startPostgres({
          port: p,
          dataDir: persistDir ? path.join(persistDir, `${name}-postgres`) : undefined,
        }),
      );
      servers.push(() => server.stop());
      await bootstrapDatabase({
        adminUrl: server.adminUrl,
        password: server.password,
        legacyGrants: options.legacyGrants,
      });
      // As a user applies them on a hosted project: as postgres, which then owns the functions.
      const applied = await applyMigrations(server.url);
      for (const m of applied) log(`${name}: applied migration ${m.version}_${m.name}`);
      return server;
    };
    const startTemporal = async (): Promise<TemporalDevServer | undefined> => {
      if (options.temporalAddress) {
        await waitForTemporal(options.temporalAddress, namespace, 10_000);
        return undefined;
      }
      const server = await startOnFreePort(ports.temporal, async (port) =>
        startTemporalDevServer({
          port,
          uiPort: options.temporalUi === false ? undefined : (ports.temporalUi ?? (await freePort())),
          namespace,
          dbFilename: persistDir ? path.join(persistDir, 'temporal.sqlite') : undefined,
          dynamicConfig: options.temporalDynamicConfig,
          extraNamespaces: options.temporalExtraNamespaces,
          log: (line) => log(`temporal: ${line}`),
        }),
      );
      servers.push(() => server.stop());
      return server;
    };

    const [sourceDb, targetDb, temporal] = await allStarted([
      startDb('source', ports.sourceDb),
      startDb('target', ports.targetDb),
      startTemporal(),
    ] as const);

    const storageDir = async (name: string): Promise<string> => {
      if (persistDir) {
        const dir = path.join(persistDir, `${name}-storage`);
        await mkdir(dir, { recursive: true });
        return dir;
      }
      const dir = await mkdtemp(path.join(os.tmpdir(), `supabase-sync-${name}-storage-`));
      const guard = guardPaths([dir]);
      servers.push(() => guard.stop());
      return dir;
    };
    const startApi = async (
      name: ProjectName,
      db: PostgresServer,
      secret: string,
      port: number | undefined,
    ): Promise<{ url: string; storageDir: string; project: LocalProject }> => {
      const dir = await storageDir(name);
      // Started again, after `npm run stack -- stop NAME`, on the same port and storage folder.
      const openOn = (apiPort: number) =>
        startSupabaseApi({
          databaseUrl: db.url,
          jwtSecret: secret,
          port: apiPort,
          name,
          storageDir: dir,
          storageFileSizeLimit: options.storageFileSizeLimit,
          realtimePlan: PLANS[realtimePlan],
          realtimeSubscribeDelayMs: options.realtimeSubscribeDelayMs,
        });
      const api = await startOnFreePort(port, openOn);
      const project = localProject(name, db, api, () => openOn(Number(new URL(api.url).port)));
      cleanups.push(() => project.close());
      return { url: api.url, storageDir: dir, project };
    };
    const [sourceApi, targetApi] = await allStarted([
      startApi('source', sourceDb, secrets.source, ports.sourceApi),
      startApi('target', targetDb, secrets.target, ports.targetApi),
    ]);

    const source = {
      url: sourceApi.url,
      serviceRoleKey: makeServiceRoleKey(secrets.source),
      anonKey: makeAnonKey(secrets.source),
      jwtSecret: secrets.source,
      databaseUrl: sourceDb.url,
      adminDatabaseUrl: sourceDb.adminUrl,
      storageDir: sourceApi.storageDir,
    };
    const target = {
      url: targetApi.url,
      serviceRoleKey: makeServiceRoleKey(secrets.target),
      anonKey: makeAnonKey(secrets.target),
      jwtSecret: secrets.target,
      databaseUrl: targetDb.url,
      adminDatabaseUrl: targetDb.adminUrl,
      storageDir: targetApi.storageDir,
    };
    const temporalInfo = {
      address: temporal?.address ?? options.temporalAddress!,
      namespace,
      uiUrl: temporal?.uiUrl,
      started: temporal !== undefined,
    };
    const env: Record<string, string> = {
      SYNC_SOURCE_SUPABASE_URL: source.url,
      SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: source.serviceRoleKey,
      SYNC_TARGET_SUPABASE_URL: target.url,
      SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: target.serviceRoleKey,
      TEMPORAL_ADDRESS: temporalInfo.address,
      TEMPORAL_NAMESPACE: namespace,
      STACK_SOURCE_DATABASE_URL: source.databaseUrl,
      STACK_TARGET_DATABASE_URL: target.databaseUrl,
      STACK_SOURCE_ADMIN_DATABASE_URL: source.adminDatabaseUrl,
      STACK_TARGET_ADMIN_DATABASE_URL: target.adminDatabaseUrl,
      STACK_SOURCE_ANON_KEY: source.anonKey,
      STACK_TARGET_ANON_KEY: target.anonKey,
      STACK_SOURCE_JWT_SECRET: source.jwtSecret,
      STACK_TARGET_JWT_SECRET: target.jwtSecret,
      STACK_REALTIME_PLAN: realtimePlan,
    };
    const projects = { source: sourceApi.project, target: targetApi.project };
    return { source, target, temporal: temporalInfo, realtimePlan, env, projects, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
