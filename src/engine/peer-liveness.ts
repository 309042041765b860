/**
 * How a worker's liveness workflow (src/workflows/presence.ts) stands, as its peers judge it
 * (src/engine/presence.ts): from a describe call, and the run's history only when the server timed
 * its hold out a moment ago. A healthy worker's liveness always shows a hold pending: it is never
 * 'lost' however long it runs (test/sync/presence-time-skipping.test.ts).
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { PresenceEnd } from '../workflows/presence.js';

export interface PeerLiveness {
  /** The run described (the latest: a run that continued as new is followed). */
  runId: string;
  running: boolean;
  /** How it ended ('lost': its worker died without a goodbye); undefined while it holds, or unknown. */
  end: PresenceEnd | undefined;
}

/** The liveness of the workflow behind `handle`; undefined when there is none or it is run `skipRun`. */
export async function peerLiveness(
  handle: WorkflowHandle,
  skipRun?: string,
): Promise<PeerLiveness | undefined> {
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  const { runId } = description;
  if (runId === skipRun) return undefined;
  switch (description.status.name) {
    case 'RUNNING': {
      // Still running without its activity: just started, or the server timed the activity out a
      // moment ago (the workflow has not run since). The history says which.
      if ((description.raw.pendingActivities ?? []).length > 0)
        return { runId, running: true, end: undefined };
      const history = await handle.fetchHistory();
      const timedOut = (history.events ?? []).some((e) => e.activityTaskTimedOutEventAttributes);
      return { runId, running: true, end: timedOut ? 'lost' : undefined };
    }
    case 'COMPLETED':
      return { runId, running: false, end: (await handle.result()) as PresenceEnd };
    default:
      return { runId, running: false, end: undefined };
  }
}
