/**
 * Freshness by kind of change (issue 22): insert, update, delete and TRUNCATE, each on a table with
 * a version column and on one without (bench/kinds-tables.ts), all at once at 2.5× the plan's
 * Realtime message quota on a stack that emulates the plan (over it, Realtime drops silently). For
 * each change: the time from its commit on the source to the first look at the target that finds
 * the target equal to the source for it (polled every 50 ms); a TRUNCATE has arrived when the
 * target holds none of the keys it removed. Then, 30 s after the burst (or once everything
 * arrived), the rows that still differ between the two tables. Beside native logical replication
 * of the same tables on the same servers. A change that never arrived counts as slower than any
 * (a p99 shown as "> 30 s").
 */
import type { SyncConfig, TableConfig } from '../src/contracts/config.js';
import type { RunningSync } from '../test/support/sync.js';
import { percentile, q, round, sleep, until } from './lib.js';
import {
  KINDS,
  change,
  createKindTable,
  kindTables,
  truncate,
  type Expect,
  type Kind,
  type KindTable,
  type Shape,
} from './kinds-tables.js';

export interface KindsContext {
  plan: string;
  quotaPerSecond: number;
  source: { databaseUrl: string };
  target: { databaseUrl: string };
  quick: boolean;
  log(line: string): void;
  config(tables: TableConfig[]): SyncConfig;
  sync(c: SyncConfig): Promise<RunningSync>;
  closeSync(s: RunningSync): Promise<void>;
  waitCopied(s: RunningSync, t: TableConfig, timeoutMs: number): Promise<unknown>;
}

export interface KindRow {
  kind: Kind;
  shape: Shape;
  changes: number;
  /** ms; null when no change was made; Infinity (printed "> 30 s") when that share never arrived. */
  p50: number | null;
  p99: number | null;
  /** Changes that had not arrived when the looks stopped (30 s after the burst). */
  neverArrived: number;
  /** Rows that differ between source and target 30 s after the burst. */
  missing: number;
}

export interface KindsFigure {
  plan: string;
  quotaPerSecond: number;
  rate: number;
  achievedRate: { ours: number; native: number };
  seconds: number;
  ours: KindRow[];
  native: KindRow[];
}

const ROWS = 2000;
const SETTLE_MS = 30_000;
const POLL_MS = 50;

interface Tracked {
  t: KindTable;
  pending: Array<{ expect: Expect; at: number }>;
  truncates: Array<{ maxKey: number; at: number }>;
  lags: number[];
  /** The changes measured (in a TRUNCATE table, its truncates). */
  changes: number;
  statements: number;
}

/** Drives one table at `rate`/s for `seconds`; TRUNCATE tables truncate at a third and two thirds. */
async function drive(url: string, tr: Tracked, rate: number, seconds: number): Promise<void> {
  const started = Date.now();
  const total = Math.floor(rate * seconds);
  const truncateAt = new Set([Math.floor(total / 3), Math.floor((2 * total) / 3)]);
  for (let seq = 1; seq <= total; seq++) {
    const due = started + ((seq - 1) * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    if (tr.t.kind === 'truncate' && truncateAt.has(seq)) {
      const maxKey = await truncate(url, tr.t);
      tr.truncates.push({ maxKey, at: Date.now() });
      tr.changes += 1;
      tr.statements += 1;
      continue;
    }
    const expect = await change(url, tr.t, seq, ROWS);
    // In a TRUNCATE table the inserts are the load around the truncates: the end compares them.
    tr.statements += 1;
    if (tr.t.kind === 'truncate') continue;
    tr.pending.push({ expect, at: Date.now() });
    tr.changes += 1;
  }
}

/** One look at the target: the changes found there now have arrived. */
async function look(url: string, tr: Tracked): Promise<void> {
  const now = Date.now();
  if (tr.pending.length > 0) {
    const keys = tr.pending.map((p) => p.expect.key);
    const rows = await q<{ b: string; v: number }>(
      url,
      `SELECT b, v FROM public.${tr.t.name} WHERE b = ANY($1::bigint[])`,
      [keys],
    );
    const there = new Map(rows.map((r) => [Number(r.b), r.v]));
    tr.pending = tr.pending.filter((p) => {
      const v = there.get(p.expect.key);
      const arrived = p.expect.present ? v === p.expect.v : v === undefined;
      if (arrived) tr.lags.push(now - p.at);
      return !arrived;
    });
  }
  for (const tc of [...tr.truncates]) {
    const left = await q<{ n: string }>(url, `SELECT count(*) AS n FROM public.${tr.t.name} WHERE b <= $1`, [
      tc.maxKey,
    ]);
    if (left[0]!.n !== '0') break;
    tr.lags.push(now - tc.at);
    tr.truncates.shift();
  }
}

/** Rows that differ: a key on one side only, or another `v`. */
async function differing(sourceUrl: string, targetUrl: string, name: string): Promise<number> {
  const read = async (url: string) =>
    new Map(
      (await q<{ b: string; v: number }>(url, `SELECT b, v FROM public.${name}`)).map((r) => [r.b, r.v]),
    );
  const [s, t] = await Promise.all([read(sourceUrl), read(targetUrl)]);
  let n = 0;
  for (const [k, v] of s) if (t.get(k) !== v) n++;
  for (const k of t.keys()) if (!s.has(k)) n++;
  return n;
}

/** The burst on every table at once, then the looks until all arrived or 30 s passed. */
async function measure(ctx: KindsContext, tables: KindTable[], rate: number, seconds: number) {
  const tracked: Tracked[] = tables.map((t) => ({
    t,
    pending: [],
    truncates: [],
    lags: [],
    changes: 0,
    statements: 0,
  }));
  const started = Date.now();
  let driving = true;
  const looking = (async () => {
    while (driving) {
      for (const tr of tracked) await look(ctx.target.databaseUrl, tr);
      await sleep(POLL_MS);
    }
  })();
  await Promise.all(tracked.map((tr) => drive(ctx.source.databaseUrl, tr, rate / tables.length, seconds)));
  const achieved = Math.round(
    tracked.reduce((a, tr) => a + tr.statements, 0) / ((Date.now() - started) / 1000),
  );
  await until(
    'every change on the target',
    () => Promise.resolve(tracked.every((tr) => tr.pending.length === 0 && tr.truncates.length === 0)),
    SETTLE_MS,
    POLL_MS,
  ).catch(() => undefined);
  driving = false;
  await looking;
  const rows: KindRow[] = [];
  for (const tr of tracked) {
    const never = tr.pending.length + tr.truncates.length;
    const all = [...tr.lags, ...Array<number>(never).fill(Infinity)];
    rows.push({
      kind: tr.t.kind,
      shape: tr.t.shape,
      changes: tr.changes,
      p50: all.length ? round(percentile(all, 0.5), 0) : null,
      p99: all.length ? round(percentile(all, 0.99), 0) : null,
      neverArrived: never,
      missing: await differing(ctx.source.databaseUrl, ctx.target.databaseUrl, tr.t.name),
    });
  }
  return { rows, achieved };
}

async function ours(ctx: KindsContext, rate: number, seconds: number) {
  const tables = kindTables('bench_kind');
  for (const t of tables) await createKindTable(ctx.source.databaseUrl, ctx.target.databaseUrl, t, ROWS);
  const s = await ctx.sync(ctx.config(tables.map((t) => t.config)));
  try {
    for (const t of tables) await ctx.waitCopied(s, t.config, 120_000);
    return await measure(ctx, tables, rate, seconds);
  } finally {
    await ctx.closeSync(s);
  }
}

async function native(ctx: KindsContext, rate: number, seconds: number) {
  const S = ctx.source.databaseUrl;
  const T = ctx.target.databaseUrl;
  const tables = kindTables('bench_nkind');
  for (const t of tables) await createKindTable(S, T, t, ROWS);
  const list = tables.map((t) => `public.${t.name}`).join(', ');
  await q(S, `CREATE PUBLICATION pub_bench_nkind FOR TABLE ${list}`);
  const conn = S.replace(/'/g, "\\'");
  await q(T, `CREATE SUBSCRIPTION sub_bench_nkind CONNECTION '${conn}' PUBLICATION pub_bench_nkind`);
  try {
    await until(
      'native copy of the kind tables',
      async () =>
        (
          await q<{ n: string }>(T, `SELECT count(*) AS n FROM pg_subscription_rel WHERE srsubstate <> 'r'`)
        )[0]!.n === '0',
      120_000,
      100,
    );
    return await measure(ctx, tables, rate, seconds);
  } finally {
    await q(T, 'DROP SUBSCRIPTION IF EXISTS sub_bench_nkind');
    await q(S, 'DROP PUBLICATION IF EXISTS pub_bench_nkind');
  }
}

export async function figureKinds(ctx: KindsContext): Promise<KindsFigure> {
  const rate = Math.round(ctx.quotaPerSecond * 2.5);
  const seconds = ctx.quick ? 6 : 20;
  ctx.log(`freshness by kind: ${rate} changes/s over 8 tables for ${seconds} s (${ctx.plan} plan), ours`);
  const o = await ours(ctx, rate, seconds);
  ctx.log('freshness by kind: native');
  const n = await native(ctx, rate, seconds);
  return {
    plan: ctx.plan,
    quotaPerSecond: ctx.quotaPerSecond,
    rate,
    achievedRate: { ours: o.achieved, native: n.achieved },
    seconds,
    ours: o.rows,
    native: n.rows,
  };
}

const ms = (x: number | null) => (x === null ? '-' : x === Infinity ? '> 30 s' : `${x} ms`);

export function kindsLines(f: KindsFigure): string[] {
  const out = [
    '',
    `7. Freshness by kind of change: ${f.achievedRate.ours}/s (native run ${f.achievedRate.native}/s) over 8 tables for ${f.seconds} s, 2.5× the ${f.plan} plan's ${f.quotaPerSecond} messages/s`,
    '   kind       version column   changes   ours p50 / p99        missing at 30 s   native p50 / p99     missing',
    '   (a TRUNCATE table: 2 truncates amid inserts; its p50/p99 are the truncates, its missing every row that differs)',
  ];
  for (const kind of KINDS)
    for (const shape of ['version', 'none'] as const) {
      const o = f.ours.find((r) => r.kind === kind && r.shape === shape)!;
      const n = f.native.find((r) => r.kind === kind && r.shape === shape)!;
      out.push(
        `   ${kind.padEnd(10)} ${(shape === 'version' ? 'updated_at' : 'none').padEnd(16)} ${String(o.changes).padStart(7)}   ${`${ms(o.p50)} / ${ms(o.p99)}`.padEnd(21)} ${String(o.missing).padStart(15)}   ${`${ms(n.p50)} / ${ms(n.p99)}`.padEnd(20)} ${String(n.missing).padStart(7)}`,
      );
    }
  return out;
}
