import type { Client } from '@temporalio/client';
import type { SchemaDifference } from '../core/schema-diff.js';
import type { SourceProject, TargetProject } from '../supabase/ports.js';
import type { StorageSource, StorageTarget } from '../supabase/storage-ports.js';
import type { Logger } from '../engine/logger.js';
import type { RealtimeProgress } from '../workflows/types.js';

/** What the activities need, injected by the worker (and by tests). */
export interface ActivityDeps {
  source: SourceProject;
  target: TargetProject;
  /** The projects' Storage (src/supabase/storage-*.ts); absent when no bucket is configured. */
  storageSource?: StorageSource;
  storageTarget?: StorageTarget;
  logger: Logger;
  /** Temporal client for checkpoint look-ups (checkpoints.ts); the worker passes its own. */
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
