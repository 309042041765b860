/**
 * Deletion replay: reads the source's `sync_deletions` ledger for one table, deletes those keys on
 * the target (recording tombstones), then marks the entries processed. Entries are chosen by
 * "not processed yet", so one whose transaction committed out of id order is still replayed.
 */
import { keyText } from '../core/keys.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import type { ReplayDeletionsInput, ReplayDeletionsResult } from './types.js';

export function createDeletionActivities(deps: ActivityDeps) {
  return {
    async replayDeletions(input: ReplayDeletionsInput): Promise<ReplayDeletionsResult> {
      const result: ReplayDeletionsResult = { replayed: 0, deleted: 0, lastId: 0, done: false };
      return failClearly(() =>
        keepBeating(
          () => result,
          async () => {
            const started = Date.now();
            for (;;) {
              const entries = await deps.source.readPendingDeletions(input.table, input.batchSize);
              if (entries.length > 0) {
                // A key that exists on the source again (deleted and re-inserted, or its row's key changed
                // and another row took it over, even in one transaction) is not deleted: the row there is
                // current, and reconciliation/realtime bring it. Deleting it with a tombstone newer than the
                // row would keep it off the target until its next change.
                const present = new Set(
                  (
                    await deps.source.readRowsByKeys(
                      input.table,
                      entries.map((e) => e.primaryKey),
                    )
                  ).map((row) => keyText(input.table.primaryKeys, row)),
                );
                const keys = entries
                  .filter((e) => !present.has(keyText(input.table.primaryKeys, e.primaryKey)))
                  .map((e) => ({ ...e.primaryKey, _deleted_at: e.deletedAt }));
                const { deleted } = await deps.target.applyDeletes(input.table, input.versionColumn, keys);
                await deps.source.markDeletionsProcessed(entries.map((e) => e.id));
                result.replayed += entries.length;
                result.deleted += deleted;
                result.lastId = Math.max(result.lastId, ...entries.map((e) => e.id));
              }
              if (entries.length < input.batchSize) {
                result.done = true;
                return result;
              }
              if (Date.now() - started >= input.maxDurationMs) return result;
            }
          },
        ),
      );
    },
  };
}
