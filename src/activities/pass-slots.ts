/**
 * How many reconciliation chunks (reconcile.ts) one worker process runs at once. Each holds pages
 * of rows in memory (one read ahead, a batch being gathered, up to three writes in flight: a few
 * thousand rows), so 200 tables starting together — their first copies, then their catch-up
 * passes — held hundreds of MB at once, and the process kept that heap afterwards. The target's
 * apply function and the API are busy with far fewer chunks than that, so a few at a time copy
 * as fast and keep the worker small; the others wait their turn, first come first served.
 *
 * A chunk returns after about 20 s (CHUNK_MS in src/workflows/passes.ts), so a waiting one gets a
 * slot within seconds to minutes; one that has waited MAX_WAIT_MS goes anyway, so that no chunk
 * comes near its 10-minute start-to-close timeout however many tables the worker runs. Waiting
 * chunks keep heartbeating (keepBeating wraps the wait).
 */

/** Chunks running at once in one process. */
export const PASS_SLOTS = 8;
/** A chunk waits at most this long for a slot, then runs over the limit. */
export const MAX_WAIT_MS = 4 * 60_000;

export class PassSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly slots = PASS_SLOTS,
    private readonly maxWaitMs = MAX_WAIT_MS,
  ) {}

  /** Runs `work` once a slot is free (or MAX_WAIT_MS has passed). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Chunks running and waiting (for tests). */
  get sizes(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private acquire(): Promise<void> {
    if (this.running < this.slots) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const go = () => {
        clearTimeout(timer);
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        this.running += 1;
        resolve();
      };
      const timer = setTimeout(go, this.maxWaitMs);
      this.waiting.push(go);
    });
  }

  private release(): void {
    this.running -= 1;
    if (this.running < this.slots) this.waiting[0]?.();
  }
}
