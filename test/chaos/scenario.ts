/**
 * One chaos run: a randomized workload on the source while faults are injected into everything
 * between the two projects, then a deadline for the target to equal the source, row by row.
 *
 *   - the worker is `npm run sync` (`node bin/run.mjs src/sync.ts`), a child process configured by
 *     an env file and a tables config as a user would; it is SIGKILLed mid-batch and restarted;
 *   - Temporal is a dev server of the run's own (SQLite file), stopped and started on the same port;
 *   - Realtime sockets are dropped (the local API's drop endpoint, or the proxy cutting them);
 *   - the target API answers 503 or hangs in bursts; the source API is slow (fault proxies).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from '../../devstack/temporal.js';
import { freePort } from '../../devstack/ports.js';
import { statusQuery } from '../../src/workflows/messages.js';
import { FaultProxy } from './proxy.js';
import { appWorkload, createAppWorkload, dropAppWorkload, runAppWorkload } from './app-workload.js';
import {
  Rng,
  compareTable,
  qualified,
  createWorkloadTables,
  describeDiff,
  dropWorkloadTables,
  runWorkload,
  workloadTables,
  type TableDiff,
  type WorkloadStats,
} from './workload.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ChaosProject {
  url: string;
  serviceRoleKey: string;
  databaseUrl: string;
}

export const FAULTS = [
  'kill-worker',
  'restart-temporal',
  'drop-realtime',
  'target-503',
  'target-hang',
  'source-slow',
  'proxy-cut-websockets',
] as const;
export type Fault = (typeof FAULTS)[number];

export interface ChaosOptions {
  source: ChaosProject;
  target: ChaosProject;
  seed: number;
  /** How long the workload (and the faults) run. */
  durationMs: number;
  /** The target must equal the source within this long after the faults stop. */
  convergeTimeoutMs: number;
  faults: readonly Fault[];
  /** 'random' (default): each fault drawn from `faults`; 'cycle': `faults` in order, round and round. */
  faultOrder?: 'random' | 'cycle';
  /** Mean pause between two faults. */
  faultEveryMs?: number;
  clients?: number;
  /** A Temporal server to use (and restart); by default the run starts one of its own. */
  temporal?: RestartableTemporal;
  /** Include the workload operation that reproduces a known, unfixed bug (see workload.ts). */
  reinsertAfterConcurrentDelete?: boolean;
  /** 'classic' (default): workload.ts's three tables; 'app': a SaaS app's schema (app-workload.ts). */
  workload?: 'classic' | 'app';
  /** Keep the run's directory (worker logs, env file) even when it passes. */
  keepArtifacts?: boolean;
  log?: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  ok: boolean;
  convergeMs: number | null;
  faults: Array<{ at: number; fault: Fault; detail: string }>;
  workload: WorkloadStats;
  workerStarts: number;
  unexpectedWorkerExits: Array<{ code: number | null; signal: string | null }>;
  diffs: TableDiff[];
  proxies: { source: FaultProxy['stats']; target: FaultProxy['stats'] };
  artifacts: string | null;
  summary: string;
}

/** A Temporal dev server that keeps its state in a SQLite file, so it can be stopped and started again. */
export class RestartableTemporal {
  private server: TemporalDevServer | undefined;
  private constructor(
    readonly port: number,
    private readonly dbFilename: string,
    private readonly log: (line: string) => void,
  ) {}

  static async start(dir: string, log: (line: string) => void = () => {}): Promise<RestartableTemporal> {
    const t = new RestartableTemporal(await freePort(), path.join(dir, 'temporal.sqlite'), log);
    await t.up();
    return t;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (this.server) return;
    this.server = await startTemporalDevServer({
      port: this.port,
      dbFilename: this.dbFilename,
      log: (line) => this.log(`temporal: ${line}`),
    });
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  async restart(downMs: number): Promise<void> {
    await this.down();
    await new Promise((r) => setTimeout(r, downMs));
    // The port may linger for a moment after the old process exits.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.up();
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

/** The worker as a user runs it: `npm run sync`, with an env file and a tables config. */
class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private expectExit = false;
  starts = 0;
  readonly unexpectedExits: Array<{ code: number | null; signal: string | null }> = [];
  private readonly logFile: WriteStream;

  constructor(
    private readonly dir: string,
    private readonly onUnexpectedExit: () => void,
  ) {
    this.logFile = createWriteStream(path.join(dir, 'worker.log'), { flags: 'a' });
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child) return;
    this.starts++;
    this.expectExit = false;
    this.logFile.write(`\n===== worker start #${this.starts} at ${new Date().toISOString()} =====\n`);
    const child = spawn(process.execPath, ['bin/run.mjs', 'src/sync.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SYNC_ENV_PATH: path.join(this.dir, 'sync.env'),
        SYNC_TABLE_CONFIG: path.join(this.dir, 'tables.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.logFile, { end: false });
    child.stderr?.pipe(this.logFile, { end: false });
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.logFile.write(`===== worker exit code=${code} signal=${signal} =====\n`);
        if (this.child === child) this.child = undefined;
        if (!this.expectExit) {
          this.unexpectedExits.push({ code, signal });
          this.onUnexpectedExit();
        }
        resolve();
      }),
    );
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectExit = true;
    child.kill(signal);
    await this.exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectExit = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.kill('SIGKILL');
    await new Promise<void>((resolve) => this.logFile.end(resolve));
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs one chaos scenario against the given projects. Temporal is started here (and stopped at the
 * end). Nothing is left running when it resolves.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const rng = new Rng(options.seed);
  const faultRng = rng.fork();
  const workloadRng = rng.fork();
  const suffix = `${options.seed.toString(36)}_${randomBytes(3).toString('hex')}`;
  const classic = workloadTables(suffix);
  const app = options.workload === 'app' ? appWorkload(suffix) : undefined;
  const tables = { all: app ? app.tables : classic.all };
  const dir = await mkdtemp(path.join(os.tmpdir(), `supabase-sync-chaos-${options.seed}-`));
  const source = new pg.Pool({
    connectionString: options.source.databaseUrl,
    max: (options.clients ?? 3) + 3,
  });
  const target = new pg.Pool({ connectionString: options.target.databaseUrl, max: 3 });
  source.on('error', () => undefined);
  target.on('error', () => undefined);
  const sourceProxy = new FaultProxy(options.source.url, 'source');
  const targetProxy = new FaultProxy(options.target.url, 'target');
  const faults: ChaosResult['faults'] = [];
  const started = Date.now();
  let temporal: RestartableTemporal | undefined;
  let worker: WorkerProcess | undefined;
  let client: Client | undefined;
  let ok = false;
  let convergeMs: number | null = null;
  let diffs: TableDiff[] = [];
  let workload: WorkloadStats = { ops: 0, failed: 0, byKind: {} };
  let summary = '';
  let restarting = false;

  try {
    temporal =
      options.temporal ??
      (await RestartableTemporal.start(dir, (line) => {
        if (process.env.CHAOS_VERBOSE) log(line);
      }));
    await temporal.up();
    await Promise.all([sourceProxy.listen(), targetProxy.listen()]);
    if (app)
      await createAppWorkload(
        app,
        options.source.databaseUrl,
        options.target.databaseUrl,
        source,
        rng.fork(),
      );
    else await createWorkloadTables(source, target, classic, rng.fork());
    const taskQueue = `chaos-${suffix}`;
    await writeFile(
      path.join(dir, 'sync.env'),
      [
        `SYNC_SOURCE_SUPABASE_URL=${sourceProxy.url}`,
        `SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY=${options.source.serviceRoleKey}`,
        `SYNC_TARGET_SUPABASE_URL=${targetProxy.url}`,
        `SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=${options.target.serviceRoleKey}`,
        `TEMPORAL_ADDRESS=${temporal.address}`,
        `TEMPORAL_TASK_QUEUE=${taskQueue}`,
        'SYNC_RECONCILE_INTERVAL_MS=1500',
        'SYNC_RECONCILE_LOOKBACK_MS=20000',
        'SYNC_RECONCILE_BATCH_SIZE=40',
        'SYNC_LOG_LEVEL=info',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    await writeFile(
      path.join(dir, 'tables.json'),
      JSON.stringify({
        tables: tables.all.map((t) => ({ name: qualified(t.name), primaryKeys: t.primaryKeys })),
      }),
    );

    const w = new WorkerProcess(dir, () => {
      // A worker that dies on its own is a finding; a supervisor (systemd, Docker) would restart it.
      log(`worker exited unexpectedly: ${JSON.stringify(w.unexpectedExits.at(-1))}; restarting it`);
      if (!restarting) setTimeout(() => w.start(), 1000).unref();
    });
    worker = w;
    w.start();
    client = new Client({
      connection: await Connection.connect({ address: temporal.address }),
    });

    // The workload starts at once (changes during the first copy); the faults start when the worker
    // writes to the target (it bundles the workflow code first), and both run `durationMs` from then.
    let workloadDone = Date.now() + 60_000 + options.durationMs;
    const workloadRun = app
      ? runAppWorkload({
          w: app,
          source,
          target,
          rng: workloadRng,
          clients: options.clients ?? 3,
          until: () => workloadDone,
          log,
        })
      : runWorkload({
          source,
          tables: classic,
          rng: workloadRng,
          clients: options.clients ?? 3,
          until: () => workloadDone,
          longTxMs: 6000,
          reinsertAfterConcurrentDelete: options.reinsertAfterConcurrentDelete,
          log,
        });

    const at = () => Date.now() - started;
    const inject = async (fault: Fault): Promise<string> => {
      switch (fault) {
        case 'kill-worker': {
          // Mid-batch: wait (briefly) for a write to the target to be in flight, then SIGKILL.
          const midWrite = await targetProxy.waitForInFlight((r) => r.path.includes('/rpc/sync_apply'), 3000);
          restarting = true;
          await w.kill('SIGKILL');
          const down = faultRng.int(200, 3000);
          await sleep(down);
          w.start();
          restarting = false;
          return `${midWrite ? 'during a target write' : 'no write in flight'}; down ${down} ms`;
        }
        case 'restart-temporal': {
          const down = faultRng.int(200, 3000);
          await temporal!.restart(down);
          return `down ${down} ms (+ start-up)`;
        }
        case 'drop-realtime': {
          const response = await fetch(`${options.source.url}/_devstack/realtime/drop`, {
            method: 'POST',
            headers: { apikey: options.source.serviceRoleKey },
          });
          return `drop endpoint: ${response.status} ${await response.text()}`;
        }
        case 'target-503': {
          const ms = faultRng.int(500, 5000);
          targetProxy.fault('503', ms);
          return `${ms} ms`;
        }
        case 'target-hang': {
          const ms = faultRng.int(500, 5000);
          targetProxy.fault('hang', ms);
          return `${ms} ms`;
        }
        case 'source-slow': {
          const ms = faultRng.int(1000, 6000);
          const latency = faultRng.int(100, 1500);
          sourceProxy.fault('latency', ms, latency);
          return `+${latency} ms per request for ${ms} ms`;
        }
        case 'proxy-cut-websockets':
          return `${sourceProxy.dropWebSockets()} socket(s) cut`;
      }
    };
    const faultLoop = async () => {
      const every = options.faultEveryMs ?? 3000;
      // Let the worker start (it bundles the workflow code first) and the first copy begin.
      const ready = Date.now() + 60_000;
      while (targetProxy.stats.requests === 0 && Date.now() < ready) await sleep(100);
      workloadDone = Date.now() + options.durationMs;
      log(`  +${(at() / 1000).toFixed(1)}s the worker writes to the target`);
      await sleep(faultRng.int(200, 1500));
      while (Date.now() < workloadDone - 500 && options.faults.length > 0) {
        const fault =
          options.faultOrder === 'cycle'
            ? options.faults[faults.length % options.faults.length]!
            : faultRng.pick(options.faults);
        const when = at();
        const detail = await inject(fault);
        faults.push({ at: when, fault, detail });
        log(`  +${(when / 1000).toFixed(1)}s fault ${fault}: ${detail}`);
        await sleep(faultRng.int(every / 2, (every * 3) / 2));
      }
    };
    const [stats] = await Promise.all([workloadRun, faultLoop()]);
    workload = stats;

    // Faults stop: every proxy forwards again, Temporal and the worker run.
    sourceProxy.clearFaults();
    targetProxy.clearFaults();
    await temporal.up();
    if (!w.running) w.start();
    const quietAt = Date.now();
    log(
      `  faults stopped at +${((quietAt - started) / 1000).toFixed(1)}s: ${faults.length} injected, ${workload.ops} operations (${workload.failed} refused by the source)`,
    );

    const deadline = quietAt + options.convergeTimeoutMs;
    for (;;) {
      diffs = [];
      for (const t of tables.all) {
        const d = await compareTable(source, target, t);
        if (d) diffs.push(d);
      }
      if (diffs.length === 0) {
        convergeMs = Date.now() - quietAt;
        ok = true;
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(250);
    }
    if (ok) {
      summary = `seed ${options.seed}: converged ${(convergeMs! / 1000).toFixed(2)} s after the faults stopped (${faults.length} faults, ${workload.ops} ops, worker started ${w.starts}x; source proxy ${JSON.stringify(sourceProxy.stats)}, target proxy ${JSON.stringify(targetProxy.stats)})`;
    } else {
      const statuses: string[] = [];
      for (const t of tables.all) {
        const status = await client.workflow
          .getHandle(`table-sync:${qualified(t.name)}`)
          .query(statusQuery)
          .then((s) => JSON.stringify(s))
          .catch((e: unknown) => String(e));
        statuses.push(`  status ${t.name}: ${status}`);
      }
      summary = [
        `seed ${options.seed}: NOT converged within ${options.convergeTimeoutMs / 1000} s after the faults stopped`,
        ...diffs.map((d) => describeDiff(d)),
        ...statuses,
        `  artifacts (worker log, env, tables): ${dir}`,
      ].join('\n');
    }
  } catch (error) {
    summary = `seed ${options.seed}: the run itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n  artifacts: ${dir}`;
    ok = false;
  } finally {
    restarting = true;
    await worker?.close().catch(() => undefined);
    for (const t of tables.all) {
      await client?.workflow
        .getHandle(`table-sync:${qualified(t.name)}`)
        .terminate('chaos run finished')
        .catch(() => undefined);
    }
    await client?.connection.close().catch(() => undefined);
    if (!options.temporal) await temporal?.down().catch(() => undefined);
    await Promise.all([sourceProxy.close(), targetProxy.close()]);
    if (ok) {
      await (
        app ? dropAppWorkload(app, [source, target]) : dropWorkloadTables([source, target], classic)
      ).catch(() => undefined);
    }
    await Promise.all([source.end(), target.end()]);
    if (ok && !options.keepArtifacts) await rm(dir, { recursive: true, force: true });
  }
  return {
    seed: options.seed,
    ok,
    convergeMs,
    faults,
    workload,
    workerStarts: worker?.starts ?? 0,
    unexpectedWorkerExits: worker?.unexpectedExits ?? [],
    diffs,
    proxies: { source: sourceProxy.stats, target: targetProxy.stats },
    artifacts: ok && !options.keepArtifacts ? null : dir,
    summary,
  };
}

/** The tail of a run's worker log (for failure reports). */
export async function workerLogTail(dir: string, lines = 40): Promise<string> {
  const text = await readFile(path.join(dir, 'worker.log'), 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}
