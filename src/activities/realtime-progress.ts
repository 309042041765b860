/**
 * What a realtime feed tells its workflow, and how often: never a signal per row (a signal is a
 * billed Temporal action). A connection change goes at once; counts and the watermark at most every
 * `progressEvery` (the first change after a quiet spell at once); nothing while nothing changes.
 * Metrics see every batch and connection change at once, locally (`deps.notify.observeRealtime`).
 */
import type { Logger } from '../contracts/logger.js';
import type { RealtimeProgress } from '../contracts/table-sync.js';
import { advanceCursor } from '../core/versions.js';
import type { ActivityDeps } from './deps.js';
import type { SourceClock } from './source-clock.js';

type Applied = Pick<RealtimeProgress, 'written' | 'skipped' | 'deleted' | 'reread' | 'healed'>;

export class FeedProgress {
  /** Increments since the last signal, and the current connection state and watermark. */
  private readonly pending: RealtimeProgress = {
    connected: false,
    watermark: null,
    lagMs: null,
    written: 0,
    skipped: 0,
    deleted: 0,
    reread: 0,
  };
  private dirty = false;
  private lastReport = 0;
  /** The connection state the workflow last heard from this attempt (null: nothing yet). */
  private told: boolean | null = null;

  constructor(
    private readonly notify: ActivityDeps['notify'],
    private readonly workflowId: string,
    private readonly log: Logger,
    private readonly progressEvery: number,
    /** The source database's clock: a lag is a commit time (stamped there) to now. */
    private readonly clock: Pick<SourceClock, 'since'>,
  ) {}

  get watermark(): string | null {
    return this.pending.watermark;
  }

  /** The subscription is live: the realtimeSubscribed signal says so (and asks for a catch-up pass). */
  live(): void {
    this.pending.connected = true;
    this.observe({});
    this.told = true;
    this.notify.realtimeSubscribed(this.workflowId, new Date().toISOString()).catch((error: unknown) => {
      this.log.warn({ err: String(error) }, 'could not report the subscription to the workflow');
      this.told = null; // the next progress report says it
    });
  }

  /** The subscription ended; `reason` (when it was lost) is shown in status until it is live again. */
  disconnected(reason?: string): void {
    this.pending.connected = false;
    if (reason !== undefined) this.pending.lostReason = reason;
    this.observe({});
  }

  /** A batch was applied; `maxCommit` is its newest commit time. */
  applied(delta: Applied, maxCommit: string | null): void {
    this.pending.written += delta.written;
    this.pending.skipped += delta.skipped;
    this.pending.deleted += delta.deleted;
    this.pending.reread += delta.reread;
    if (delta.healed) this.pending.healed = (this.pending.healed ?? 0) + delta.healed;
    this.pending.watermark = advanceCursor(this.pending.watermark, maxCommit);
    const lagMs = maxCommit ? this.clock.since(maxCommit) : null;
    if (lagMs !== null) this.pending.lagMs = lagMs;
    this.dirty = true;
    this.observe({ ...delta, lagMs });
  }

  /**
   * Signals progress to the workflow when due: a connection change at once; counts and the
   * watermark when the last report is at least `progressEvery` old; everything left when `final`.
   */
  async report(final: boolean): Promise<void> {
    const now = Date.now();
    // At the end, say `disconnected` unless the workflow already heard it from this attempt.
    const connectionChanged = final ? this.told !== false : this.pending.connected !== (this.told ?? false);
    if (!connectionChanged && (!this.dirty || (!final && now - this.lastReport < this.progressEvery))) return;
    const sent = { ...this.pending };
    this.pending.written = this.pending.skipped = this.pending.deleted = this.pending.reread = 0;
    delete this.pending.healed;
    this.dirty = false;
    this.lastReport = now;
    this.told = sent.connected;
    await this.notify.realtimeProgress(this.workflowId, sent).catch((error: unknown) => {
      this.log.warn({ err: String(error) }, 'could not report progress to the workflow');
    });
  }

  /** Metrics: every batch and connection change, locally (no Temporal call); never fails the feed. */
  private observe(delta: Partial<RealtimeProgress>): void {
    try {
      this.notify.observeRealtime?.(this.workflowId, {
        connected: this.pending.connected,
        watermark: this.pending.watermark,
        lagMs: null,
        written: 0,
        skipped: 0,
        deleted: 0,
        reread: 0,
        ...delta,
      });
    } catch (error) {
      this.log.warn({ err: String(error) }, 'could not record realtime metrics');
    }
  }
}
