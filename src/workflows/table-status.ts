/**
 * What a table workflow shows of itself, as pure functions: its phase, the state name in status and
 * in the SyncState search attribute, how stale the target may be, the whole status. Tested without a
 * server.
 */
import type { TableConfig } from '../contracts/config.js';
import type { SyncSettings, SyncState, SyncStateName, TableStatus } from '../contracts/table-sync.js';
import { copyProgressOf } from '../core/copy-progress.js';
import { tableName } from '../core/names.js';
import { isBlocked, realtimeEnabled } from './decisions.js';

/**
 * A table workflow's lifecycle: `preparing` (the table checked on both projects, its version column
 * chosen; again after new key columns or a backfill), `copying` (the first copy, chunk by chunk),
 * `running` (the realtime feed, and a pass when one is due), `paused` (no feed, no timer passes),
 * `stopping` (the feed stopped, the workflow completes with its checkpoint).
 */
export type Phase = 'preparing' | 'copying' | 'running' | 'paused' | 'stopping';

export function phaseOf(
  state: Pick<SyncState, 'paused' | 'prepared' | 'initialCopy'>,
  stopping: boolean,
): Phase {
  if (stopping) return 'stopping';
  if (state.paused) return 'paused';
  if (!state.prepared) return 'preparing';
  return state.initialCopy.done ? 'running' : 'copying';
}

/** The state shown in status and in the SyncState search attribute: the phase, or `failing`. */
export function stateName(state: SyncState, stopping: boolean): SyncStateName {
  const phase = phaseOf(state, stopping);
  if (phase === 'stopping') return 'stopped';
  if (phase === 'paused') return 'paused';
  if (isBlocked(state)) return 'blocked';
  if (state.consecutiveFailures > 0 || (!state.prepared && state.lastError !== null)) return 'failing';
  return phase === 'preparing' ? 'starting' : phase;
}

/**
 * How stale the target may be, in seconds: with a live realtime feed, the commit-to-apply lag of
 * its last change; otherwise the time since the last successful pass started (everything committed
 * before that start — minus late commits the lookback catches — is on the target).
 */
export function lagSeconds(state: SyncState, realtimeEnabled: boolean, nowMs: number): number | null {
  if (realtimeEnabled && state.realtime.connected && state.lastSuccessAt !== null) {
    return (state.realtime.lastLagMs ?? 0) / 1000;
  }
  if (state.lastSuccessAt === null) return null;
  return Math.max(0, (nowMs - state.lastSuccessAt) / 1000);
}

export function buildStatus(
  table: Pick<TableConfig, 'schema' | 'table' | 'realtime'>,
  settings: SyncSettings,
  state: SyncState,
  stopping: boolean,
  nowMs: number,
): TableStatus {
  const realtime = realtimeEnabled(table, settings);
  return {
    table: tableName(table),
    state: stateName(state, stopping),
    versionColumn: state.versionColumn,
    reconcileCursor: state.reconcileCursor,
    ledgerPosition: state.ledgerPosition,
    initialCopy: state.initialCopy,
    realtime: { ...state.realtime, enabled: realtime },
    counters: state.counters,
    lastPass: state.lastPass,
    lastSuccessAt: state.lastSuccessAt,
    lastError: state.lastError,
    lagSeconds: lagSeconds(state, realtime, nowMs),
    passes: state.passes,
    runs: state.runs,
    schemaDrift: state.schemaDrift ?? [],
    copyProgress: copyProgressOf(state.initialCopy, nowMs),
  };
}

/** Whether the table is failing: a pass failed last, or preparing it failed. */
export function isFailing(state: SyncState): boolean {
  return state.consecutiveFailures > 0 || (!state.prepared && state.lastError !== null);
}
