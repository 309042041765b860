/**
 * Passes asked for outside the timer: `reconcileNow` requests (each waits for its own pass and gets
 * its result), catch-up passes (Realtime (re)subscribed: it does not replay what it missed; or a
 * backfill began), and a retry now (new settings for a failing table, see `configure`).
 */
import { condition } from '@temporalio/workflow';
import type { PassOptions, PassSummary, ReconcileResult } from '../contracts/table-sync.js';

export class PassRequests {
  private issued = 0;
  private done = 0;
  private readonly options: PassOptions[] = [];
  private lastResult: ReconcileResult;
  /** A catch-up pass is due. */
  catchUp = false;
  /** A failing table got new settings: try again now (prepare, or the pass) instead of after its backoff. */
  retryNow = false;

  constructor(private readonly table: string) {
    this.lastResult = { table, ok: false, pass: null, error: 'no pass yet' };
  }

  /** A `reconcileNow` request is waiting for its pass. */
  get manualPending(): boolean {
    return this.issued > this.done;
  }

  /** A pass is asked for now, whatever the timer says. */
  get due(): boolean {
    return this.catchUp || this.manualPending || this.retryNow;
  }

  /** Asks for a pass and waits for its result (or for the workflow to stop). */
  async manual(options: PassOptions | undefined, stopping: () => boolean): Promise<ReconcileResult> {
    const ticket = ++this.issued;
    this.options.push(options ?? {});
    await condition(() => this.done >= ticket || stopping());
    return this.done >= ticket
      ? this.lastResult
      : { table: this.table, ok: false, pass: null, error: 'the workflow is stopping' };
  }

  /** The pass due now: a `reconcileNow` request first, else the copy, a catch-up or a timer pass. */
  next(copying: boolean): { kind: PassSummary['kind']; options: PassOptions; manual: boolean } {
    const manual = this.manualPending;
    const options = manual ? (this.options.shift() ?? {}) : {};
    const kind = copying ? 'initial-copy' : manual ? 'manual' : this.catchUp ? 'catch-up' : 'reconcile';
    this.catchUp = false;
    this.retryNow = false;
    return { kind, options, manual };
  }

  /** A pass `next` returned has finished: a waiting request gets its result. */
  finished(pass: PassSummary, manual: boolean): void {
    if (!manual) return;
    this.done += 1;
    this.lastResult = { table: this.table, ok: pass.ok, pass, error: pass.error };
  }
}
