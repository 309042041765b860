/**
 * Idle cost: while a table's Realtime feed is live, reconciliation is its safety net, and while the
 * feed's gap checks find nothing Realtime did not deliver, the next pass can wait longer still. Pure functions (no workflow APIs): unit-tested in test/unit.
 */
import type { SyncSettings, SyncState } from '../contracts/table-sync.js';

/** A quiet live table waits this many live intervals between passes (5 min → 30 min by default). */
export const QUIET_LIVE_FACTOR = 6;

/** patched() id: quiet live tables pass every QUIET_LIVE_FACTOR live intervals (issue 23, 2026-12-07). */
export const QUIET_LIVE_PATCH = 'quiet-live-interval';

/** The feed's heartbeat timeout by default: liveness of a dead worker comes from src/engine/presence.ts. */
export const FEED_HEARTBEAT_TIMEOUT_MS = 5 * 60_000;

/** The feed's heartbeat timeout: the setting (tests and the bench shorten it) or the default. */
export function feedHeartbeatTimeoutMs(settings: Pick<SyncSettings, 'feedHeartbeatMs'>): number {
  return settings.feedHeartbeatMs ?? FEED_HEARTBEAT_TIMEOUT_MS;
}

/**
 * Whether the live table is quiet: the feed's gap checks (which compare the source with what
 * Realtime delivered) have healed nothing since the last pass, that pass succeeded, and nothing is
 * failing. A table without a version column is never quiet: its gap checks cannot see a dropped
 * insert or update, only the pass can. (A pass that writes rows is no sign of a loss on a busy table:
 * it races the feed for the changes of the last moments.)
 */
export function isQuiet(
  state: Pick<SyncState, 'lastPass' | 'counters' | 'consecutiveFailures' | 'versionColumn'>,
  healedAtLastPass: number,
): boolean {
  return (
    state.versionColumn !== null &&
    state.consecutiveFailures === 0 &&
    state.lastPass !== null &&
    state.lastPass.ok &&
    (state.counters.realtimeHealed ?? 0) === healedAtLastPass
  );
}

/**
 * The wait after a pass of a live, quiet table: QUIET_LIVE_FACTOR times the live interval (itself at
 * least the interval). `base` is what nextWaitMs decided; a table that is not live or not quiet keeps it.
 */
export function quietWaitMs(
  base: number,
  settings: Pick<SyncSettings, 'intervalMs' | 'liveIntervalMs'>,
  live: boolean,
  quiet: boolean,
): number {
  if (!live || !quiet) return base;
  const liveMs = Math.max(settings.intervalMs, settings.liveIntervalMs ?? 0);
  // A live interval of 0 (or at most the interval) means "no slower cadence while live": kept.
  if (liveMs <= settings.intervalMs) return base;
  return Math.max(base, liveMs * QUIET_LIVE_FACTOR);
}

/**
 * A table workflow's quiet cadence: it remembers the feed's healed count at the last pass. `on` is
 * the patched() answer (false: a run recorded before it, which keeps the live interval on replay).
 */
export class QuietCadence {
  private healedAtLastPass: number;

  constructor(
    private readonly on: boolean,
    state: Pick<SyncState, 'counters'>,
  ) {
    this.healedAtLastPass = state.counters.realtimeHealed ?? 0;
  }

  passed(state: Pick<SyncState, 'counters'>): void {
    this.healedAtLastPass = state.counters.realtimeHealed ?? 0;
  }

  /** The wait after a pass: `base` (nextWaitMs), longer while the live table is quiet. */
  waitMs(
    base: number,
    settings: Pick<SyncSettings, 'intervalMs' | 'liveIntervalMs'>,
    live: boolean,
    state: Parameters<typeof isQuiet>[0],
  ): number {
    if (!this.on) return base;
    return quietWaitMs(base, settings, live, isQuiet(state, this.healedAtLastPass));
  }
}
