/**
 * Where the source is, for every realtime feed of this worker process, in one call: every
 * CHECK_INTERVAL_MS the newest version and newest ledger entry of each watched table
 * (`sync_source_positions`), handed to each feed, which compares them with what Realtime delivered
 * (realtime-gaps.ts). One request per interval for the whole process, not per table, and no
 * Temporal action.
 */
import type { Logger } from '../contracts/logger.js';
import type { SourcePosition, SourceProject, TableRef } from '../contracts/ports.js';
import { SourceClock } from './source-clock.js';

/** How often the source is asked. Hosted Realtime drops silently over its quota: this bounds the gap. */
export const CHECK_INTERVAL_MS = 1000;

interface Watcher {
  ref: TableRef;
  versionColumn: string | null;
  onPosition(position: SourcePosition): void;
}

export class PositionWatch {
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private lastWarning = 0;
  /** The source database's clock, set from each look (what the feeds' lags are measured with). */
  readonly clock = new SourceClock();

  constructor(
    private readonly source: Pick<SourceProject, 'readPositions'>,
    private readonly logger: Logger,
    private readonly intervalMs = CHECK_INTERVAL_MS,
  ) {}

  /** Starts watching a table; returns the function that stops it. */
  watch(ref: TableRef, versionColumn: string | null, onPosition: (p: SourcePosition) => void): () => void {
    const watcher: Watcher = { ref, versionColumn, onPosition };
    this.watchers.add(watcher);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private async tick(): Promise<void> {
    if (this.busy || this.watchers.size === 0) return;
    this.busy = true;
    const watchers = [...this.watchers];
    try {
      const sentAt = Date.now();
      const positions = await this.source.readPositions(
        watchers.map((w) => ({ ref: w.ref, versionColumn: w.versionColumn })),
      );
      const stamped = positions.find((p) => !('error' in p) && p.dbMs != null);
      if (stamped && !('error' in stamped)) this.clock.observe(stamped.dbMs, sentAt, Date.now());
      watchers.forEach((w, i) => {
        const p = positions[i];
        if (p && !('error' in p)) w.onPosition(p);
      });
    } catch (error) {
      // A failed look is the same as no look: the next one covers the same gap.
      if (Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        this.logger.warn(
          { err: String(error) },
          'could not read where the source is (tried again every second)',
        );
      }
    } finally {
      this.busy = false;
    }
  }
}
