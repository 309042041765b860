/**
 * supabase/realtime's RateCounter: events are counted, and every tick (5 s) the count goes into a
 * bucket of the last 12 ticks; the rate is the bucket's average per second. The limit is
 * triggered at a tick when that average reaches it, and released at a later tick when it falls
 * below. Between ticks the state does not change: a burst is let through until the next tick, and
 * once triggered a limit holds for whole ticks (for the message quota, every change meanwhile is
 * dropped), as on the hosted service.
 *
 * A counter whose whole bucket is zero (a quiet minute) starts afresh, so the next burst is judged
 * on its own ticks rather than averaged with a quiet minute. Hosted Realtime stops such a counter
 * at its 5-minute idle check and starts a fresh one on the next event; here it happens at the first
 * tick it could (the strict end of what hosted does).
 */

export const RATE_TICK_MS = 5000;
const MAX_BUCKET_LEN = 12;

export class RateCounter {
  private count = 0;
  private bucket: number[] = [];
  private triggeredNow = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limitPerSecond: number,
    private readonly tickMs = RATE_TICK_MS,
    private readonly onTrigger?: (avg: number) => void,
  ) {
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  add(n = 1): void {
    this.count += n;
  }

  get triggered(): boolean {
    return this.triggeredNow;
  }

  /** The average per second over the bucket at the last tick. */
  get average(): number {
    if (this.bucket.length === 0) return 0;
    return this.bucket.reduce((a, b) => a + b, 0) / this.bucket.length / (this.tickMs / 1000);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    this.bucket.unshift(this.count);
    this.count = 0;
    if (this.bucket.length > MAX_BUCKET_LEN) this.bucket.length = MAX_BUCKET_LEN;
    if (this.bucket.every((n) => n === 0)) this.bucket = [];
    const avg = this.average;
    if (this.triggeredNow) {
      if (avg < this.limitPerSecond) this.triggeredNow = false;
    } else if (avg >= this.limitPerSecond) {
      this.triggeredNow = true;
      this.onTrigger?.(avg);
    }
  }
}
