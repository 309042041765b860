/**
 * `syncWorkerPresence` (id `sync-worker:<identity>`): one worker process's liveness, for failing
 * over its Realtime feeds when it dies without a goodbye. It holds a `holdPresence` activity on the
 * worker's own task queue, which heartbeats every few seconds: the other workers read its last
 * heartbeat (a free describe call, src/engine/presence.ts) and take its feeds over when its
 * heartbeats stop. One liveness stream per worker process, not per table: the heartbeats are its only
 * cost, and only while more than one worker shares the task queue. Ends when the worker stops
 * ('stopped') or dies ('lost').
 *
 * It lasts as long as the worker: each hold ends after `renewMs` (an hour by default) and the next
 * starts at once, so no timeout is a lifetime (an activity's start-to-close is the hold plus a
 * margin, never reached by a live worker), and every `holdsPerRun` holds the workflow continues as
 * new, so its history stays small however long the worker runs.
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import type { HoldEnd } from '../contracts/activities.js';

export interface PresenceInput {
  identity: string;
  /** The worker's own task queue (only that process polls it). */
  presenceQueue: string;
  /** The activity's heartbeat timeout: a dead worker's heartbeats stop, its peers notice after this. */
  heartbeatTimeoutMs: number;
  /** How long one hold lasts before the next replaces it (tests shorten it). */
  renewMs?: number;
  /** Holds per run before it continues as new (tests lower it). */
  holdsPerRun?: number;
}

/** 'stopped': the worker shut down (its feeds handed over themselves); 'lost': it died. */
export type PresenceEnd = 'stopped' | 'lost';

/** Sent by the worker as it stops: its liveness ends 'stopped' at once, even between two holds. */
export const presenceStopSignal = defineSignal('presenceStop');

export const PRESENCE_RENEW_MS = 60 * 60 * 1000;
export const PRESENCE_HOLDS_PER_RUN = 24;

/** One hold's start-to-close: its own length plus a margin that only a hung worker exceeds. */
export function holdTimeoutMs(renewMs: number, heartbeatTimeoutMs: number): number {
  return renewMs + Math.max(60_000, 2 * heartbeatTimeoutMs);
}

export async function syncWorkerPresence(input: PresenceInput): Promise<PresenceEnd> {
  const renewMs = input.renewMs ?? PRESENCE_RENEW_MS;
  const { holdPresence } = proxyActivities<SyncActivities>({
    taskQueue: input.presenceQueue,
    startToCloseTimeout: holdTimeoutMs(renewMs, input.heartbeatTimeoutMs),
    heartbeatTimeout: input.heartbeatTimeoutMs,
    // A worker that dies between two holds never starts the next: that is a loss too.
    scheduleToStartTimeout: input.heartbeatTimeoutMs,
    retry: { maximumAttempts: 1 },
  });
  let stopping = false;
  setHandler(presenceStopSignal, () => void (stopping = true));
  const stopped = condition(() => stopping).then((): HoldEnd => 'stopped');
  for (let held = 0; held < (input.holdsPerRun ?? PRESENCE_HOLDS_PER_RUN); held++) {
    let end: HoldEnd;
    try {
      end = await Promise.race([holdPresence({ identity: input.identity, renewMs }), stopped]);
    } catch {
      // Its heartbeats stopped: the worker died without a goodbye (or lost Temporal for that long).
      return 'lost';
    }
    // (A hold of an earlier version of the code returned nothing when its worker stopped.) A stop
    // that arrived with the hold's end (one workflow task) is a stop too, not a next run's hold:
    // that run would outlive the worker and end 'lost' (test/sync/presence-time-skipping.test.ts).
    if (end !== 'renew' || stopping) return 'stopped';
    if (workflowInfo().continueAsNewSuggested) break;
  }
  return continueAsNew<typeof syncWorkerPresence>(input);
}
