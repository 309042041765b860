/**
 * The realtime feeds' upserts of this worker process, gathered (the feeds' side of what
 * realtime-versions.ts does for their reads). Each feed writes its micro-batch as soon as it has
 * one; while MAX_IN_FLIGHT requests of them are under way, what the other feeds want to write waits
 * and goes in the next request, as one call of `sync_apply_upserts_many`
 * (supabase/migrations/20261208140000_sync_apply_many.sql). A worker of 200 tables under 100
 * changes/s then sends a few requests a second, not one per table per change, each paying the
 * API's and a transaction's fixed cost; one busy table's feed is unchanged (its micro-batches
 * already gather its changes), and nothing waits on a timer.
 *
 * The result of each call is its own: a call the target refused (its SQLSTATE) is sent again alone
 * through `applyUpserts`, so the error a feed reports is the one the single call gives; so is each
 * call of a request that failed as a whole, unless the project is unreachable (every call would
 * fail the same: they all get that error). A target without the function: every call alone, as
 * before, said once in the log.
 */
import type { Logger } from '../contracts/logger.js';
import {
  SyncError,
  type Row,
  type TableRef,
  type TargetProject,
  type UpsertCall,
  type UpsertResult,
} from '../contracts/ports.js';
import { tableName } from '../core/names.js';
import { textLength, withText } from '../core/row-pages.js';

/** Requests of gathered calls under way at once. */
const MAX_IN_FLIGHT = 2;
/** Rows per gathered request at most (a call is never split). */
const MAX_ROWS = 2000;
/**
 * Calls per gathered request at most: the target runs them one after another in one transaction
 * (a few ms each), and every feed in the request waits for the whole of it.
 */
const MAX_CALLS = 32;
/** A call of more rows, or of more JSON, goes alone: its own request is already worth its cost. */
const MAX_CALL_ROWS = 500;
const MAX_CALL_CHARS = 128 * 1024;

interface Pending {
  call: UpsertCall;
  resolve(result: UpsertResult): void;
  reject(error: unknown): void;
}

type Target = Pick<TargetProject, 'applyUpserts' | 'applyUpsertsMany'>;

/** Whether every row has the columns of the first, in the same order (one call takes its columns from its first row). */
function sameColumns(rows: Row[]): boolean {
  const first = Object.keys(rows[0] ?? {}).join('\u0000');
  return rows.every((row) => Object.keys(row).join('\u0000') === first);
}

export class ApplyBatches {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private gather: boolean;

  constructor(
    private readonly target: Target,
    private readonly logger: Pick<Logger, 'info'>,
  ) {
    this.gather = target.applyUpsertsMany !== undefined;
  }

  /** `applyUpserts`, gathered with other feeds' when a request is already under way. */
  readonly apply = (ref: TableRef, versionColumn: string | null, rows: Row[]): Promise<UpsertResult> => {
    if (!this.gather || rows.length === 0 || rows.length > MAX_CALL_ROWS || !sameColumns(rows))
      return this.target.applyUpserts(ref, versionColumn, rows);
    // Serialised once here (the request is built from this text: row-pages.ts), to know its size.
    if (textLength(rows) === undefined) withText(rows, JSON.stringify(rows));
    if ((textLength(rows) ?? 0) > MAX_CALL_CHARS) return this.target.applyUpserts(ref, versionColumn, rows);
    return new Promise<UpsertResult>((resolve, reject) => {
      this.queue.push({ call: { ref, versionColumn, rows }, resolve, reject });
      this.schedule();
    });
  };

  /** Sends after the current turn of the event loop: feeds woken together go together. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  /** The oldest calls up to MAX_CALLS and MAX_ROWS (at least one), sorted by table: two requests lock tables in one order. */
  private take(): Pending[] {
    let rows = 0;
    let n = 0;
    while (
      n < this.queue.length &&
      (n === 0 || (n < MAX_CALLS && rows + this.queue[n]!.call.rows.length <= MAX_ROWS))
    ) {
      rows += this.queue[n]!.call.rows.length;
      n++;
    }
    const batch = this.queue.splice(0, n);
    return batch.sort((a, b) => tableName(a.call.ref).localeCompare(tableName(b.call.ref)));
  }

  private async send(batch: Pending[]): Promise<void> {
    let results: Array<UpsertResult | { error: string }> | undefined;
    if (batch.length > 1 && this.gather) {
      try {
        results = await this.target.applyUpsertsMany!(batch.map((p) => p.call));
      } catch (error) {
        if (error instanceof SyncError && error.kind === 'unavailable') {
          for (const p of batch) p.reject(error);
          return;
        }
        if (error instanceof SyncError && error.kind === 'migration') this.stopGathering(error);
      }
    }
    await Promise.all(
      batch.map(async (p, i) => {
        const r = results?.[i];
        if (r !== undefined && !('error' in r)) return p.resolve(r);
        const { ref, versionColumn, rows } = p.call;
        await this.target.applyUpserts(ref, versionColumn, rows).then(
          (result) => p.resolve(result),
          (error: unknown) => p.reject(error),
        );
      }),
    );
  }

  private stopGathering(error: SyncError): void {
    this.gather = false;
    this.logger.info(
      `the feeds write each table's changes in a request of its own: ${error.message} (it lets a worker of many tables write them together)`,
    );
  }
}

/** The target with `applyUpserts` going through `batches` (the feeds' writes, healing included). */
export function gatheringTarget(target: TargetProject, batches: ApplyBatches): TargetProject {
  return new Proxy(target, {
    get: (t, property): unknown =>
      property === 'applyUpserts' ? batches.apply : (Reflect.get(t, property, t) as unknown),
  });
}
