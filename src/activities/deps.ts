import type { SourceProject, TargetProject } from '../supabase/ports.js';
import type { Logger } from '../logger.js';
import type { RealtimeProgress } from '../workflows/types.js';

/** What the activities need, injected by the worker (and by tests). */
export interface ActivityDeps {
  source: SourceProject;
  target: TargetProject;
  logger: Logger;
  /** Aborted when the worker begins a graceful shutdown: long-running feeds flush and hand over. */
  shutdown?: AbortSignal;
  /** Reports to the table's workflow by id (no run id: it reaches the current run after continue-as-new). */
  notify: {
    realtimeProgress(workflowId: string, progress: RealtimeProgress): Promise<void>;
    realtimeSubscribed(workflowId: string, at: string): Promise<void>;
  };
}
