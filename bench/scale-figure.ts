/**
 * The scale and soak figures for bench/run.ts. Both run the worker alone in a process of its own
 * (bench/worker-process.ts: `npm run sync` as a user runs it), so that its RSS is the worker's, not
 * the bench's clients'.
 * - scale: 1, 10 (50) and 200 tables sharing 100 changes/s; lag percentiles and the worker's RSS
 *   per table count, and the growth per added table (least-squares slope).
 * - soak: 200 tables under a steady change rate for `minutes`; RSS sampled every 10 s; the RSS at
 *   the end against the RSS at minute 5 (a leak grows it; PASS if within 10%).
 */
import type { SyncConfig, TableConfig } from '../src/contracts/config.js';
import { connectClient } from '../src/temporal/connection.js';
import { table } from '../test/support/sync.js';
import { createPair, load, q, round, sleep, type LagStats } from './lib.js';
import type { StackInfo } from './stack-process.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

export interface ScaleContext {
  stack: StackInfo;
  log(line: string): void;
  /** A config on the stack (its task queue is fresh on every call). */
  config(tables: TableConfig[]): SyncConfig;
  freshness(
    mode: string,
    names: string[],
    rows: number,
    rate: number,
    seconds: number,
  ): Promise<{ lag: LagStats; converged: boolean }>;
  nextTag(): number;
}

export interface ScaleRow {
  tables: number;
  lag: LagStats;
  /** The worker process's RSS after the load (MB), and its peak over the whole step. */
  rssMb: number;
  peakRssMb: number;
  converged: boolean;
}

export interface ScaleFigure {
  rows: ScaleRow[];
  /** Least-squares slope of RSS over the table count, MB per added table. */
  mbPerTable: number | null;
}

export interface SoakFigure {
  tables: number;
  minutes: number;
  rate: number;
  /** When the reference sample was taken (minute 5, or a third of a shorter run). */
  referenceMinute: number;
  referenceRssMb: number;
  endRssMb: number;
  ratio: number;
  samples: Array<{ minute: number; rssMb: number }>;
}

const ROWS = 2000;
/** The worker's RSS target with 200 tables (issue 23). */
export const RSS_TARGET_MB = 300;
export const LAG_RATIO_TARGET = 1.3;
export const SOAK_RATIO_TARGET = 1.1;

/** Tables bench_scale_0 … bench_scale_{n-1}: made once, shared by every step and the soak. */
async function scaleTables(ctx: ScaleContext, n: number): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `bench_scale_${i}`);
  const src = ctx.stack.source.databaseUrl;
  for (const name of names) {
    const [r] = await q<{ t: string | null }>(src, 'SELECT to_regclass($1)::text AS t', [`public.${name}`]);
    if (r?.t) continue;
    await createPair(src, ctx.stack.target.databaseUrl, name, ROWS);
    await q(src, `CREATE INDEX ON public.${name} (updated_at, id)`);
  }
  return names;
}

/** Samples the process's RSS every `everyMs` until stopped; returns the peak. */
function sampler(w: WorkerProcess, everyMs: number, each?: (rssMb: number) => void) {
  let peak = 0;
  const timer = setInterval(() => {
    const rss = w.rssMb();
    peak = Math.max(peak, rss);
    each?.(rss);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

async function withWorker<T>(
  ctx: ScaleContext,
  tables: TableConfig[],
  run: (w: WorkerProcess) => Promise<T>,
): Promise<T> {
  const config = ctx.config(tables);
  const client = await connectClient(config);
  const w = await startWorkerProcess(ctx.stack, client, tables, config.temporal.taskQueue);
  try {
    await w.waitSyncing(tables, 300_000);
    if (!(await w.waitSettled(tables, 180_000)))
      ctx.log(`scale: not every table had a pass after its copy within 180 s; measuring anyway`);
    return await run(w);
  } finally {
    await w.stop();
    await client.connection.close();
  }
}

export async function figureScale(
  ctx: ScaleContext,
  counts: number[],
  seconds: number,
): Promise<ScaleFigure> {
  const rows: ScaleRow[] = [];
  for (const n of counts) {
    ctx.log(`scale: ${n} tables (the worker in a process of its own)`);
    const names = await scaleTables(ctx, n);
    rows.push(
      await withWorker(
        ctx,
        names.map((nm) => table(nm)),
        async (w) => {
          const s = sampler(w, 1000);
          const f = await ctx.freshness(`scale ${n}`, names, ROWS, 100, seconds);
          const rssMb = w.rssMb();
          const peakRssMb = Math.max(s.stop(), rssMb);
          ctx.log(`scale: ${n} tables: lag p99 ${f.lag.p99} ms, worker RSS ${rssMb} MB (peak ${peakRssMb})`);
          return { tables: n, lag: f.lag, rssMb, peakRssMb, converged: f.converged };
        },
      ),
    );
  }
  return { rows, mbPerTable: slope(rows.map((r) => [r.tables, r.rssMb])) };
}

function slope(points: Array<[number, number]>): number | null {
  if (points.length < 2) return null;
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  return sxx === 0 ? null : round(sxy / sxx, 3);
}

export async function figureSoak(
  ctx: ScaleContext,
  minutes: number,
  n = 200,
  rate = 100,
): Promise<SoakFigure> {
  ctx.log(`soak: ${n} tables, ${rate} changes/s for ${minutes} min (the worker in a process of its own)`);
  const names = await scaleTables(ctx, n);
  const referenceMinute = Math.min(5, round(minutes / 3, 2));
  return withWorker(
    ctx,
    names.map((nm) => table(nm)),
    async (w) => {
      const started = Date.now();
      const samples: SoakFigure['samples'] = [];
      const s = sampler(w, 10_000, (rssMb) => {
        const minute = round((Date.now() - started) / 60_000, 2);
        samples.push({ minute, rssMb });
        if (samples.length % 6 === 0) ctx.log(`soak: minute ${minute}: worker RSS ${rssMb} MB`);
      });
      await load(ctx.stack.source.databaseUrl, names, ROWS, rate, minutes * 60, ctx.nextTag());
      await sleep(1000);
      s.stop();
      const endRssMb = w.rssMb();
      samples.push({ minute: round((Date.now() - started) / 60_000, 2), rssMb: endRssMb });
      const reference = samples.find((x) => x.minute >= referenceMinute) ?? samples[0]!;
      return {
        tables: n,
        minutes,
        rate,
        referenceMinute: reference.minute,
        referenceRssMb: reference.rssMb,
        endRssMb,
        ratio: round(endRssMb / reference.rssMb, 3),
        samples,
      };
    },
  );
}

/** The figures' lines for the bench's table, with their targets. */
export function scaleLines(scale: ScaleFigure | undefined, soak: SoakFigure | undefined): string[] {
  const out: string[] = [];
  if (scale) {
    out.push(
      '',
      '4. Scale (100 changes/s over the tables; the worker alone, npm run sync)',
      '   tables   lag p50 / p95 / p99 ms      worker RSS (peak)',
    );
    for (const r of scale.rows)
      out.push(
        `   ${String(r.tables).padStart(6)}   ${[r.lag.p50, r.lag.p95, r.lag.p99].join(' / ').padEnd(26)} ${r.rssMb} MB (${r.peakRssMb})${r.converged ? '' : ' NOT CONVERGED'}`,
      );
    out.push(`   growth per added table: ${scale.mbPerTable ?? '–'} MB (least-squares slope over the steps)`);
  }
  if (soak)
    out.push(
      '',
      `4b. Soak: ${soak.tables} tables, ${soak.rate} changes/s for ${soak.minutes} min: worker RSS ${soak.referenceRssMb} MB at minute ${soak.referenceMinute}, ${soak.endRssMb} MB at the end (${soak.ratio}×)`,
    );
  return out;
}

export interface Target {
  target: string;
  value: string;
  pass: boolean | null;
}

export function scaleTargets(scale: ScaleFigure | undefined, soak: SoakFigure | undefined): Target[] {
  const out: Target[] = [];
  const one = scale?.rows.find((r) => r.tables === 1);
  const many = scale?.rows.find((r) => r.tables === 200);
  if (many)
    out.push({
      target: `the worker process with 200 tables: RSS ≤ ${RSS_TARGET_MB} MB`,
      value: `${many.rssMb} MB (peak ${many.peakRssMb}; ${scale?.mbPerTable ?? '–'} MB/table)`,
      pass: many.rssMb <= RSS_TARGET_MB,
    });
  if (one && many) {
    const ratio = one.lag.p99 && many.lag.p99 ? round(many.lag.p99 / one.lag.p99, 2) : null;
    out.push({
      target: `200 tables: lag p99 ≤ ${LAG_RATIO_TARGET}× one table’s`,
      value: `${many.lag.p99} ms vs ${one.lag.p99} ms (${ratio}×)`,
      pass: ratio !== null && ratio <= LAG_RATIO_TARGET,
    });
  }
  if (soak)
    out.push({
      target: `no leak: worker RSS at the end ≤ ${SOAK_RATIO_TARGET}× minute ${soak.referenceMinute}'s (${soak.minutes} min)`,
      value: `${soak.endRssMb} MB vs ${soak.referenceRssMb} MB (${soak.ratio}×)`,
      pass: soak.ratio <= SOAK_RATIO_TARGET,
    });
  return out;
}
