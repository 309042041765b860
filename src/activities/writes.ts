/**
 * Writing rows to the target, for every path (the realtime feed, passes, verify's repair), so that
 * no unique constraint ever stalls a table.
 *
 * Unique constraints other than the primary key hold on the target too, so a row can meet another
 * that still holds a value the source has since given to it: values swapped in one transaction, a
 * deleted row's value reused, a chain of renames. Retrying the same write cannot help, but the
 * source's current state never conflicts with itself. So when `sync_apply_upserts` reports a
 * conflict, the rows are resolved in rounds: the current state of every key involved is read from
 * the source in one statement (one snapshot), `sync_apply_resolve` names the target rows still in
 * the way (their keys join the next round) or, when none is left, deletes and re-inserts the rows
 * involved together. A chain of n renames takes at most n rounds.
 */
import { SyncError, type Row, type TableRef } from '../contracts/ports.js';
import { keyOnly, keyText } from '../core/keys.js';
import type { ActivityDeps } from './deps.js';
import { tableName } from '../core/names.js';

/** Rounds before giving up (the pass or the feed is then retried, and the status says why). */
const MAX_ROUNDS = 20;
/** Keys one resolution may involve (one source read). */
const MAX_KEYS = 5000;

export interface WriteResult {
  written: number;
  skipped: number;
  /** Rows rewritten by resolving a unique conflict (counted in `written` too). */
  resolved: number;
}

type Deps = Pick<ActivityDeps, 'source' | 'target' | 'logger'>;

/** Upserts rows on the target; a unique conflict is resolved from the source's current state. */
export async function writeRows(
  deps: Deps,
  ref: TableRef,
  versionColumn: string | null,
  rows: Row[],
): Promise<WriteResult> {
  if (rows.length === 0) return { written: 0, skipped: 0, resolved: 0 };
  const first = await deps.target.applyUpserts(ref, versionColumn, rows);
  if (first.conflict === undefined) return { written: first.written, skipped: first.skipped, resolved: 0 };
  const keys = rows.map((row) => keyOnly(ref.primaryKeys, row)!).filter(Boolean);
  const resolved = await resolveConflict(deps, ref, versionColumn, keys, first.conflict);
  return {
    written: first.written + resolved.written,
    skipped: Math.max(0, rows.length - first.written - resolved.written),
    resolved: resolved.written,
  };
}

async function resolveConflict(
  deps: Deps,
  ref: TableRef,
  versionColumn: string | null,
  keys: Row[],
  constraint: string,
): Promise<{ written: number; deleted: number }> {
  const table = tableName(ref);
  const involved = new Map(keys.map((k) => [keyText(ref.primaryKeys, k), k]));
  let blockedBy = constraint;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    if (involved.size > MAX_KEYS) break;
    // A key with no row on the source now is deleted; a row the source re-creates later is newer.
    // The time is the source database's (a source without `db_ms`: the worker's).
    const dbMs = (await deps.source.readPosition(ref, null)).dbMs;
    const readAt = new Date(dbMs ?? Date.now()).toISOString();
    const current = await deps.source.readRowsByKeys(ref, [...involved.values()]);
    const present = new Set(current.map((row) => keyText(ref.primaryKeys, row)));
    const gone = [...involved]
      .filter(([id]) => !present.has(id))
      .map(([, key]) => ({ ...key, _deleted_at: readAt }));
    let result;
    try {
      result = await deps.target.resolveConflict(ref, versionColumn, current, gone);
    } catch (error) {
      // Another writer took a value between the check and the write: read and try again.
      if (error instanceof SyncError && error.kind === 'conflict') continue;
      throw error;
    }
    if (result.blockers === undefined) {
      deps.logger.info(
        { table, constraint, round, rows: result.written, deleted: result.deleted },
        `unique conflict on ${constraint} resolved from the source's current rows (${round} round${round > 1 ? 's' : ''})`,
      );
      return { written: result.written, deleted: result.deleted };
    }
    blockedBy = result.constraint;
    for (const key of result.blockers) involved.set(keyText(ref.primaryKeys, key), key);
  }
  throw new SyncError(
    `${table}: a unique conflict on ${blockedBy} did not resolve from the source's current rows (${involved.size} rows involved): ` +
      `the target may have a unique index the source has not; compare with \`supabase-sync schema diff ${table}\``,
    'conflict',
  );
}

/**
 * Deletes on the target the keys the source does not have (again): a key that exists on the source
 * again (deleted and re-inserted, or its row's key changed and another row took it over, even in
 * one transaction) is not deleted: the row there is current, and reconciliation or the feed bring
 * it. Deleting it with a tombstone newer than the row would keep it off the target until its next
 * change. Each key may carry `_deleted_at`, when the delete happened on the source.
 */
export async function deleteKeysGoneFromSource(
  deps: Deps,
  ref: TableRef,
  versionColumn: string | null,
  keys: Row[],
): Promise<number> {
  if (keys.length === 0) return 0;
  const present = new Set(
    (await deps.source.readRowsByKeys(ref, keys)).map((row) => keyText(ref.primaryKeys, row)),
  );
  const gone = keys.filter((k) => !present.has(keyText(ref.primaryKeys, k)));
  return (await deps.target.applyDeletes(ref, versionColumn, gone)).deleted;
}
