/**
 * Reconciliation: pages through the source table with keyset pagination and upserts each page
 * into the target. Ordering by (version, key) — or by key alone for the whole-table copy — means
 * rows sharing one timestamp at a page edge are neither skipped nor read forever. The next page is
 * fetched while the current one is written. Heartbeats (heartbeats.ts) carry the page cursor, so a
 * retried attempt resumes near where the last one stopped.
 */
import { activityInfo } from '@temporalio/activity';
import { keyValues } from '../core/keys.js';
import { advanceCursor, versionOf } from '../core/versions.js';
import type { KeysetCursor, KeyValues, Row } from '../supabase/ports.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import { checkSchema, driftNotes, explainSchemaError } from './schema-check.js';
import { writeRows } from './writes.js';
import type { ReconcileChunkInput, ReconcileChunkResult } from './types.js';

/** Pages written at once (reads stay one ahead); the target's rows are locked in key order. */
const WRITES_IN_FLIGHT = 3;

export function createReconcileActivities(deps: ActivityDeps) {
  return {
    async reconcileChunk(input: ReconcileChunkInput): Promise<ReconcileChunkResult> {
      // Resume from the last heartbeat of a failed attempt, if any.
      const progress = (activityInfo().heartbeatDetails as ReconcileChunkResult | undefined) ?? {
        rowsRead: 0,
        written: 0,
        skipped: 0,
        done: false,
        afterKey: input.afterKey,
        afterVersion: input.afterVersion,
        maxVersion: null,
      };
      // A write refused for a schema reason says which drift, with the SQL for the target.
      const explained = <T>(work: () => Promise<T>) =>
        work().catch(async (error: unknown) => {
          throw await explainSchemaError(deps, input.table, error);
        });
      return failClearly(() =>
        keepBeating(
          () => progress,
          () =>
            explained(async () => {
              const ref = input.table;
              const started = Date.now();
              if (input.checkSchema) progress.drift = driftNotes((await checkSchema(deps, ref)).differences);
              const byKey = input.mode === 'by-key' || input.versionColumn === null;
              const read = (afterKey: KeyValues | null, afterVersion: KeysetCursor | null): Promise<Row[]> =>
                byKey
                  ? deps.source.readByKey(ref, afterKey, input.batchSize)
                  : deps.source.readByVersion(
                      ref,
                      input.versionColumn!,
                      afterVersion,
                      input.from,
                      input.batchSize,
                    );

              // Writes in flight: pages are disjoint, so several may be written at once; progress (and
              // the heartbeat a retry resumes from) only counts pages whose writes, and all earlier
              // pages' writes, have finished.
              const inFlight: Array<{
                write: Promise<{ written: number; skipped: number }>;
                rows: number;
                afterKey: KeyValues;
                afterVersion: KeysetCursor;
                maxVersion: string | null;
              }> = [];
              const settleOldest = async () => {
                const w = inFlight.shift()!;
                const applied = await w.write;
                progress.rowsRead += w.rows;
                progress.written += applied.written;
                progress.skipped += applied.skipped;
                progress.afterKey = w.afterKey;
                progress.afterVersion = w.afterVersion;
                progress.maxVersion = advanceCursor(progress.maxVersion, w.maxVersion);
              };
              try {
                let page = await read(progress.afterKey, progress.afterVersion);
                for (;;) {
                  if (page.length === 0) {
                    progress.done = true;
                    break;
                  }
                  const last = page[page.length - 1]!;
                  const afterKey = keyValues(ref.primaryKeys, last);
                  const afterVersion: KeysetCursor = {
                    version: versionOf(last, input.versionColumn),
                    key: afterKey,
                  };
                  // A short page is not proof of the end: the API may cap rows per response
                  // (PostgREST's max-rows), so only an empty page ends the pass.
                  const next = read(afterKey, afterVersion);
                  next.catch(() => undefined);
                  // In key order any row may hold the newest version; in version order the last does.
                  const maxVersion = byKey
                    ? page.reduce<string | null>(
                        (max, row) => advanceCursor(max, versionOf(row, input.versionColumn)),
                        null,
                      )
                    : afterVersion.version;
                  const write = writeRows(deps, ref, input.versionColumn, page);
                  write.catch(() => undefined);
                  inFlight.push({ write, rows: page.length, afterKey, afterVersion, maxVersion });
                  while (inFlight.length >= WRITES_IN_FLIGHT) await settleOldest();
                  page = await next;
                  if (Date.now() - started >= input.maxDurationMs && page.length > 0) break;
                }
                while (inFlight.length > 0) await settleOldest();
              } finally {
                // On failure, let the other writes finish before the attempt ends (no write outlives it).
                await Promise.allSettled(inFlight.map((w) => w.write));
              }
              return progress;
            }),
        ),
      );
    },
  };
}
