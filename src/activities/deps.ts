import type { Client } from '@temporalio/client';
import type { SourceProject, TargetProject } from '../supabase/ports.js';
import type { Logger } from '../logger.js';
import type { RealtimeProgress } from '../workflows/types.js';

/** What the activities need, injected by the worker (and by tests). */
export interface ActivityDeps {
  source: SourceProject;
  target: TargetProject;
  logger: Logger;
  /** Temporal client for checkpoint look-ups (src/activities/checkpoints.ts); the worker passes its own. */
  client?: Client;
  /** Aborted when the worker begins a graceful shutdown: long-running feeds flush and hand over. */
  shutdown?: AbortSignal;
  /** Reports to the table's workflow by id (no run id: it reaches the current run after continue-as-new). */
  notify: {
    /** A signal (a billed action): connection changes at once, counts at most every 30 s. */
    realtimeProgress(workflowId: string, progress: RealtimeProgress): Promise<void>;
    /**
     * Local only, no Temporal call: every applied realtime batch (increments) and connection change,
     * as it happens. The worker records metrics from it.
     */
    observeRealtime?(workflowId: string, progress: RealtimeProgress): void;
    realtimeSubscribed(workflowId: string, at: string): Promise<void>;
    /**
     * Whether the workflow still wants the feed of this generation (a query: no history event, not
     * billed as an action). How a feed learns to stop within seconds without frequent heartbeats.
     */
    feedWanted(workflowId: string, generation: string): Promise<boolean>;
  };
}
