/**
 * A job that runs beside a loop, at most one at a time: `start` does nothing while the last one
 * runs, and `settled` is what a loop awaits before it ends (in `finally`), so no job outlives it.
 * The job's own failure is its to report: `start` takes work that does not throw.
 */
export class BackgroundTask {
  private running: Promise<void> | null = null;

  get busy(): boolean {
    return this.running !== null;
  }

  /** Starts `work` unless one is running; returns whether it started. */
  start(work: () => Promise<void>): boolean {
    if (this.running !== null) return false;
    this.running = work().finally(() => {
      this.running = null;
    });
    return true;
  }

  /** Resolves when no job is running (at once when none is). */
  async settled(): Promise<void> {
    await this.running;
  }
}
