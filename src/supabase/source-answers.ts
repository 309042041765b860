/**
 * What the source's functions answer, in the forms the ports use: positions, versions listings,
 * ledger and change-log entries (ids come as text: a bigint is not a safe JSON number).
 */
import type {
  ChangeEntry,
  KeyValues,
  KeyVersion,
  PendingDeletion,
  Row,
  SourcePosition,
} from '../contracts/ports.js';

export type RawPosition = {
  version: unknown;
  ledger: number | string | null;
  changes?: Array<number | string | null> | null;
  db_ms?: number | string | null;
};
export type RawDeletion = {
  id: string;
  primary_key: Row;
  deleted_at: string;
  kind: string;
  age_ms?: number | string;
};

/** A version as the cursor form: text (a JSON number or string as the rows render it). */
function versionText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function position(p: RawPosition): SourcePosition {
  const [first, last] = (p.changes ?? []).map(numberOrNull);
  return {
    version: p.version === null || p.version === undefined ? null : versionText(p.version),
    ledger: numberOrNull(p.ledger),
    changes: first != null && last != null ? { first, last } : null,
    dbMs: numberOrNull(p.db_ms),
  };
}

/** A `[key value, …, version]` entry of a versions listing. */
export function keyVersion(r: unknown[]): KeyVersion {
  return { key: r.slice(0, -1) as KeyValues, version: versionText(r[r.length - 1]) };
}

export function deletions(entries: RawDeletion[]): PendingDeletion[] {
  return entries.map((r) => ({
    id: Number(r.id),
    kind: r.kind === 'truncate' ? 'truncate' : 'delete',
    primaryKey: r.primary_key,
    deletedAt: r.deleted_at,
    ...(r.age_ms === undefined || r.age_ms === null ? {} : { ageMs: Number(r.age_ms) }),
  }));
}

/** An `[id, {column: [value, …], …}]` entry of the change log (its keys column by column). */
export function changeEntry([id, columns]: [string, Record<string, unknown[]>]): ChangeEntry {
  const names = Object.keys(columns);
  const count = names.length > 0 ? columns[names[0]!]!.length : 0;
  const keys = Array.from({ length: count }, (_, i) =>
    Object.fromEntries(names.map((n) => [n, columns[n]![i]])),
  );
  return { id: Number(id), keys };
}
