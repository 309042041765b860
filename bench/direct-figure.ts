/**
 * The direct first copy for bench/run.ts (`--only=direct`): a table of `rows` rows copied by the
 * sync with SYNC_SOURCE_DATABASE_URL and SYNC_TARGET_DATABASE_URL set (COPY between the databases,
 * key ranges in parallel: src/activities/direct-copy.ts), timed from the worker's start to the
 * copy recorded done, beside native logical replication's initial copy of the same table measured
 * in the same run. Target: ≥ 0.8× native.
 */
import type { SyncConfig } from '../src/contracts/config.js';
import { table } from '../test/support/sync.js';
import type { CatchUpContext } from './catchup-figure.js';
import { count, createPair, q, round } from './lib.js';

/** The catch-up figure's context (the stack, the sync's start and stop), and native's initial copy. */
export type DirectContext = Pick<
  CatchUpContext,
  'source' | 'target' | 'log' | 'config' | 'sync' | 'closeSync' | 'waitCopied'
> & {
  /** Native logical replication's initial copy of a new table of `rows` rows: rows/s and seconds. */
  copyNative(name: string, rows: number): Promise<{ seconds: number; rowsPerSec: number }>;
};

export interface DirectFigure {
  rows: number;
  parallel: number;
  /**
   * `seconds`: from starting the worker to the copy done and the feed live; `workerStartSeconds`:
   * the worker's start within it; `copyOnlySeconds`: the copy itself (its first chunk to its last).
   */
  ours: { seconds: number; rowsPerSec: number; workerStartSeconds: number; copyOnlySeconds: number | null };
  native: { seconds: number; rowsPerSec: number };
  /** Ours from the worker's start against native (the target's measure). */
  ratio: number;
  /** Without the worker's start (a worker that already runs, as when a table is added). */
  ratioWithoutStart: number;
}

/** Key ranges copied at once: the default of SYNC_DIRECT_COPY_PARALLEL. */
const PARALLEL = 4;

async function ours(ctx: DirectContext, rows: number): Promise<DirectFigure['ours']> {
  const name = `bench_direct_${rows}`;
  await createPair(ctx.source.databaseUrl, ctx.target.databaseUrl, name, rows);
  const t = table(name);
  const c: SyncConfig = {
    ...ctx.config([t]),
    // As a user gives them: the projects' `postgres` URLs.
    sourceDatabaseUrl: ctx.source.databaseUrl,
    targetDatabaseUrl: ctx.target.databaseUrl,
    directParallel: PARALLEL,
  };
  const started = Date.now();
  const s = await ctx.sync(c);
  const workerUp = Date.now();
  try {
    await ctx.waitCopied(s, t, Math.max(120_000, rows / 5));
    const seconds = (Date.now() - started) / 1000;
    const n = await count(ctx.target.databaseUrl, name);
    if (n !== rows) throw new Error(`direct copy of ${name}: ${n} of ${rows} rows on the target`);
    const { startedAt, finishedAt } = (await s.status(t)).initialCopy;
    return {
      seconds: round(seconds, 2),
      rowsPerSec: Math.round(rows / seconds),
      workerStartSeconds: round((workerUp - started) / 1000, 2),
      copyOnlySeconds: startedAt && finishedAt ? round((finishedAt - startedAt) / 1000, 2) : null,
    };
  } finally {
    await ctx.closeSync(s);
    for (const url of [ctx.source.databaseUrl, ctx.target.databaseUrl]) {
      await q(url, `DROP TABLE IF EXISTS public.${name}`);
    }
  }
}

export async function figureDirect(ctx: DirectContext, rows: number): Promise<DirectFigure> {
  const o = await ours(ctx, rows);
  const nativeName = `bench_ndirect_${rows}`;
  const native = await ctx.copyNative(nativeName, rows);
  for (const url of [ctx.source.databaseUrl, ctx.target.databaseUrl]) {
    await q(url, `DROP TABLE IF EXISTS public.${nativeName}`);
  }
  const ratio = round(o.rowsPerSec / native.rowsPerSec, 3);
  const ratioWithoutStart = round(native.seconds / (o.seconds - o.workerStartSeconds), 3);
  ctx.log(
    `direct copy of ${rows} rows: ours ${o.rowsPerSec} rows/s (${o.seconds} s, worker start ${o.workerStartSeconds} s, the copy alone ${o.copyOnlySeconds} s), native ${native.rowsPerSec} rows/s (${ratio}×, ${ratioWithoutStart}× without the worker's start)`,
  );
  return { rows, parallel: PARALLEL, ours: o, native, ratio, ratioWithoutStart };
}

export function directLines(f: DirectFigure): string[] {
  return [
    '',
    `Direct first copy (COPY between the databases, ${f.parallel} key ranges at once), ${f.rows} rows`,
    `   ours ${f.ours.rowsPerSec} rows/s (${f.ours.seconds} s from the worker's start to the copy done and the feed live; the worker's start ${f.ours.workerStartSeconds} s; the copy alone ${f.ours.copyOnlySeconds} s)`,
    `   native ${f.native.rowsPerSec} rows/s (${f.native.seconds} s)   ratio ${f.ratio}× (${f.ratioWithoutStart}× without the worker's start)`,
  ];
}
