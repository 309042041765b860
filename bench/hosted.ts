/**
 * The bench figures about hosted Supabase as it behaves (issue 12): the worker's own apply latency
 * apart from the stack's delivery delay, staleness when Realtime drops over the plan's quota, the
 * time to be current again after a worker is killed with a second one running. Each runs on a stack
 * started by bench/run.ts, whose Realtime plan it names. The fail-over figure is in failover-figure.ts.
 */
import { performance } from 'node:perf_hooks';
import type { SyncConfig, TableConfig } from '../src/contracts/config.js';
import { connectSource } from '../src/supabase/source.js';
import { connectTarget } from '../src/supabase/target.js';
import type { SourceProject, TargetProject } from '../src/contracts/ports.js';
import { table, type RunningSync } from '../test/support/sync.js';
import { count, createPair, lagStats, percentile, round, until, type LagStats } from './lib.js';

export interface BenchStack {
  plan: string;
  source: { url: string; serviceRoleKey: string; databaseUrl: string };
  target: { url: string; serviceRoleKey: string; databaseUrl: string };
  temporal: { address: string; namespace: string };
}

export interface HostedContext {
  stack: BenchStack;
  quick: boolean;
  log(line: string): void;
  config(tables: TableConfig[]): SyncConfig;
  sync(c: SyncConfig, options?: { source?: SourceProject; target?: TargetProject }): Promise<RunningSync>;
  closeSync(s: RunningSync): Promise<void>;
  waitCopied(s: RunningSync, t: TableConfig, timeoutMs: number): Promise<unknown>;
  /** Changes `rate`/s over random rows of `names` for `seconds`, tagged `v = tag`. */
  load(
    names: string[],
    rows: number,
    rate: number,
    seconds: number,
    tag: number,
  ): Promise<{ achievedRate: number }>;
}

export interface ApplyFigure {
  plan: string;
  rate: number;
  achievedRate: number;
  /** Change received by the worker → its write committed on the target (the apply RPC returned). */
  applyMs: { p50: number | null; p99: number | null; n: number };
  /** Commit on the source → received by the worker: the stack's own delivery delay. */
  deliveryMs: { p50: number | null; p99: number | null; n: number };
  endToEnd: LagStats;
}

export const stats = (xs: number[]) => ({
  p50: xs.length ? round(percentile(xs, 0.5), 1) : null,
  p99: xs.length ? round(percentile(xs, 0.99), 1) : null,
  n: xs.length,
});

/** Method calls passed through to `target`, with `patch` in front of some. */
function intercept<T extends object>(target: T, patch: Partial<T>): T {
  return new Proxy(target, {
    get(t, p, receiver) {
      if (p in patch) return patch[p as keyof T];
      const v = Reflect.get(t, p, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** Apply latency inside the worker at `rate` changes/s: events stamped as received and as committed. */
export async function figureApply(ctx: HostedContext, rate: number, tag: number): Promise<ApplyFigure> {
  const name = `bench_apply_${rate}`;
  const rows = 20_000;
  await createPair(ctx.stack.source.databaseUrl, ctx.stack.target.databaseUrl, name, rows);
  const received = new Map<string, number>();
  const apply: number[] = [];
  const delivery: number[] = [];
  const keyOf = (r: Record<string, unknown> | undefined) => (r ? `${String(r.id)}:${String(r.v)}` : '');
  const source0 = connectSource(ctx.stack.source);
  const target0 = connectTarget(ctx.stack.target);
  const source = intercept<SourceProject>(source0, {
    subscribe: (ref, onEvent, onStatus, entities) =>
      source0.subscribe(
        ref,
        (event) => {
          if (event.record?.v === tag) {
            received.set(keyOf(event.record), performance.now());
            if (event.commitTimestamp) delivery.push(Date.now() - Date.parse(event.commitTimestamp));
          }
          onEvent(event);
        },
        onStatus,
        entities,
      ),
  });
  const target = intercept<TargetProject>(target0, {
    applyUpserts: async (ref, versionColumn, upserts) => {
      const result = await target0.applyUpserts(ref, versionColumn, upserts);
      const now = performance.now();
      for (const r of upserts) {
        const at = received.get(keyOf(r));
        if (at !== undefined) {
          apply.push(now - at);
          received.delete(keyOf(r));
        }
      }
      return result;
    },
  });
  const t = table(name);
  const s = await ctx.sync(ctx.config([t]), { source, target });
  try {
    await ctx.waitCopied(s, t, 120_000);
    const made = await ctx.load([name], rows, rate, ctx.quick ? 8 : 30, tag);
    const expected = await count(ctx.stack.source.databaseUrl, name, `v = ${tag}`);
    await until(
      `apply ${rate}/s converged`,
      async () => (await count(ctx.stack.target.databaseUrl, name, `v = ${tag}`)) >= expected,
      60_000,
      200,
    );
    const endToEnd = await lagStats(ctx.stack.target.databaseUrl, [name], tag);
    return {
      plan: ctx.stack.plan,
      rate,
      achievedRate: made.achievedRate,
      applyMs: stats(apply),
      deliveryMs: stats(delivery),
      endToEnd,
    };
  } finally {
    await ctx.closeSync(s);
  }
}

export interface QuotaFigure {
  plan: string;
  quotaPerSecond: number;
  rate: number;
  achievedRate: number;
  seconds: number;
  staleness: LagStats;
  /** Rows changed on the source that had not reached the target 30 s after the writes stopped. */
  missing: number;
}

/** Staleness when the writes exceed the plan's Realtime message quota (dropped silently, healed). */
export async function figureQuota(
  ctx: HostedContext,
  quotaPerSecond: number,
  tag: number,
): Promise<QuotaFigure> {
  const name = 'bench_quota';
  const rows = 50_000;
  const rate = Math.round(quotaPerSecond * 2.5);
  const seconds = 20;
  await createPair(ctx.stack.source.databaseUrl, ctx.stack.target.databaseUrl, name, rows);
  const t = table(name);
  const s = await ctx.sync(ctx.config([t]));
  try {
    await ctx.waitCopied(s, t, 120_000);
    const made = await ctx.load([name], rows, rate, seconds, tag);
    const expected = await count(ctx.stack.source.databaseUrl, name, `v = ${tag}`);
    const arrived = () => count(ctx.stack.target.databaseUrl, name, `v = ${tag}`);
    await until(`quota ${rate}/s converged`, async () => (await arrived()) >= expected, 30_000, 200).catch(
      () => undefined,
    );
    return {
      plan: ctx.stack.plan,
      quotaPerSecond,
      rate,
      achievedRate: made.achievedRate,
      seconds,
      staleness: await lagStats(ctx.stack.target.databaseUrl, [name], tag),
      missing: expected - (await arrived()),
    };
  } finally {
    await ctx.closeSync(s);
  }
}
