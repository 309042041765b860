/**
 * Deletion replay: reads the source's `sync_deletions` ledger for one table and applies it to the
 * target (recording tombstones), then marks the entries processed. Entries are chosen by "not
 * processed yet", so one whose transaction committed out of id order is still replayed. A
 * 'truncate' entry runs the truncate clean-up (truncate.ts).
 */
import { activityInfo } from '@temporalio/activity';
import type { ReplayDeletionsInput, ReplayDeletionsResult } from '../contracts/activities.js';
import type { PendingDeletion } from '../contracts/ports.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import { advanceTableSequences } from './sequences.js';
import { removeRowsGoneFromSource } from './truncate.js';
import { deleteKeysGoneFromSource } from './writes.js';

/**
 * A truncate stays in the ledger this long after it happened, compared again by each pass: a row
 * written on the source before it whose Realtime change arrives after the first clean-up (it was not
 * on the target yet, so it got no tombstone) is removed by the next one. Counted by the source's
 * clock (`entryAgeMs`).
 */
const TRUNCATE_SETTLE_MS = 30_000;

/**
 * How long ago an entry happened, by the source's clock (the worker host's may be off by seconds);
 * by the worker's only for a source whose functions predate 20261207140000.
 */
export function entryAgeMs(entry: PendingDeletion, now = Date.now()): number {
  return entry.ageMs ?? now - Date.parse(entry.deletedAt);
}

/** Deletes the keys of `entries` that the source does not have (again). */
function replayKeys(
  deps: ActivityDeps,
  input: ReplayDeletionsInput,
  entries: PendingDeletion[],
): Promise<number> {
  const keys = entries.map((e) => ({ ...e.primaryKey, _deleted_at: e.deletedAt }));
  return deleteKeysGoneFromSource(deps, input.table, input.versionColumn, keys);
}

/** After a truncate at `at`: every target row the source has no longer goes (resumed from `truncateAfter`). */
async function replayTruncate(
  deps: ActivityDeps,
  input: ReplayDeletionsInput,
  at: string,
  result: ReplayDeletionsResult,
): Promise<void> {
  const before = result.deleted;
  await removeRowsGoneFromSource(
    deps,
    input.table,
    input.versionColumn,
    at,
    result.truncateAfter ?? null,
    (last, deleted) => {
      result.truncateAfter = last;
      result.deleted = before + deleted;
    },
  );
  result.truncateAfter = undefined;
}

/**
 * Replays one batch read from the ledger: deletes, then one clean-up for every truncate in it (it
 * removes what the source has not); marks the entries processed except truncates still settling.
 */
async function replayBatch(
  deps: ActivityDeps,
  input: ReplayDeletionsInput,
  entries: PendingDeletion[],
  kept: Set<number>,
  result: ReplayDeletionsResult,
): Promise<void> {
  result.deleted += await replayKeys(
    deps,
    input,
    entries.filter((e) => e.kind === 'delete'),
  );
  const truncates = entries.filter((e) => e.kind === 'truncate');
  if (truncates.length > 0) {
    const latest = truncates.reduce((a, b) => (Date.parse(b.deletedAt) > Date.parse(a.deletedAt) ? b : a));
    deps.logger.info(
      { table: input.table.qualifiedName, at: latest.deletedAt },
      'replaying a TRUNCATE of the source: removing the rows it no longer has',
    );
    await replayTruncate(deps, input, latest.deletedAt, result);
    result.truncates = (result.truncates ?? 0) + truncates.length;
  }
  const settling = truncates.filter((t) => entryAgeMs(t) < TRUNCATE_SETTLE_MS);
  for (const t of settling) kept.add(t.id);
  await deps.source.markDeletionsProcessed(entries.filter((e) => !kept.has(e.id)).map((e) => e.id));
  result.replayed += entries.length;
  result.lastId = Math.max(result.lastId, ...entries.map((e) => e.id));
}

/** Batches until the ledger has no more (then the sequences, when asked) or the time is up. */
async function replayAll(
  deps: ActivityDeps,
  input: ReplayDeletionsInput,
  result: ReplayDeletionsResult,
): Promise<ReplayDeletionsResult> {
  const started = Date.now();
  // Truncates kept for a later pass (TRUNCATE_SETTLE_MS): replayed once per call. They stay the
  // oldest unprocessed entries, so each read asks for that many more (a burst of truncates longer
  // than a batch must not hide the entries after it until they have settled).
  const kept = new Set<number>();
  for (;;) {
    const limit = input.batchSize + kept.size;
    const read = await deps.source.readPendingDeletions(input.table, limit);
    const entries = read.filter((e) => !kept.has(e.id));
    if (entries.length > 0) await replayBatch(deps, input, entries, kept, result);
    if (read.length < limit || entries.length === 0) {
      result.done = true;
      if (input.thenSequences)
        result.sequences = await advanceTableSequences(deps, {
          table: input.table,
          ...input.thenSequences,
        });
      return result;
    }
    if (Date.now() - started >= input.maxDurationMs) return result;
  }
}

export function createDeletionActivities(deps: ActivityDeps) {
  return {
    async replayDeletions(input: ReplayDeletionsInput): Promise<ReplayDeletionsResult> {
      // A retried attempt resumes a truncate's clean-up where the last heartbeat left it.
      const resumed = activityInfo().heartbeatDetails as ReplayDeletionsResult | undefined;
      const result: ReplayDeletionsResult = {
        replayed: 0,
        deleted: 0,
        lastId: 0,
        done: false,
        ...(resumed?.truncateAfter ? { truncateAfter: resumed.truncateAfter } : {}),
      };
      return failClearly(() =>
        keepBeating(
          () => result,
          () => replayAll(deps, input, result),
        ),
      );
    },
  };
}
