/**
 * The demo's changes (src/engine/local.ts): one on the source every interval, alternately an insert
 * and an update, each printed with how long it took to be on the target.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Pool } from 'pg';
import type { Lags } from './demo-lags.js';

/** The demo's sample table, in `public` on both projects. */
export const DEMO_TABLE = 'demo_orders';

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

/** Writes a change on the source every interval and prints when it is on the target. */
export async function writeChanges(
  source: Pool,
  target: Pool,
  options: { changes?: number; intervalMs: number; rows: number },
  stopping: AbortSignal,
  lags: Lags,
): Promise<void> {
  let nextId = Number(
    (await source.query<{ n: string }>(`SELECT coalesce(max(id), 0) + 1 AS n FROM public.${DEMO_TABLE}`))
      .rows[0]!.n,
  );
  const statuses = ['paid', 'packed', 'shipped', 'delivered'];
  for (let done = 0; !stopping.aborted && (options.changes === undefined || done < options.changes); done++) {
    const update = done % 2 === 1;
    const id = update ? 1 + Math.floor(Math.random() * options.rows) : nextId++;
    const status = statuses[done % statuses.length]!;
    const sql = update
      ? `UPDATE public.${DEMO_TABLE} SET status = $2, updated_at = now() WHERE id = $1 RETURNING updated_at`
      : `INSERT INTO public.${DEMO_TABLE} (id, customer, status, total) VALUES ($1::bigint, 'customer ' || $1::bigint, $2, 42.00) RETURNING updated_at`;
    const committed = Date.now();
    await source.query(sql, [id, status]);
    let arrived: number | undefined;
    while (arrived === undefined && !stopping.aborted && Date.now() - committed < 10_000) {
      const { rows } = await target.query(`SELECT status FROM public.${DEMO_TABLE} WHERE id = $1`, [id]);
      if ((rows[0] as { status?: string } | undefined)?.status === status) arrived = Date.now();
      else await sleep(5, stopping);
    }
    const what = `${update ? 'update' : 'insert'} order ${id} → ${status}`;
    if (arrived !== undefined) {
      lags.add(arrived - committed);
      console.log(`${what}: on the target after ${arrived - committed} ms`);
    } else if (!stopping.aborted) {
      lags.missed += 1;
      console.log(`${what}: not on the target after 10 s`);
    }
    await sleep(options.intervalMs, stopping);
  }
}
