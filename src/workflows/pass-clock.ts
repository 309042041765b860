/**
 * When a table's next pass is due: a wait (nextWaitMs: shorter while failing, longer while the feed
 * is live) after the last pass ended, or at once when none ran in this run yet. Workflow code:
 * Date.now() and condition() are the workflow's deterministic clock and timer.
 */
import { condition } from '@temporalio/workflow';

/** 'now': due without waiting; 'due': due after waiting; 'early': woken before it was due. */
export type PassDue = 'now' | 'due' | 'early';

export class PassClock {
  /** When the last pass ended; null: a pass is due now. */
  private lastPassAt: number | null;

  /** @param passedNow a new run of a table already copied waits a full interval before its first pass. */
  constructor(passedNow: boolean) {
    this.lastPassAt = passedNow ? Date.now() : null;
  }

  passed(): void {
    this.lastPassAt = Date.now();
  }

  /**
   * Waits until the pass is due or `wake()` holds. It also wakes when the wait itself changes (the
   * feed connected or was lost, new settings): the caller then decides again from the last pass.
   */
  async untilDue(wait: () => number, wake: () => boolean): Promise<PassDue> {
    const waitMs = wait();
    const dueAt = this.lastPassAt === null ? Date.now() : this.lastPassAt + waitMs;
    if (dueAt - Date.now() <= 0) return 'now';
    await condition(() => wake() || wait() !== waitMs, dueAt - Date.now());
    return Date.now() < dueAt ? 'early' : 'due';
  }
}
