/**
 * Typing a poll's changes: column type names (for `columns`), every non-null value through
 * `realtime.cast(text, regtype)` in one query per poll (but see `castLocally`), and which tables
 * have row level security enabled and what their primary keys are (a DELETE's `old_record` on such
 * a table is cut to the primary key, as `realtime.apply_rls` does: it cannot check a deleted row
 * against the policies).
 */
import type pg from 'pg';
import type { ChangeShape, Field } from './records.js';

/**
 * Types whose `to_jsonb(text::type)` is plain to compute here (same JSON value as `realtime.cast`),
 * which saves a dynamic-SQL `EXECUTE` per value in the database: int2, int4, int8, bool, text,
 * varchar, uuid, name.
 */
const INTEGER_OIDS = new Set([21, 23, 20]);
const STRING_OIDS = new Set([25, 1043, 2950, 19]);

function castLocally(typeOid: number, text: string): string | undefined {
  if (INTEGER_OIDS.has(typeOid) && /^-?\d+$/.test(text)) return text;
  if (STRING_OIDS.has(typeOid)) return JSON.stringify(text);
  if (typeOid === 16) return text === 't' ? 'true' : text === 'f' ? 'false' : undefined;
  return undefined;
}

export class Caster {
  private readonly typeNames = new Map<number, string>();

  get names(): ReadonlyMap<number, string> {
    return this.typeNames;
  }

  async loadTypeNames(client: pg.Client, shapes: ChangeShape[]): Promise<void> {
    const missing = new Set<number>();
    for (const shape of shapes) {
      for (const col of shape.change.relation.columns)
        if (!this.typeNames.has(col.typeOid)) missing.add(col.typeOid);
    }
    if (missing.size === 0) return;
    const result = await client.query<{ oid: number; typname: string }>(
      'select oid::int8 as oid, typname from pg_type where oid = any($1::oid[])',
      [[...missing]],
    );
    for (const row of result.rows) this.typeNames.set(Number(row.oid), row.typname);
  }

  /** Every non-null field through `realtime.cast(text, regtype)` (one query per poll). */
  async cast(client: pg.Client, shapes: ChangeShape[]): Promise<void> {
    const fields: Field[] = [];
    for (const shape of shapes) {
      for (const f of [...(shape.record ?? []), ...(shape.oldRecord ?? [])]) {
        if (f.text === null) f.json = 'null';
        else if ((f.json = castLocally(f.typeOid, f.text)) === undefined) fields.push(f);
      }
    }
    if (fields.length === 0) return;
    const result = await client.query<{ j: string }>(
      'select realtime.cast(v, t::regtype)::text as j from unnest($1::text[], $2::oid[]) with ordinality as x(v, t, i) order by i',
      [fields.map((f) => f.text), fields.map((f) => f.typeOid)],
    );
    result.rows.forEach((row, i) => {
      const field = fields[i];
      if (field) field.json = row.j;
    });
  }
}

/**
 * DELETEs on tables with RLS enabled keep only primary-key columns in `old_record` (even with
 * REPLICA IDENTITY FULL). The tables' state is read at poll time, as `apply_rls` reads it per change.
 */
export async function cutDeletesUnderRls(client: pg.Client, shapes: ChangeShape[]): Promise<void> {
  const deletes = shapes.filter((s) => s.change.type === 'DELETE' && s.oldRecord);
  if (deletes.length === 0) return;
  const ids = [...new Set(deletes.map((s) => s.change.relation.relationId))];
  const result = await client.query<{ oid: string; rls: boolean; pk: string[] | null }>(
    `select c.oid::int8::text as oid, c.relrowsecurity as rls,
            (select array_agg(a.attname::text) from pg_index i
               join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
              where i.indrelid = c.oid and i.indisprimary) as pk
       from pg_class c where c.oid = any($1::oid[])`,
    [ids],
  );
  const byId = new Map(result.rows.map((r) => [Number(r.oid), r]));
  for (const shape of deletes) {
    const info = byId.get(shape.change.relation.relationId);
    if (!info?.rls) continue;
    const pk = new Set(info.pk ?? []);
    shape.oldRecord = shape.oldRecord?.filter((f) => pk.has(f.name));
  }
}
