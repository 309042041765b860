/**
 * The lag of each table over the last hour, kept in memory for the dashboard (src/cli/dashboard*.ts):
 * per table a ring of at most SLOTS points, one per SLOT_MS (the highest lag seen in that slot). Fed
 * by the worker from the realtime feed's batches as they are applied (`observeRealtime`, the same
 * numbers as the `supabase_sync_realtime_lag_seconds` metric) and by the dashboard from each status
 * it reads. Numbers and times only: never a row. Lost with the process.
 */
import type { ActivityDeps } from '../activities/deps.js';
import { tableFromWorkflowId } from '../workflows/ids.js';

export const SLOT_MS = 20_000;
/** One hour of 20 s slots. */
export const SLOTS = 180;

export interface LagPoint {
  /** Start of the slot (epoch ms). */
  at: number;
  /** The highest lag seen in it, in seconds. */
  seconds: number;
}

export class LagHistory {
  private readonly rings = new Map<string, LagPoint[]>();

  constructor(
    private readonly slotMs = SLOT_MS,
    private readonly slots = SLOTS,
  ) {}

  record(table: string, seconds: number | null, now = Date.now()): void {
    if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return;
    const at = now - (now % this.slotMs);
    let ring = this.rings.get(table);
    if (!ring) this.rings.set(table, (ring = []));
    const last = ring[ring.length - 1];
    if (last && last.at === at) last.seconds = Math.max(last.seconds, seconds);
    else if (!last || last.at < at) ring.push({ at, seconds });
    while (ring.length > 0 && (ring.length > this.slots || ring[0]!.at <= now - this.slotMs * this.slots))
      ring.shift();
  }

  /** The points of the last hour, oldest first (empty when none). */
  points(table: string, now = Date.now()): LagPoint[] {
    return (this.rings.get(table) ?? []).filter((p) => p.at > now - this.slotMs * this.slots);
  }

  tables(): string[] {
    return [...this.rings.keys()];
  }

  /** `deps.notify` with each applied batch's lag recorded before it is passed on. */
  wrapNotify(notify: ActivityDeps['notify']): ActivityDeps['notify'] {
    return {
      ...notify,
      observeRealtime: (workflowId, progress) => {
        const table = tableFromWorkflowId(workflowId);
        if (table && progress.lagMs !== null) this.record(table, progress.lagMs / 1000);
        notify.observeRealtime?.(workflowId, progress);
      },
    };
  }
}
