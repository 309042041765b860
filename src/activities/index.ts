/**
 * `createActivities(deps)`: the activities with their dependencies injected (see the
 * activities-dependency-injection sample). Each is thin: it calls the source/target ports.
 */
import type { ActivityDeps } from './deps.js';
import { createCheckpointActivities } from './checkpoints.js';
import { createDeletionActivities } from './deletions.js';
import { createPrepareActivities } from './prepare.js';
import { createPresenceActivities } from './presence.js';
import { createRealtimeActivities } from './realtime.js';
import { createReconcileActivities } from './reconcile.js';
import { createSequenceActivities } from './sequences.js';
import { createStorageActivities } from './storage.js';
import { createVerifyActivities } from './verify.js';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPrepareActivities(deps),
    ...createReconcileActivities(deps),
    ...createSequenceActivities(deps),
    ...createDeletionActivities(deps),
    ...createRealtimeActivities(deps),
    ...createCheckpointActivities(deps),
    ...createVerifyActivities(deps),
    ...createPresenceActivities(deps),
    ...createStorageActivities(deps),
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
