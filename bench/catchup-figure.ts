/**
 * The catch-up figure for bench/run.ts: the worker is stopped, `changes` rows change in one
 * statement, the worker starts again; timed from the start to the last row on the target, with the
 * worker's start apart. Native: the subscription is disabled during the change, then enabled.
 */
import type { SyncConfig, TableConfig } from '../src/contracts/config.js';
import { workflowIdFor } from '../src/workflows/ids.js';
import { table, type RunningSync } from '../test/support/sync.js';
import { count, createPair, q, round, until, walDecoded } from './lib.js';

export interface CatchUpContext {
  source: { databaseUrl: string };
  target: { databaseUrl: string };
  log(line: string): void;
  config(tables: TableConfig[]): SyncConfig;
  sync(c: SyncConfig): Promise<RunningSync>;
  closeSync(s: RunningSync): Promise<void>;
  waitCopied(s: RunningSync, t: TableConfig, timeoutMs: number): Promise<unknown>;
  /** A native subscription of the target to the source's table, copying it first. */
  nativeSubscribe(name: string): Promise<void>;
  nativeUnsubscribe(name: string): Promise<void>;
  nextTag(): number;
}

export interface CatchUpFigure {
  changes: number;
  /** From starting the worker to the last row on the target. */
  oursSeconds: number;
  /** The worker's start: from the start call to the worker polling and the table's workflow answering it. */
  oursWorkerStartMs: number;
  /** From the start call to the first pass scheduled (the workflow's history). */
  firstPassMs: number | null;
  /** oursSeconds without the worker's start. */
  oursWithoutStartSeconds: number;
  nativeSeconds: number;
  ratio: number;
  ratioWithoutStart: number;
}

async function bulkChange(url: string, name: string, n: number, tag: number): Promise<void> {
  await q(url, `UPDATE public.${name} SET v = $1, updated_at = clock_timestamp() WHERE id <= $2`, [tag, n]);
}

const epochMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;

/** When the first pass after `since` was scheduled, from the table workflow's history. */
async function firstPassAt(s: RunningSync, t: TableConfig, since: number): Promise<number | null> {
  const history = await s.client.workflow.getHandle(workflowIdFor(t)).fetchHistory();
  for (const e of history.events ?? []) {
    const at = epochMs(e.eventTime);
    if (at >= since && e.activityTaskScheduledEventAttributes?.activityType?.name === 'reconcileChunk')
      return at;
  }
  return null;
}

async function ours(ctx: CatchUpContext, changes: number) {
  const S = ctx.source.databaseUrl;
  const name = 'bench_catchup';
  const t = table(name);
  await createPair(S, ctx.target.databaseUrl, name, changes);
  await q(S, `CREATE INDEX ON public.${name} (updated_at, id)`);
  const c = ctx.config([t]);
  const first = await ctx.sync(c);
  await ctx.waitCopied(first, t, 120_000);
  await first.stopWorker();
  const tag = ctx.nextTag();
  await bulkChange(S, name, changes, tag);
  // By the time a worker comes back, Realtime has long decoded what changed meanwhile.
  await walDecoded(S);
  const started = Date.now();
  const second = await ctx.sync(c);
  const workerStartMs = Date.now() - started;
  await until(
    'catch-up converged',
    async () => (await count(ctx.target.databaseUrl, name, `v = ${tag}`)) === changes,
    120_000,
    100,
  );
  const seconds = (Date.now() - started) / 1000;
  const passAt = await firstPassAt(second, t, started);
  await ctx.closeSync(second);
  await first.close().catch(() => undefined);
  return { seconds, workerStartMs, firstPassMs: passAt === null ? null : passAt - started };
}

async function native(ctx: CatchUpContext, changes: number): Promise<number> {
  const S = ctx.source.databaseUrl;
  const T = ctx.target.databaseUrl;
  const name = 'bench_ncatchup';
  await createPair(S, T, name, changes);
  await ctx.nativeSubscribe(name);
  await until('native catch-up copy', async () => (await count(T, name)) === changes, 120_000, 100);
  await q(T, `ALTER SUBSCRIPTION sub_${name} DISABLE`);
  // The subscription's worker lets go of its slot: the change below is not streamed meanwhile.
  await until(
    'native subscription disabled',
    async () =>
      (
        await q<{ n: string }>(
          S,
          `SELECT count(*) AS n FROM pg_replication_slots WHERE slot_name = $1 AND active`,
          [`sub_${name}`],
        )
      )[0]!.n === '0',
    30_000,
    50,
  );
  const tag = ctx.nextTag();
  await bulkChange(S, name, changes, tag);
  await walDecoded(S); // the disabled subscription's slot is inactive: this waits for Realtime's only
  const started = Date.now();
  await q(T, `ALTER SUBSCRIPTION sub_${name} ENABLE`);
  await until(
    'native catch-up converged',
    async () => (await count(T, name, `v = ${tag}`)) === changes,
    120_000,
    50,
  );
  const seconds = (Date.now() - started) / 1000;
  await ctx.nativeUnsubscribe(name);
  return seconds;
}

export async function figureCatchUp(ctx: CatchUpContext, changes: number): Promise<CatchUpFigure> {
  ctx.log(`catch-up: ${changes} changes while the worker is down`);
  const o = await ours(ctx, changes);
  ctx.log(`catch-up: ours ${round(o.seconds, 2)} s (worker start ${o.workerStartMs} ms); native next`);
  const nativeSeconds = await native(ctx, changes);
  const without = Math.max(0, o.seconds - o.workerStartMs / 1000);
  return {
    changes,
    oursSeconds: round(o.seconds, 2),
    oursWorkerStartMs: o.workerStartMs,
    firstPassMs: o.firstPassMs,
    oursWithoutStartSeconds: round(without, 2),
    nativeSeconds: round(nativeSeconds, 2),
    ratio: round(o.seconds / nativeSeconds, 2),
    ratioWithoutStart: round(without / nativeSeconds, 2),
  };
}

/** The figure's lines in the printed table: the worker's start on a line of its own. */
export function catchUpLines(cu: CatchUpFigure): string[] {
  const pass = cu.firstPassMs === null ? '' : `; first pass scheduled at ${cu.firstPassMs} ms`;
  return [
    '',
    `3. Catch-up of ${cu.changes} changes (worker down)   ours       native     ratio`,
    `   with the worker's start                  ${`${cu.oursSeconds} s`.padStart(8)}   ${`${cu.nativeSeconds} s`.padStart(8)}   ${cu.ratio}×`,
    `   without it                               ${`${cu.oursWithoutStartSeconds} s`.padStart(8)}              ${cu.ratioWithoutStart}×`,
    `   worker start: ${cu.oursWorkerStartMs} ms (start → polling, the table's workflow answered)${pass}`,
  ];
}
