/**
 * What the change log (supabase/migrations/20261207150000_sync_change_log.sql) costs the source's
 * writes: a table without a version column, written with its log off and on in alternating rounds
 * (off, on, off, on, …: drift of the machine falls on both), the throughput of each side summed.
 * - `api`: the way an app writes, through the Data API: concurrent clients, one row per request, an
 *   insert of a new key then an update of an earlier one;
 * - `sql`: bulk statements straight to Postgres (500-row INSERT … SELECT and UPDATE): the log's
 *   worst case, since nothing else in the statement costs much.
 */
import { q, round, sleep } from './lib.js';
import type { StackInfo } from './stack-process.js';

const CLIENTS = 8;
const BATCH = 500;

export interface LogCost {
  /** Rows written a second with the log off and on, and on/off. */
  api: { off: number; on: number; ratio: number };
  sql: { off: number; on: number; ratio: number };
}

const TABLE = 'bench_change_log';

async function setLog(dbUrl: string, on: boolean): Promise<void> {
  await q(dbUrl, `SELECT public.sync_track_changes('public', $1, ARRAY['post_id', 'tag'], $2)`, [TABLE, on]);
  await q(dbUrl, `DELETE FROM public.sync_changes WHERE table_name = $1`, [TABLE]);
}

/** Data API writes for `ms`: rows written. */
async function apiRound(stack: StackInfo, ms: number, next: { id: number }): Promise<number> {
  const headers = {
    apikey: stack.source.serviceRoleKey,
    Authorization: `Bearer ${stack.source.serviceRoleKey}`,
    'Content-Type': 'application/json',
    Prefer: 'return=minimal',
  };
  const base = `${stack.source.url}/rest/v1/${TABLE}`;
  const end = Date.now() + ms;
  let rows = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) {
        const id = next.id++;
        const insert = await fetch(base, {
          method: 'POST',
          headers,
          body: JSON.stringify({ post_id: id, tag: 'bench', weight: 1, note: 'inserted' }),
        });
        if (!insert.ok)
          throw new Error(`change-log cost: insert failed: HTTP ${insert.status} ${await insert.text()}`);
        const update = await fetch(`${base}?post_id=eq.${Math.max(1, id - 50)}&tag=eq.bench`, {
          method: 'PATCH',
          headers,
          body: JSON.stringify({ weight: 2, note: 'updated' }),
        });
        if (!update.ok)
          throw new Error(`change-log cost: update failed: HTTP ${update.status} ${await update.text()}`);
        rows += 2;
      }
    }),
  );
  return rows;
}

/** Bulk SQL for `ms`: rows written. */
async function sqlRound(dbUrl: string, ms: number, next: { id: number }): Promise<number> {
  const end = Date.now() + ms;
  let rows = 0;
  while (Date.now() < end) {
    const from = next.id;
    next.id += BATCH;
    await q(
      dbUrl,
      `INSERT INTO public.${TABLE} (post_id, tag, weight, note) SELECT g, 'bench', 1, 'inserted' FROM generate_series($1::bigint, $2::bigint) g`,
      [from, from + BATCH - 1],
    );
    await q(
      dbUrl,
      `UPDATE public.${TABLE} SET weight = weight + 1 WHERE tag = 'bench' AND post_id BETWEEN $1 AND $2`,
      [from, from + BATCH - 1],
    );
    rows += 2 * BATCH;
  }
  return rows;
}

/** Alternating rounds of `roundMs`, `pairs` of each; throughput summed per side. */
async function measure(
  dbUrl: string,
  pairs: number,
  roundMs: number,
  round1: (ms: number) => Promise<number>,
): Promise<{ off: number; on: number; ratio: number }> {
  const rows = { off: 0, on: 0 };
  for (let i = 0; i < 2 * pairs; i++) {
    const on = i % 2 === 1;
    await setLog(dbUrl, on);
    await sleep(200);
    rows[on ? 'on' : 'off'] += await round1(roundMs);
  }
  await setLog(dbUrl, false);
  const perSecond = (n: number) => round(n / ((pairs * roundMs) / 1000), 0);
  return { off: perSecond(rows.off), on: perSecond(rows.on), ratio: round(rows.on / rows.off, 2) };
}

export async function figureChangeLogCost(stack: StackInfo, seconds: number): Promise<LogCost> {
  const dbUrl = stack.source.databaseUrl;
  await q(dbUrl, `DROP TABLE IF EXISTS public.${TABLE}`);
  await q(
    dbUrl,
    `CREATE TABLE public.${TABLE} (post_id bigint NOT NULL, tag text NOT NULL, weight integer NOT NULL DEFAULT 0, note text, PRIMARY KEY (post_id, tag));
     GRANT SELECT, INSERT, UPDATE, DELETE ON public.${TABLE} TO service_role`,
  );
  const next = { id: 1 };
  const pairs = 3;
  const roundMs = Math.max(1000, (seconds * 1000) / (4 * pairs));
  const api = await measure(dbUrl, pairs, roundMs, (ms) => apiRound(stack, ms, next));
  const sql = await measure(dbUrl, pairs, roundMs, (ms) => sqlRound(dbUrl, ms, next));
  await q(dbUrl, `DROP TABLE public.${TABLE}`);
  return { api, sql };
}

export function changeLogLines(c: LogCost): string[] {
  return [
    `change log's cost on the source's writes (a table without a version column; log off → on, rows/s):`,
    `  Data API, ${CLIENTS} clients, one row a request: ${c.api.off} → ${c.api.on} (${c.api.ratio}×)`,
    `  bulk SQL, ${BATCH}-row statements:            ${c.sql.off} → ${c.sql.on} (${c.sql.ratio}×)`,
  ];
}
