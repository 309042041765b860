/**
 * The table workflow's realtime feed: the `streamRealtimeChanges` activity, at most one at a time,
 * started while the table runs and stopped on every path that ends it (pause, stop, realtime turned
 * off, new key columns, continue-as-new). How a stop reaches the activity: src/temporal/feed-control.ts.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxySinks,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import type { RealtimeFeedInput } from '../contracts/activities.js';
import type { FeedControlSinks } from './messages.js';

/** The feed's activity options but its heartbeat timeout (RealtimeFeed.start takes that). */
const FEED_OPTIONS = {
  startToCloseTimeout: '24 hours',
  // Unlimited retries with backoff: a dropped socket is retried until the feed is cancelled.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  // Wait for the activity to acknowledge cancellation: two subscriptions never overlap for long.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;
const { feedControl } = proxySinks<FeedControlSinks>();

/** After a feed failed for good (not a retried drop: a non-retryable error), wait this long to start another. */
const RETRY_AFTER_FAILURE_MS = 60_000;

export class RealtimeFeed {
  private scope: CancellationScope | undefined;
  private ended: Promise<void> | undefined;
  /** Ticks once per feed started: an abandoned feed's end does not touch the one that replaced it. */
  private current = 0;
  /** `<runId>/<n>`: the n-th feed of this run; a released generation is never wanted again. */
  private generation: string | null = null;
  private started = 0;
  private retryAt = 0;

  /**
   * @param onFailure a feed failed (not cancelled): record it as the table's error.
   * @param onEnd a feed ended, however: the table is no longer connected.
   */
  constructor(
    private readonly onFailure: (error: unknown) => void,
    private readonly onEnd: () => void,
  ) {}

  get running(): boolean {
    return this.ended !== undefined;
  }

  /**
   * Starts a feed unless one runs, or a failed one is still waiting to be retried. The heartbeat
   * timeout is for a worker that lost Temporal or a lone worker started again elsewhere: a dead
   * worker's feeds are taken over within seconds through its liveness workflow (src/engine/presence.ts),
   * so heartbeats can stay rare (the SDK sends one per 80% of it: every 4 min by default, 15 an
   * hour; they are billed).
   */
  start(heartbeatTimeoutMs: number, input: Omit<RealtimeFeedInput, 'generation'>): void {
    if (this.ended || Date.now() < this.retryAt) return;
    const { streamRealtimeChanges } = proxyActivities<SyncActivities>({
      ...FEED_OPTIONS,
      heartbeatTimeout: heartbeatTimeoutMs,
    });
    const scope = new CancellationScope();
    this.scope = scope;
    this.started += 1;
    const run = ++this.current;
    const generation = `${workflowInfo().runId}/${this.started}`;
    this.generation = generation;
    this.ended = scope
      .run(() => streamRealtimeChanges({ ...input, generation }))
      .catch((error: unknown) => {
        if (isCancellation(error) || run !== this.current) return;
        this.onFailure(error);
        this.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      })
      .finally(() => {
        if (run !== this.current) return;
        this.ended = undefined;
        this.scope = undefined;
        this.onEnd();
      });
  }

  /**
   * The worker process the feed ran in is gone (its peers saw its liveness stop): nobody will
   * acknowledge a cancellation, so the feed is given up without waiting — its cancellation is
   * requested (the server ends the attempt at its heartbeat timeout) — and the next start begins
   * a new one at once, in a live worker.
   */
  abandon(): void {
    if (!this.ended) return;
    this.scope?.cancel();
    this.current += 1;
    this.ended = undefined;
    this.scope = undefined;
    this.generation = null;
    this.retryAt = 0;
    this.onEnd();
  }

  /** A feed that failed for good may start again at once (the cause was fixed). */
  retryNow(): void {
    this.retryAt = 0;
  }

  /**
   * Stops the feed and waits until it has ended. First the feedControl sink (at once, in the worker
   * process that runs this workflow task), then cancellation of its scope (the fallback for a feed in
   * another process); WAIT_CANCELLATION_COMPLETED makes this wait for the feed to end either way. A
   * new run (continue-as-new) starts its feed only after this: two runs' feeds never overlap.
   */
  async stop(): Promise<void> {
    if (!this.ended) return;
    if (this.generation !== null) feedControl.release(this.generation);
    this.generation = null;
    this.scope?.cancel();
    await this.ended;
  }
}
