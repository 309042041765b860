/**
 * The direct copy of a whole-table read (the first copy, `backfill --full`; SYNC_SOURCE_DATABASE_URL
 * and SYNC_TARGET_DATABASE_URL set): one `reconcileChunk` in key order, done with COPY between the
 * two databases instead of pages through the Data API. The chunk cuts the table after its cursor
 * into a segment of key ranges (src/core/key-ranges.ts) and copies SYNC_DIRECT_COPY_PARALLEL of them
 * at once: each range is one COPY out of the source streamed into a staging table on the target and
 * merged by `sync_apply_staged` (the API writes' version guard, tombstones and silenced triggers),
 * all of the range or none of it. A range a unique constraint refuses goes through the API's path
 * (`writeRows`, which resolves it from the source). The chunk's cursor moves to a segment's end once
 * all its ranges are in; its heartbeat carries the segment (keys and flags), so a retry copies only
 * the ranges not yet finished. Counts flow as the API copy's do.
 */
import { Context } from '@temporalio/activity';
import type { ReconcileChunkInput, ReconcileChunkResult } from '../contracts/activities.js';
import type { KeyTextValues } from '../contracts/ports.js';
import type { CopyPlan, DirectDatabases, KeyRange } from '../contracts/direct-ports.js';
import { keyRow } from '../core/keys.js';
import {
  isSegment,
  keyText,
  planSegment,
  rangesLeft,
  sharedColumns,
  type Segment,
} from '../core/key-ranges.js';
import { tableName } from '../core/names.js';
import { advanceCursor, versionOf } from '../core/versions.js';
import type { ActivityDeps } from './deps.js';
import { writeRows } from './writes.js';

/** Rows per range: small enough that a retry redoes little, large enough that a COPY's setup is noise. */
export const ROWS_PER_RANGE = 25_000;
/** Ranges per segment, per range copied at once: the slowest range of a segment delays its end. */
const RANGES_PER_SLOT = 8;
/** Keys per read when a range goes through the API's path. */
const API_KEYS = 1000;

/** A chunk's heartbeat: the API copy's progress, and the segment being copied. */
export type DirectProgress = ReconcileChunkResult & { segment?: Segment };

/** One direct chunk: segment after segment from the cursor, until done or past `maxDurationMs`. */
export class DirectChunk {
  private plan: CopyPlan | undefined;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly direct: DirectDatabases,
    private readonly input: ReconcileChunkInput,
    readonly progress: DirectProgress,
  ) {}

  async run(): Promise<ReconcileChunkResult> {
    const { input, progress, direct } = this;
    const started = Date.now();
    const [plan, sourceColumns] = await Promise.all([
      direct.target.copyPlan(input.table),
      direct.source.columnNames(input.table),
    ]);
    this.plan = sharedColumns(plan, sourceColumns);
    // The chunk's first segment is one range per slot, so copying starts after a short read of
    // its bounds; the later ones are larger, and each one's bounds are read while the segment
    // before it copies.
    let requested = direct.parallel;
    let next: { after: KeyTextValues; bounds: Promise<KeyTextValues[]> } | undefined;
    for (;;) {
      if (!isSegment(progress.segment)) {
        const after = keyText(progress.afterKey);
        const prefetched = next && JSON.stringify(next.after) === JSON.stringify(after) ? next : undefined;
        const bounds = await (prefetched?.bounds ?? this.bounds(after, requested));
        progress.segment = planSegment(after, bounds, requested);
      }
      const segment = progress.segment;
      requested = direct.parallel * RANGES_PER_SLOT;
      next = undefined;
      if (segment.end !== null && Date.now() - started < input.maxDurationMs) {
        next = { after: segment.end, bounds: this.bounds(segment.end, requested) };
        next.bounds.catch(() => undefined);
      }
      await this.copyRanges(segment);
      delete progress.segment;
      if (segment.end === null) {
        progress.done = true;
        break;
      }
      progress.afterKey = segment.end;
      progress.afterVersion = { version: null, key: segment.end };
      if (Date.now() - started >= input.maxDurationMs) break;
    }
    const { segment: _, ...result } = progress;
    return result;
  }

  /** Every n-th key after `after`, cutting up to `ranges` ranges. */
  private bounds(after: KeyTextValues | null, ranges: number): Promise<KeyTextValues[]> {
    const rows = this.direct.rowsPerRange ?? ROWS_PER_RANGE;
    return this.direct.source.rangeBounds(this.input.table, this.plan!, after, rows, ranges);
  }

  /** The segment's ranges left, `parallel` at once; the first failure stops the others. */
  private async copyRanges(segment: Segment): Promise<void> {
    const left = rangesLeft(segment);
    const abort = new AbortController();
    const cancelled = Context.current().cancellationSignal;
    const onCancel = () => abort.abort(cancelled.reason);
    cancelled.addEventListener('abort', onCancel, { once: true });
    const slot = async () => {
      for (let i = left.shift(); i !== undefined && !abort.signal.aborted; i = left.shift()) {
        await this.copyRange(segment.ranges[i]!, abort.signal);
        segment.finished[i] = true;
      }
    };
    const slots = Array.from({ length: Math.min(this.direct.parallel, left.length) }, () =>
      slot().catch((error: unknown) => {
        abort.abort(error);
        throw error;
      }),
    );
    try {
      const results = await Promise.allSettled(slots);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (cancelled.aborted) throw cancelled.reason;
    } finally {
      cancelled.removeEventListener('abort', onCancel);
    }
  }

  /** One range: COPY from the source into the target's staging table, merged; counted once in. */
  private async copyRange(range: KeyRange, signal: AbortSignal): Promise<void> {
    const { source, target } = this.direct;
    const { table, versionColumn } = this.input;
    const plan = this.plan!;
    const staged = await target.copyIn({
      ref: table,
      plan,
      versionColumn,
      range,
      data: () => source.copyOut(table, plan, range, signal),
      signal,
    });
    if (staged.conflict !== undefined) {
      this.deps.logger.info(
        { table: table.qualifiedName, constraint: staged.conflict },
        `${tableName(table)}: unique conflict on ${staged.conflict} in a copied range: that range goes through the Data API, which resolves it`,
      );
      await this.throughApi(range, plan);
      return;
    }
    this.count(staged.rows, staged.written, staged.skipped, staged.maxVersion);
  }

  /**
   * A range through the API's write path, 1000 keys at a time (keys from the database, rows from the
   * API); counted once the whole range is in, as a copied range is.
   */
  private async throughApi(range: KeyRange, plan: CopyPlan): Promise<void> {
    const { table, versionColumn } = this.input;
    const sum = { rows: 0, written: 0, skipped: 0, newest: null as string | null };
    for (let after = range.after; ;) {
      const keys = await this.direct.source.rangeKeys(table, plan, { after, until: range.until }, API_KEYS);
      if (keys.length === 0) break;
      const rows = await this.deps.source.readRowsByKeys(
        table,
        keys.map((k) => keyRow(table.primaryKeys, k)),
      );
      const written = await writeRows(this.deps, table, versionColumn, rows);
      sum.rows += rows.length;
      sum.written += written.written;
      sum.skipped += written.skipped;
      for (const row of rows) sum.newest = advanceCursor(sum.newest, versionOf(row, versionColumn));
      after = keys[keys.length - 1]!;
    }
    this.count(sum.rows, sum.written, sum.skipped, sum.newest);
  }

  private count(rows: number, written: number, skipped: number, maxVersion: string | null): void {
    const p = this.progress;
    p.rowsRead += rows;
    p.written += written;
    p.skipped += skipped;
    p.maxVersion = advanceCursor(p.maxVersion, maxVersion);
  }
}
