/**
 * What a table workflow does with requests: those it refuses before anything is recorded (update
 * validators; shared with the CLI, which refuses the same values with the same words before
 * sending them), and what new settings (`configure`) do to a failing table. Pure: no Temporal
 * imports, no Node built-ins.
 */
import type { PassOptions, RequestOptions, SyncState } from '../contracts/table-sync.js';
import { isBlocked } from './decisions.js';

/** `reconcileNow`'s options: `since` must be a time. */
export function passOptionsError(options?: PassOptions): string | undefined {
  if (options?.since !== undefined && Number.isNaN(Date.parse(options.since))) {
    return `since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z (got "${options.since}")`;
  }
  return undefined;
}

/** A request seen after its `notAfter`: the CLI has given up on it, so it must not apply. */
export function expiredRequestError(request: RequestOptions | undefined, nowMs: number): string | undefined {
  const notAfter = request?.notAfter;
  if (typeof notAfter !== 'number' || nowMs <= notAfter) return undefined;
  return `this request expired at ${new Date(notAfter).toISOString()} (the workflow saw it at ${new Date(nowMs).toISOString()}) and was not applied: send it again while a worker runs`;
}

/**
 * Why a `reconcileNow` cannot get a pass now: the table cannot be prepared (its preparation failed,
 * or it is blocked; a pass needs its version column and key checked). Refused at once with the
 * table's own error instead of waiting.
 */
export function passBlocked(state: SyncState, stopping: boolean): string | undefined {
  if (stopping) return 'the workflow is stopping';
  if (state.lastError && !state.prepared && (state.lastError.where === 'prepare' || isBlocked(state))) {
    return `the table cannot run a pass until it is fixed: ${state.lastError.message}`;
  }
  return undefined;
}

/**
 * New settings arrived (`npm run sync` restarted after a fix): a failing table starts its backoff
 * over and retries at once, instead of waiting out a backoff earned with the old settings.
 */
export function resetBackoff(state: SyncState): SyncState {
  return { ...state, consecutiveFailures: 0 };
}
