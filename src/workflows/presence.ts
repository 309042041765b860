/**
 * `syncWorkerPresence` (id `sync-worker:<identity>`): one worker process's liveness, for failing
 * over its Realtime feeds when it dies without a goodbye. It holds one long-running `holdPresence`
 * activity on the worker's own task queue, which heartbeats every few seconds: the other workers
 * read its last heartbeat (a free describe call, src/engine/presence.ts) and take its feeds over
 * when its heartbeats stop. One liveness stream per worker process, not per table: the heartbeats are
 * its only cost, and only while more than one worker shares the task queue. Ends when the worker
 * stops ('stopped') or dies ('lost').
 */
import { proxyActivities } from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';

export interface PresenceInput {
  identity: string;
  /** The worker's own task queue (only that process polls it). */
  presenceQueue: string;
  /** The activity's heartbeat timeout: a dead worker's heartbeats stop, its peers notice after this. */
  heartbeatTimeoutMs: number;
}

/** 'stopped': the worker shut down (its feeds handed over themselves); 'lost': it died. */
export type PresenceEnd = 'stopped' | 'lost';

export async function syncWorkerPresence(input: PresenceInput): Promise<PresenceEnd> {
  const { holdPresence } = proxyActivities<SyncActivities>({
    taskQueue: input.presenceQueue,
    startToCloseTimeout: '1 day',
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: { maximumAttempts: 1 },
  });
  try {
    await holdPresence({ identity: input.identity });
    return 'stopped';
  } catch {
    // Its heartbeats stopped: the worker died without a goodbye (or lost Temporal for that long).
    return 'lost';
  }
}
