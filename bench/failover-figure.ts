/**
 * The bench's fail-over figure: the time for the target to be current again after the worker
 * running the Realtime feeds is killed (SIGKILL) with a second worker running.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSyncProcess, type SyncProcess } from '../test/support/sync-process.js';
import { stats, type BenchStack, type HostedContext } from './hosted.js';
import { count, createPair, q, sleep, until } from './lib.js';

export interface FailoverFigure {
  plan: string;
  tables: number;
  /** From the SIGKILL of the worker running the feeds to the last row that arrived more than 1 s late. */
  currentAfterMs: number;
  /** Rows inserted during the run missing on the target at the end. */
  missing: number;
  lag: { p50: number | null; p99: number | null; n: number };
}

function envText(stack: BenchStack, taskQueue: string): string {
  return [
    `SYNC_SOURCE_SUPABASE_URL=${stack.source.url}`,
    `SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY=${stack.source.serviceRoleKey}`,
    `SYNC_TARGET_SUPABASE_URL=${stack.target.url}`,
    `SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=${stack.target.serviceRoleKey}`,
    `TEMPORAL_ADDRESS=${stack.temporal.address}`,
    `TEMPORAL_NAMESPACE=${stack.temporal.namespace}`,
    `TEMPORAL_TASK_QUEUE=${taskQueue}`,
    // Passes every 10 minutes: what arrives after the kill comes through the survivor's feeds.
    'SYNC_RECONCILE_INTERVAL_MS=600000',
    'SYNC_RECONCILE_INTERVAL_LIVE_MS=600000',
    '',
  ].join('\n');
}

/**
 * Two `npm run sync` processes on one task queue; the one that runs the feeds (the first started)
 * is killed with SIGKILL while rows are inserted at 50/s into each table; every row's lag
 * (`applied_at − updated_at`) tells when the target was current again.
 */
export async function figureFailover(ctx: HostedContext): Promise<FailoverFigure> {
  const names = ['bench_failover_0', 'bench_failover_1', 'bench_failover_2'];
  const src = ctx.stack.source.databaseUrl;
  const tgt = ctx.stack.target.databaseUrl;
  for (const n of names) await createPair(src, tgt, n, 1000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-failover-'));
  await writeFile(path.join(dir, 'sync.env'), envText(ctx.stack, `bench-failover-${process.pid}`));
  await writeFile(path.join(dir, 'tables.json'), JSON.stringify({ tables: names.map((name) => ({ name })) }));
  const workers: SyncProcess[] = [];
  const start = () => {
    const w = spawnSyncProcess(dir);
    workers.push(w);
    return w;
  };
  let next = 1_000_001;
  const insertEach = async () => {
    const id = next++;
    await Promise.all(
      names.map((n) => q(src, `INSERT INTO public.${n} (id, v, payload) VALUES ($1, 1, 'failover')`, [id])),
    );
  };
  try {
    const first = start();
    await until('first worker copied and live', () => allCopied(tgt, names, 1000), 180_000, 500);
    await until(
      'first worker feeds live',
      async () => {
        await insertEach();
        return (await Promise.all(names.map((n) => count(tgt, n, 'id > 1000000')))).every((c) => c > 0);
      },
      120_000,
      500,
    );
    const second = start();
    await until(
      'second worker polling',
      () => Promise.resolve(/syncing \d+ table\(s\)/.test(second.output())),
      180_000,
      500,
    );
    await sleep(2000);
    const stopAt = Date.now() + 12_000;
    let killedAt = 0;
    while (Date.now() < stopAt) {
      if (!killedAt && Date.now() > stopAt - 10_000) {
        first.child.kill('SIGKILL');
        killedAt = Date.now();
        ctx.log('failover: first worker killed');
      }
      await insertEach();
      await sleep(20);
    }
    const expected = next - 1_000_001;
    await until(
      'failover converged',
      async () =>
        (await Promise.all(names.map((n) => count(tgt, n, 'id > 1000000')))).every((c) => c >= expected),
      60_000,
      200,
    ).catch(() => undefined);
    const rows = (
      await Promise.all(
        names.map((n) =>
          q<{ lag: number; applied: number }>(
            tgt,
            `SELECT extract(epoch FROM applied_at - updated_at) * 1000 AS lag,
                    extract(epoch FROM applied_at) * 1000 AS applied
               FROM public.${n} WHERE id > 1000000`,
          ),
        ),
      )
    ).flat();
    const late = rows.filter((r) => Number(r.lag) > 1000).map((r) => Number(r.applied));
    const missing =
      names.length * expected -
      (await Promise.all(names.map((n) => count(tgt, n, 'id > 1000000')))).reduce((a, b) => a + b, 0);
    return {
      plan: ctx.stack.plan,
      tables: names.length,
      currentAfterMs: late.length ? Math.round(Math.max(...late) - killedAt) : 0,
      missing,
      lag: stats(rows.map((r) => Number(r.lag))),
    };
  } finally {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => Promise.race([w.exited, sleep(20_000)])));
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

async function allCopied(url: string, names: string[], rows: number): Promise<boolean> {
  return (await Promise.all(names.map((n) => count(url, n)))).every((c) => c >= rows);
}
