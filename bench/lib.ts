/** Small helpers for the bench: databases, tables with an arrival stamp, clocks, process CPU. */
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { waitFor } from '../test/support/wait.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value or the deadline passes (then throws, naming `what`). */
export function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  return waitFor(probe, { timeoutMs, intervalMs, message: what });
}

const pools = new Map<string, pg.Pool>();
export function db(url: string): pg.Pool {
  let p = pools.get(url);
  if (!p) {
    p = new pg.Pool({ connectionString: url, max: 6 });
    p.on('error', () => undefined);
    pools.set(url, p);
  }
  return p;
}
export async function closeDbs(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end().catch(() => undefined)));
}

export async function q<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return (await db(url).query<T>(sql, params)).rows;
}

/** Rows of about 200 bytes: id, a version tag `v`, 160 characters of payload, updated_at. */
export function sourceDdl(name: string): string {
  return `CREATE TABLE public.${name} (
    id bigint PRIMARY KEY, v int NOT NULL DEFAULT 0, payload text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`;
}

/**
 * The target table: the same columns plus `applied_at`, stamped by an ENABLE ALWAYS trigger (the
 * sync and native apply both write with session_replication_role = replica).
 */
export function targetDdl(name: string): string {
  return `${sourceDdl(name).replace(/\)$/, ', applied_at timestamptz)')};
    CREATE OR REPLACE FUNCTION public.bench_stamp() RETURNS trigger LANGUAGE plpgsql AS
      $$BEGIN NEW.applied_at := clock_timestamp(); RETURN NEW; END$$;
    CREATE TRIGGER bench_stamp BEFORE INSERT OR UPDATE ON public.${name}
      FOR EACH ROW EXECUTE FUNCTION public.bench_stamp();
    ALTER TABLE public.${name} ENABLE ALWAYS TRIGGER bench_stamp`;
}

export async function createPair(sourceUrl: string, targetUrl: string, name: string, rows: number) {
  await q(sourceUrl, sourceDdl(name));
  await q(targetUrl, targetDdl(name));
  // No default grants on new tables (hosted since 2026-10-30): what an app grants the service role.
  for (const url of [sourceUrl, targetUrl])
    await q(url, `GRANT SELECT, INSERT, UPDATE, DELETE ON public.${name} TO service_role`);
  if (rows > 0) await fill(sourceUrl, name, 1, rows);
  // A table at rest: hint bits set and statistics taken now, not by the first reader or by
  // autovacuum in the middle of a measurement.
  await q(sourceUrl, `VACUUM (ANALYZE) public.${name}`);
  await walDecoded(sourceUrl);
}

const adminUrls = new Map<string, string>();
/** The superuser URL of the server `url` logs in to as postgres (for what only a superuser may do). */
export function setAdminUrl(url: string, adminUrl: string | undefined): void {
  if (adminUrl) adminUrls.set(url, adminUrl);
}

/**
 * Waits until every logical slot on the server (the Realtime poller's, native subscriptions') has
 * decoded the WAL written so far — and moved its restart point past it, so that decoding a bulk fill
 * is not billed to the next measurement: a slot read through SQL (as Realtime reads it) decodes again
 * from its restart point on every poll, and that point only moves on a running-transactions record
 * (every 15 s or so; `pg_log_standby_snapshot()` writes one now).
 */
export async function walDecoded(url: string, timeoutMs = 180_000): Promise<void> {
  // pg_log_standby_snapshot() is the superuser's (the stack's supabase_admin), as on hosted projects.
  url = adminUrls.get(url) ?? url;
  const [{ lsn } = { lsn: '0/0' }] = await q<{ lsn: string }>(
    url,
    'SELECT pg_current_wal_lsn()::text AS lsn',
  );
  await until(
    'logical slots caught up',
    async () => {
      await q(url, 'SELECT pg_log_standby_snapshot()');
      const [row] = await q<{ behind: string }>(
        url,
        `SELECT count(*) AS behind FROM pg_replication_slots
          WHERE slot_type = 'logical' AND active AND (confirmed_flush_lsn < $1::pg_lsn OR restart_lsn < $1::pg_lsn)`,
        [lsn],
      );
      return row!.behind === '0';
    },
    timeoutMs,
    200,
  ).catch(() =>
    process.stderr.write(`[bench] logical slots still decoding after ${timeoutMs} ms; going on\n`),
  );
}

export async function fill(url: string, name: string, from: number, to: number): Promise<void> {
  for (let lo = from; lo <= to; lo += 200_000) {
    const hi = Math.min(to, lo + 199_999);
    await q(
      url,
      `INSERT INTO public.${name} (id, v, payload, updated_at)
       SELECT g, 0, repeat(md5(g::text), 5), clock_timestamp() FROM generate_series($1::bigint, $2::bigint) g`,
      [lo, hi],
    );
  }
}

export async function count(url: string, name: string, where = 'true'): Promise<number> {
  const r = await q<{ n: string }>(url, `SELECT count(*) AS n FROM public.${name} WHERE ${where}`);
  return Number(r[0]!.n);
}

export interface LagStats {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Commit (updated_at = clock_timestamp() in a one-statement transaction) to arrival (applied_at). */
export async function lagStats(targetUrl: string, names: string[], tag: number): Promise<LagStats> {
  const union = names
    .map(
      (n) =>
        `SELECT extract(epoch FROM applied_at - updated_at) * 1000 AS ms FROM public.${n} WHERE v = ${tag}`,
    )
    .join(' UNION ALL ');
  const r = await q<{ n: string; p50: number; p95: number; p99: number; max: number }>(
    targetUrl,
    `SELECT count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max FROM (${union}) s`,
  );
  const row = r[0]!;
  const f = (x: number | null) => (x === null ? null : Math.round(Number(x) * 10) / 10);
  return { n: Number(row.n), p50: f(row.p50), p95: f(row.p95), p99: f(row.p99), max: f(row.max) };
}

/**
 * A sustained load: every 20 ms one statement that updates `rate/50` random existing rows of one of
 * the tables (round robin), tagging them `v = tag` and stamping updated_at = clock_timestamp().
 * Returns the number of changes made. Samples are one per row (a row hit twice counts once).
 */
export async function load(
  url: string,
  names: string[],
  rowsPerTable: number,
  rate: number,
  seconds: number,
  tag: number,
): Promise<{ changes: number; achievedRate: number }> {
  const tickMs = 20;
  const perTick = rate / (1000 / tickMs);
  const started = Date.now();
  const end = started + seconds * 1000;
  let changes = 0;
  let owed = 0;
  let tick = 0;
  const inflight = new Set<Promise<unknown>>();
  while (Date.now() < end) {
    owed += perTick;
    const n = Math.floor(owed);
    owed -= n;
    if (n > 0) {
      const name = names[tick % names.length]!;
      const ids = Array.from({ length: n }, () => 1 + Math.floor(Math.random() * rowsPerTable));
      const p = q(
        url,
        `UPDATE public.${name} SET v = $1, updated_at = clock_timestamp() WHERE id = ANY($2::bigint[])`,
        [tag, ids],
      ).then(() => {
        changes += n;
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (inflight.size > 5) await Promise.race(inflight);
    }
    tick++;
    const next = started + tick * tickMs;
    await sleep(Math.max(0, next - Date.now()));
  }
  await Promise.all(inflight);
  return { changes, achievedRate: Math.round(changes / ((Date.now() - started) / 1000)) };
}

const CLK = 100; // USER_HZ on Linux

/** CPU seconds (user + system) of a process and all its descendants. */
export function treeCpuSeconds(rootPid: number): number {
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(rest[1]);
      const pid = Number(entry);
      // utime + stime, plus cutime + cstime: the CPU of children it has reaped (Postgres backends
      // that ended, e.g. short-lived connections) stays counted.
      cpu.set(pid, (Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])) / CLK);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    total += cpu.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** CPU seconds of the process alone (not its children). */
export function ownCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK;
  } catch {
    return 0;
  }
}

/** The pid listening on a TCP port on 127.0.0.1 (via /proc/net/tcp and fd links), if found. */
export function pidListeningOn(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let inode: string | undefined;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') inode = cols[9];
      }
    } catch {
      // no such table
    }
  }
  if (!inode) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        try {
          if (readlinkSafe(`/proc/${entry}/fd/${fd}`) === `socket:[${inode}]`) return Number(entry);
        } catch {
          // closed
        }
      }
    } catch {
      // not ours to read
    }
  }
  return undefined;
}

import { readlinkSync } from 'node:fs';
function readlinkSafe(p: string): string {
  return readlinkSync(p);
}

export function portOf(url: string): number {
  return Number(new URL(url.startsWith('postgres') ? url.replace(/^postgres(ql)?:/, 'http:') : url).port);
}

export const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** The `p` quantile (0..1) of `xs`, nearest rank. */
export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
