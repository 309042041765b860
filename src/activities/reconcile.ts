/**
 * Reconciliation: pages through the source table with keyset pagination and upserts each page
 * into the target. Ordering by (version, key) — or by key alone for the whole-table copy — means
 * rows sharing one timestamp at a page edge are neither skipped nor read forever. The next page is
 * fetched while the current one is written. Heartbeats (heartbeats.ts) carry the page cursor, so a
 * retried attempt resumes near where the last one stopped.
 */
import { activityInfo } from '@temporalio/activity';
import type { ReconcileChunkInput, ReconcileChunkResult } from '../contracts/activities.js';
import type { KeysetCursor, KeyValues, Row } from '../contracts/ports.js';
import { keyValues } from '../core/keys.js';
import { advanceCursor, versionOf } from '../core/versions.js';
import { concatPages, textLength } from '../core/row-pages.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import { PassSlots } from './pass-slots.js';
import { checkSchema, driftNotes, explainSchemaError } from './schema-check.js';
import { DirectChunk, type DirectProgress } from './direct-copy.js';
import { writeRows } from './writes.js';

/** Pages written at once (reads stay one ahead); the target's rows are locked in key order. */
const WRITES_IN_FLIGHT = 3;
/**
 * Consecutive pages in key order are written together up to this many rows (and WRITE_MAX_CHARS
 * of JSON): each apply call and request has a fixed cost (the API, the target function's setup),
 * and a read is capped at 1000 rows by hosted projects while a write is not.
 */
const WRITE_ROWS = 2000;
const WRITE_MAX_CHARS = 1024 * 1024;

/** A page whose write is in flight, and the progress it makes once it and all earlier ones are written. */
interface PageWrite {
  write: Promise<{ written: number; skipped: number }>;
  rows: number;
  afterKey: KeyValues;
  afterVersion: KeysetCursor;
  maxVersion: string | null;
}

/** One reconcileChunk attempt: reads page after page, writing up to WRITES_IN_FLIGHT pages at once. */
class ChunkCopy {
  /**
   * Pages are disjoint, so several may be written at once; progress (and the heartbeat a retry
   * resumes from) only counts pages whose writes, and all earlier pages' writes, have finished.
   */
  private readonly inFlight: PageWrite[] = [];
  private readonly byKey: boolean;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly input: ReconcileChunkInput,
    readonly progress: ReconcileChunkResult,
  ) {
    this.byKey = input.mode === 'by-key' || input.versionColumn === null;
  }

  async run(): Promise<ReconcileChunkResult> {
    const { input, progress } = this;
    const started = Date.now();
    try {
      let page = await this.read(progress.afterKey, progress.afterVersion);
      // Pages read but not yet written: written together once they hold WRITE_ROWS rows.
      let pending: Row[] = [];
      for (;;) {
        if (page.length === 0) {
          progress.done = true;
          break;
        }
        // A short page is not proof of the end: the API may cap rows per response
        // (PostgREST's max-rows), so only an empty page ends the pass.
        const position = cursorAfter(page, this.input.versionColumn, this.input.table.primaryKeys);
        const next = this.read(position.afterKey, position.afterVersion);
        next.catch(() => undefined);
        // Only in key order: pages read in version order may hold one key twice (a row changed
        // between two reads), which one INSERT … ON CONFLICT cannot write.
        const merged = pending.length === 0 ? page : this.byKey ? concatPages(pending, page) : undefined;
        if (merged === undefined || (textLength(merged) ?? 0) > WRITE_MAX_CHARS) {
          if (pending.length > 0) this.startWrite(pending);
          pending = page;
        } else pending = merged;
        if (pending.length >= WRITE_ROWS) {
          this.startWrite(pending);
          pending = [];
        }
        while (this.inFlight.length >= WRITES_IN_FLIGHT) await this.settleOldest();
        page = await next;
        if (Date.now() - started >= input.maxDurationMs && page.length > 0) break;
      }
      if (pending.length > 0) this.startWrite(pending);
      while (this.inFlight.length > 0) await this.settleOldest();
    } finally {
      // On failure, let the other writes finish before the attempt ends (no write outlives it).
      await Promise.allSettled(this.inFlight.map((w) => w.write));
    }
    return progress;
  }

  private read(afterKey: KeyValues | null, afterVersion: KeysetCursor | null): Promise<Row[]> {
    const { table, versionColumn, from, batchSize } = this.input;
    return this.byKey || versionColumn === null
      ? this.deps.source.readByKey(table, afterKey, batchSize)
      : this.deps.source.readByVersion(table, versionColumn, afterVersion, from, batchSize);
  }

  /** Starts writing `page` (pages read one after another); progress moves past it once written. */
  private startWrite(page: Row[]): void {
    const { table, versionColumn } = this.input;
    const { afterKey, afterVersion } = cursorAfter(page, versionColumn, table.primaryKeys);
    // In key order any row may hold the newest version; in version order the last does.
    const maxVersion = this.byKey
      ? page.reduce<string | null>((max, row) => advanceCursor(max, versionOf(row, versionColumn)), null)
      : afterVersion.version;
    const write = writeRows(this.deps, table, versionColumn, page);
    write.catch(() => undefined);
    this.inFlight.push({ write, rows: page.length, afterKey, afterVersion, maxVersion });
  }

  private async settleOldest(): Promise<void> {
    const w = this.inFlight.shift()!;
    const applied = await w.write;
    const progress = this.progress;
    progress.rowsRead += w.rows;
    progress.written += applied.written;
    progress.skipped += applied.skipped;
    progress.afterKey = w.afterKey;
    progress.afterVersion = w.afterVersion;
    progress.maxVersion = advanceCursor(progress.maxVersion, w.maxVersion);
  }
}

/** The keyset position after the last row of a (non-empty) page. */
function cursorAfter(
  page: Row[],
  versionColumn: string | null,
  primaryKeys: string[],
): { afterKey: KeyValues; afterVersion: KeysetCursor } {
  const last = page[page.length - 1]!;
  const afterKey = keyValues(primaryKeys, last);
  return { afterKey, afterVersion: { version: versionOf(last, versionColumn), key: afterKey } };
}

export function createReconcileActivities(deps: ActivityDeps) {
  // A few chunks at once per process: their pages are what a worker of many tables holds in memory.
  const slots = new PassSlots();
  return {
    async reconcileChunk(input: ReconcileChunkInput): Promise<ReconcileChunkResult> {
      // Resume from the last heartbeat of a failed attempt, if any.
      const resumed = activityInfo().heartbeatDetails as DirectProgress | undefined;
      const progress: DirectProgress = resumed ?? {
        rowsRead: 0,
        written: 0,
        skipped: 0,
        done: false,
        afterKey: input.afterKey,
        afterVersion: input.afterVersion,
        maxVersion: null,
      };
      // A whole-table read goes through the databases when both URLs are given.
      const wholeTable = input.mode === 'by-key' || input.versionColumn === null;
      const direct = wholeTable ? deps.direct : undefined;
      if (wholeTable && resumed === undefined && input.afterKey === null) logPath(deps, input);
      const run = async () => {
        if (input.checkSchema)
          progress.drift = driftNotes((await checkSchema(deps, input.table)).differences);
        return direct
          ? new DirectChunk(deps, direct, input, progress).run()
          : new ChunkCopy(deps, input, progress).run();
      };
      // A write refused for a schema reason says which drift, with the SQL for the target.
      return failClearly(() =>
        keepBeating(
          () => progress,
          () =>
            slots.run(() =>
              run().catch(async (error: unknown) => {
                throw await explainSchemaError(deps, input.table, error);
              }),
            ),
        ),
      );
    },
  };
}

/** Which path a whole-table read takes (the direct one at info level: it is the one a user asked for). */
function logPath(deps: ActivityDeps, input: ReconcileChunkInput): void {
  const table = input.table.qualifiedName;
  if (deps.direct) {
    deps.logger.info(
      { table, path: 'direct' },
      `${table}: reading the whole table with COPY between the databases (${deps.direct.parallel} key ranges at once)`,
    );
  } else {
    deps.logger.debug({ table, path: 'api' }, `${table}: reading the whole table through the Data API`);
  }
}
