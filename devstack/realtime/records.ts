/**
 * Turns one decoded row change into the `data` object of a `postgres_changes` frame, the way
 * Supabase Realtime's `realtime.apply_rls` + `list_changes` shape it (for the service role, no RLS):
 * `record` from the new tuple, `old_record` from the replica identity, the 1 MB limit, `columns`.
 */
import type { RelationMessage, TupleValue } from './pgoutput.js';
import type { ChangeEvent } from './subscriptions.js';

/** `apply_rls`'s default `max_record_bytes`. */
export const MAX_RECORD_BYTES = 1_048_576;
/** Fields kept when a record is too large. */
export const TOO_LARGE_FIELD_BYTES = 64;
export const PAYLOAD_TOO_LARGE = 'Error 413: Payload Too Large';
export const NO_PRIMARY_KEY = 'Error 400: Bad Request, no primary key';

export interface RowChange {
  type: ChangeEvent;
  relation: RelationMessage;
  /** `YYYY-MM-DDTHH:MI:SS.MSZ`, the transaction's commit time. */
  commitTimestamp: string;
  newTuple: TupleValue[] | null;
  oldKind: 'K' | 'O' | null;
  oldTuple: TupleValue[] | null;
}

/** One field of `record`/`old_record`: its column, the decoded text (null for SQL NULL) and, once cast, its JSON. */
export interface Field {
  column: number;
  name: string;
  typeOid: number;
  text: string | null;
  json?: string;
}

export interface ChangeShape {
  change: RowChange;
  record: Field[] | undefined;
  oldRecord: Field[] | undefined;
  errors: string[] | null;
}

function fieldsOf(
  relation: RelationMessage,
  tuple: TupleValue[],
  keep: (column: number) => boolean,
): Field[] {
  const fields: Field[] = [];
  relation.columns.forEach((col, i) => {
    const value = tuple[i];
    if (!value || value.kind === 'unchanged' || !keep(i)) return;
    fields.push({
      column: i,
      name: col.name,
      typeOid: col.typeOid,
      text: value.kind === 'text' ? value.text : null,
    });
  });
  return fields;
}

/** Rough size of the wal2json v2 document the server measures with `octet_length(wal::text)`. */
function walSize(relation: RelationMessage, ...tuples: (Field[] | undefined)[]): number {
  let size = 200 + Buffer.byteLength(relation.schema) + Buffer.byteLength(relation.table);
  for (const fields of tuples) {
    for (const f of fields ?? []) {
      size += 40 + Buffer.byteLength(f.name) + (f.text === null ? 4 : Buffer.byteLength(f.text));
    }
  }
  return size;
}

/** Which fields a change carries, before casting. */
export function shapeChange(change: RowChange): ChangeShape {
  const { relation } = change;
  const isKey = (i: number) => relation.columns[i]?.isKey === true;
  const hasKey = relation.columns.some((c) => c.isKey);
  const all = () => true;

  if (change.type !== 'DELETE' && relation.replicaIdentity === 'd' && !hasKey) {
    // wal2json reports no `pk`: the server answers with an error row and no data.
    return {
      change,
      record: [],
      oldRecord: change.type === 'UPDATE' ? [] : undefined,
      errors: [NO_PRIMARY_KEY],
    };
  }

  const record =
    change.newTuple && change.type !== 'DELETE' ? fieldsOf(relation, change.newTuple, all) : undefined;
  let oldRecord: Field[] | undefined;
  if (change.type !== 'INSERT') {
    if (change.oldTuple && change.oldKind === 'O') oldRecord = fieldsOf(relation, change.oldTuple, all);
    else if (change.oldTuple) oldRecord = fieldsOf(relation, change.oldTuple, isKey);
    else if (change.newTuple && hasKey) oldRecord = fieldsOf(relation, change.newTuple, isKey);
    else oldRecord = [];
  }

  if (walSize(relation, record, oldRecord) > MAX_RECORD_BYTES) {
    const small = (f: Field) => f.text !== null && Buffer.byteLength(f.text) <= TOO_LARGE_FIELD_BYTES;
    return {
      change,
      record: record?.filter(small),
      oldRecord: oldRecord?.filter(small),
      errors: [PAYLOAD_TOO_LARGE],
    };
  }
  return { change, record, oldRecord, errors: null };
}

/** Typed values of the fields a filter looks at (the new record; the old one for DELETE). */
export function filterSource(shape: ChangeShape): Record<string, unknown> {
  const fields = shape.change.type === 'DELETE' ? shape.oldRecord : shape.record;
  const values: Record<string, unknown> = {};
  for (const f of fields ?? [])
    values[f.name] = f.json === undefined ? null : (JSON.parse(f.json) as unknown);
  return values;
}

function renderFields(fields: Field[], visible: (name: string) => boolean): string {
  const parts: string[] = [];
  for (const f of fields) {
    if (visible(f.name)) parts.push(`${JSON.stringify(f.name)}:${f.json ?? 'null'}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The frame's `data` as JSON text. Keys as the server's encoder orders them. `select` narrows
 * `columns`/`record`/`old_record` to those columns plus the key columns.
 */
export function renderData(
  shape: ChangeShape,
  typeNames: ReadonlyMap<number, string>,
  select?: string[],
): string {
  const { change } = shape;
  const { relation } = change;
  const noData = shape.errors?.includes(NO_PRIMARY_KEY) === true;
  const visible = (name: string) =>
    !select || select.includes(name) || relation.columns.some((c) => c.isKey && c.name === name);
  const columns = noData
    ? []
    : relation.columns
        .filter((c) => visible(c.name))
        .map((c) => ({ name: c.name, type: typeNames.get(c.typeOid) ?? String(c.typeOid) }));
  const parts = [
    `"columns":${JSON.stringify(columns)}`,
    `"commit_timestamp":${noData ? 'null' : JSON.stringify(change.commitTimestamp)}`,
    `"errors":${JSON.stringify(shape.errors)}`,
  ];
  if (shape.oldRecord) parts.push(`"old_record":${renderFields(shape.oldRecord, visible)}`);
  if (shape.record) parts.push(`"record":${renderFields(shape.record, visible)}`);
  parts.push(
    `"schema":${JSON.stringify(relation.schema)}`,
    `"table":${JSON.stringify(relation.table)}`,
    `"type":${JSON.stringify(change.type)}`,
  );
  return `{${parts.join(',')}}`;
}

/** Commit time (µs since the Unix epoch) as `to_char(... at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`. */
export function formatCommitTimestamp(commitTimeUs: bigint): string {
  const ms = commitTimeUs / 1000n - (commitTimeUs % 1000n < 0n ? 1n : 0n);
  return new Date(Number(ms)).toISOString();
}
