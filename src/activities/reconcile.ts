/**
 * Reconciliation: pages through the source table with keyset pagination and upserts each page
 * into the target. Ordering by (version, key) — or by key alone for the whole-table copy — means
 * rows sharing one timestamp at a page edge are neither skipped nor read forever. The next page is
 * fetched while the current one is written. Heartbeats carry the page cursor, so a retried attempt
 * resumes where the last one stopped.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { Row, TableRef } from '../supabase/ports.js';
import { advanceCursor } from '../workflows/decisions.js';
import type { KeyValues, VersionCursor } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import type { ReconcileChunkInput, ReconcileChunkResult } from './types.js';

function keyOf(ref: TableRef, row: Row): KeyValues {
  return ref.primaryKeys.map((k) => row[k] as KeyValues[number]);
}

function versionOf(row: Row, column: string | null): string | null {
  if (!column) return null;
  const value = row[column];
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function createReconcileActivities(deps: ActivityDeps) {
  return {
    async reconcileChunk(input: ReconcileChunkInput): Promise<ReconcileChunkResult> {
      let progress: ReconcileChunkResult | undefined;
      return failClearly(() =>
        keepBeating(
          () => progress,
          async () => {
            const ref = input.table;
            const started = Date.now();
            // Resume from the last heartbeat of a failed attempt, if any.
            const resumed = activityInfo().heartbeatDetails as ReconcileChunkResult | undefined;
            progress = resumed ?? {
              rowsRead: 0,
              written: 0,
              skipped: 0,
              done: false,
              afterKey: input.afterKey,
              afterVersion: input.afterVersion,
              maxVersion: null,
            };
            const byKey = input.mode === 'by-key' || input.versionColumn === null;
            const read = (afterKey: KeyValues | null, afterVersion: VersionCursor | null): Promise<Row[]> =>
              byKey
                ? deps.source.readByKey(ref, afterKey, input.batchSize)
                : deps.source.readByVersion(
                    ref,
                    input.versionColumn!,
                    afterVersion,
                    input.from,
                    input.batchSize,
                  );

            let page = await read(progress.afterKey, progress.afterVersion);
            for (;;) {
              if (page.length === 0) {
                progress.done = true;
                break;
              }
              const last = page[page.length - 1]!;
              const afterKey = keyOf(ref, last);
              const afterVersion: VersionCursor = {
                version: versionOf(last, input.versionColumn),
                key: afterKey,
              };
              const full = page.length >= input.batchSize;
              // Pipelining: fetch the next page while this one is written.
              const next = full ? read(afterKey, afterVersion) : Promise.resolve<Row[]>([]);
              next.catch(() => undefined);
              const applied = await deps.target.applyUpserts(ref, input.versionColumn, page);
              progress.rowsRead += page.length;
              progress.written += applied.written;
              progress.skipped += applied.skipped;
              progress.afterKey = afterKey;
              progress.afterVersion = afterVersion;
              if (byKey) {
                for (const row of page)
                  progress.maxVersion = advanceCursor(
                    progress.maxVersion,
                    versionOf(row, input.versionColumn),
                  );
              } else {
                progress.maxVersion = advanceCursor(progress.maxVersion, afterVersion.version);
              }
              heartbeat(progress);
              if (!full) {
                progress.done = true;
                break;
              }
              page = await next;
              if (Date.now() - started >= input.maxDurationMs && page.length > 0) break;
            }
            return progress;
          },
        ),
      );
    },
  };
}
