/**
 * Realtime changes as micro-batches: coalesced per key, commit order kept, so a batch is applied
 * with one upsert call and one delete call however many changes it holds.
 */
import type { ChangeEvent, Row, TableRef } from '../contracts/ports.js';
import { keyOnly, keyText } from '../core/keys.js';
import { advanceCursor, compareVersions } from '../core/versions.js';

export interface MicroBatch {
  upserts: Row[];
  deletes: Row[];
  /** Keys whose payload was truncated or errored: re-read from the source. */
  reread: Row[];
  maxCommit: string | null;
}

type Kind = 'upsert' | 'delete' | 'reread';

/**
 * Coalesces changes per key, keeping commit order: the last change to a key wins, and an update
 * that changed the key also deletes the old key. `columns`: the table's columns, when known. An
 * UPDATE whose record lacks some of them (Realtime leaves out unchanged TOAST values — large text,
 * jsonb, bytea) is re-read by key rather than written with those columns missing; so is a change
 * that sets a numeric column without a declared scale (`unscaled`: JSON dropped its scale). So is
 * a change committed up to `rereadUntil` (the source's clock): a TRUNCATE may have removed its row
 * since (feed-run.ts), and the source's current row, or none, is what the target must hold.
 */
export function coalesce(
  ref: TableRef,
  events: ChangeEvent[],
  columns?: ReadonlySet<string>,
  unscaled: ReadonlySet<string> = new Set(),
  rereadUntil: string | null = null,
): MicroBatch {
  const latest = new Map<string, { kind: Kind; row: Row }>();
  let maxCommit: string | null = null;
  const put = (kind: Kind, row: Row) => {
    const key = keyText(ref.primaryKeys, row);
    latest.delete(key); // re-insert at the end: Map order is commit order of the last change
    latest.set(key, { kind, row });
  };
  for (const event of events) {
    maxCommit = advanceCursor(maxCommit, event.commitTimestamp);
    const oldKey = keyOnly(ref.primaryKeys, event.oldRecord);
    if (event.type === 'DELETE') {
      if (oldKey) put('delete', { ...oldKey, _deleted_at: event.commitTimestamp });
      continue;
    }
    const newKey = keyOnly(ref.primaryKeys, event.record);
    if (oldKey && newKey && keyText(ref.primaryKeys, oldKey) !== keyText(ref.primaryKeys, newKey)) {
      put('delete', { ...oldKey, _deleted_at: event.commitTimestamp });
    }
    if (!newKey) continue;
    const record = event.record!;
    const partial =
      event.type === 'UPDATE' && columns !== undefined && [...columns].some((c) => !(c in record));
    const scaled = [...unscaled].some((c) => record[c] !== null && record[c] !== undefined);
    const maybeTruncated =
      rereadUntil !== null &&
      (event.commitTimestamp === null || compareVersions(event.commitTimestamp, rereadUntil) <= 0);
    if (event.errors || partial || scaled || maybeTruncated) put('reread', newKey);
    // The commit time lets the target tell a row re-inserted after a delete from a stale copy.
    else put('upsert', { ...record, _sync_commit_at: event.commitTimestamp });
  }
  const batch: MicroBatch = { upserts: [], deletes: [], reread: [], maxCommit };
  for (const { kind, row } of latest.values()) {
    if (kind === 'upsert') batch.upserts.push(row);
    else if (kind === 'delete') batch.deletes.push(row);
    else batch.reread.push(row);
  }
  return batch;
}
