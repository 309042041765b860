import type { DirectDatabases } from '../contracts/direct-ports.js';
import type { Logger } from '../contracts/logger.js';
import type { SourceProject, TargetProject } from '../contracts/ports.js';
import type { SchemaDifference } from '../contracts/schema-difference.js';
import type { StorageSource, StorageTarget } from '../contracts/storage-ports.js';
import type { RealtimeProgress, SyncState } from '../contracts/table-sync.js';

/** What the activities need, injected by the worker (and by tests). */
export interface ActivityDeps {
  source: SourceProject;
  target: TargetProject;
  /** The projects' Storage (src/supabase/storage-*.ts); absent when no bucket is configured. */
  storageSource?: StorageSource;
  storageTarget?: StorageTarget;
  logger: Logger;
  /**
   * Both projects' Postgres (SYNC_SOURCE_DATABASE_URL and SYNC_TARGET_DATABASE_URL set): whole-table
   * reads and verify go through them (direct-copy.ts); absent, everything goes through the Data API.
   */
  direct?: DirectDatabases;
  /**
   * Where a table workflow's latest completed run left off (checkpoints.ts): the worker looks it up
   * with its Temporal client (src/temporal/checkpoints.ts).
   */
  lastCompletedCheckpoint?(workflowId: string): Promise<SyncState | null>;
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
  };
  /** Where a running feed learns that its workflow released it (src/temporal/feed-control.ts). */
  feedControl: FeedControl;
  /** Local only: the schema differences a check found for a table (the worker's metrics show them). */
  observeSchema?(table: string, differences: SchemaDifference[]): void;
}

/** One realtime feed: its workflow (workflow ids are unique within a namespace) and generation. */
export interface FeedRef {
  namespace: string;
  workflowId: string;
  /** `<runId>/<n>`: the workflow's n-th feed in that run. */
  generation: string;
}

/** Implemented by FeedControlRegistry (src/temporal/feed-control.ts). */
export interface FeedControl {
  /** Registers a running feed; `onRelease` runs when it must stop. Returns the function that unregisters it. */
  listen(feed: FeedRef, onRelease: (reason: string) => void): () => void;
}
