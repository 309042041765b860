/**
 * How the app's database objects on the target differ from the source's (src/contracts/app-catalog.ts):
 * matched by identity (objectName), compared by Postgres's own rendering of each, one difference per
 * object with the SQL that makes the target match, in dependency order: what is dropped first (the
 * dependents before what they use), then schemas, extensions, types, functions, row level security,
 * constraints, views, indexes, policies, triggers, privileges and the publication. An object created
 * (or created again) gets exactly the source's privileges: the defaults it is created with are revoked.
 * Pure, no Node built-ins.
 */
import type { AppDifference, AppObject, AppObjectKind } from '../contracts/app-catalog.js';
import { createSql, dropSql, objectName, privilegeSql, rlsSql } from './app-catalog-sql.js';
import { qualifiedIdent as q, quoteIdent, quoteLiteral } from './names.js';
import { alterTypeSql } from './app-catalog-types.js';

type Of<K extends AppObjectKind> = Extract<AppObject, { kind: K }>;

/** Creation order; drops go in the reverse. */
const RANK: Record<AppObjectKind, number> = {
  schema: 0,
  extension: 1,
  enum: 2,
  domain: 2,
  composite: 2,
  function: 3,
  rls: 4,
  constraint: 5,
  view: 6,
  matview: 6,
  index: 7,
  policy: 8,
  trigger: 9,
  privileges: 10,
  publication: 11,
};

/** Hosted projects let `postgres` add policies and triggers to these schemas' tables, not change their structure. */
const PLATFORM_SCHEMAS = new Set(['auth', 'storage']);
const STRUCTURE: ReadonlySet<AppObjectKind> = new Set(['rls', 'constraint', 'index']);
const API_ROLES = 'PUBLIC, anon, authenticated, service_role';

export interface AppDiffOptions {
  /** Tables `schema push` creates (src/core/schema-diff.ts): they start without any privileges. */
  createdTables?: string[];
}

/** The object's relation or function as a privileges object names it ("schema.name" or "schema.name(args)"). */
function grantKey(o: { schema: string; name: string; args?: string }): string {
  return o.args === undefined ? `${o.schema}.${o.name}` : `${o.schema}.${o.name}(${o.args})`;
}

/** REVOKE of every privilege of the API roles on a new relation or function. */
function revokeDefaults(o: Of<'function' | 'view' | 'matview'>): string {
  const on =
    o.kind === 'function' ? `FUNCTION ${q(o.schema, o.name)}(${o.args})` : `TABLE ${q(o.schema, o.name)}`;
  return `REVOKE ALL ON ${on} FROM ${API_ROLES};`;
}

/** Why `schema push` leaves the object to a person, if it does. */
function leftOut(o: AppObject): string | undefined {
  if (!('table' in o) || !PLATFORM_SCHEMAS.has(o.schema) || !STRUCTURE.has(o.kind)) return undefined;
  return `hosted projects do not let postgres change the structure of ${o.schema}.${o.table}`;
}

function fieldsThatDiffer(s: AppObject, t: AppObject): string[] {
  const a = s as unknown as Record<string, unknown>;
  const b = t as unknown as Record<string, unknown>;
  return Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

function describeChange(s: AppObject, t: AppObject): string {
  if (s.kind !== t.kind) return `a ${s.kind} on the source, a ${t.kind} on the target`;
  if (s.kind === 'privileges' && t.kind === 'privileges')
    return `${s.privileges.join(', ') || 'none'} on the source, ${t.privileges.join(', ') || 'none'} on the target`;
  if (s.kind === 'rls' && t.kind === 'rls') {
    const state = (x: Of<'rls'>) => `${x.enabled ? 'enabled' : 'disabled'}${x.forced ? ', forced' : ''}`;
    return `${state(s)} on the source, ${state(t)} on the target`;
  }
  if (s.kind === 'extension' && t.kind === 'extension')
    return `version ${s.version} in ${s.schema} on the source, ${t.version} in ${t.schema} on the target`;
  return `its ${fieldsThatDiffer(s, t).join(', ')} differ${fieldsThatDiffer(s, t).length > 1 ? '' : 's'}`;
}

/** The statements that turn the target's object `t` into the source's `s`; recreated: dropped and created again. */
function alterSql(s: AppObject, t: AppObject): { sql: string[]; recreated: boolean; dropsData: boolean } {
  const recreate = (dropsData: boolean) => ({
    sql: [...dropSql(t), ...createSql(s)],
    recreated: true,
    dropsData,
  });
  if (s.kind !== t.kind) return recreate(true);
  switch (s.kind) {
    case 'extension': {
      const x = t as Of<'extension'>;
      const sql: string[] = [];
      if (s.version !== x.version)
        sql.push(`ALTER EXTENSION ${quoteIdent(s.name)} UPDATE TO ${quoteLiteral(s.version)};`);
      if (s.schema !== x.schema)
        sql.push(`ALTER EXTENSION ${quoteIdent(s.name)} SET SCHEMA ${quoteIdent(s.schema)};`);
      return { sql, recreated: false, dropsData: false };
    }
    case 'enum':
    case 'domain':
    case 'composite':
      return { ...alterTypeSql(s, t as typeof s), recreated: false };
    case 'rls':
      return { sql: rlsSql(s, t as Of<'rls'>), recreated: false, dropsData: false };
    case 'function':
      return s.result === (t as Of<'function'>).result
        ? { sql: createSql(s), recreated: false, dropsData: false }
        : recreate(false);
    case 'view':
      return { sql: viewAlterSql(s, t as Of<'view' | 'matview'>), recreated: false, dropsData: false };
    case 'matview':
      return recreate(true);
    case 'trigger':
      return { sql: createSql(s), recreated: false, dropsData: false };
    case 'privileges':
      return { sql: privilegeChanges(s, t as Of<'privileges'>), recreated: false, dropsData: false };
    default:
      return recreate(false);
  }
}

function viewAlterSql(s: Of<'view' | 'matview'>, t: Of<'view' | 'matview'>): string[] {
  const sql: string[] = [];
  const key = (o: string) => o.split('=')[0]!;
  const removed = t.options.filter((o) => !s.options.some((x) => key(x) === key(o))).map(key);
  if (removed.length > 0) sql.push(`ALTER VIEW ${q(s.schema, s.name)} RESET (${removed.join(', ')});`);
  if (s.options.join() !== t.options.join() && s.options.length > 0)
    sql.push(`ALTER VIEW ${q(s.schema, s.name)} SET (${s.options.join(', ')});`);
  if (s.definition !== t.definition) sql.push(...createSql({ ...s, options: [] }));
  return sql;
}

function privilegeChanges(s: Of<'privileges'>, t: Of<'privileges'>): string[] {
  const grant = s.privileges.filter((p) => !t.privileges.includes(p));
  const revoke = t.privileges.filter((p) => !s.privileges.includes(p));
  return [
    ...(revoke.length > 0 ? [privilegeSql(s, revoke, false)] : []),
    ...(grant.length > 0 ? [privilegeSql(s, grant, true)] : []),
  ];
}

function difference(
  o: AppObject,
  change: AppDifference['change'],
  message: string,
  sql: string[],
  dropsData: boolean,
): AppDifference {
  const reason = leftOut(o);
  return {
    kind: o.kind,
    object: objectName(o),
    change,
    message,
    sql,
    dropsData,
    ...(reason ? { leftOut: reason } : {}),
  };
}

/** The target's objects against the source's, in the order their SQL runs. */
export function diffAppCatalogs(
  source: AppObject[],
  target: AppObject[],
  options: AppDiffOptions = {},
): AppDifference[] {
  const onTarget = new Map(target.map((o) => [objectName(o), o]));
  const onSource = new Set(source.map(objectName));
  // Relations and functions the SQL creates: their privileges start empty (their defaults revoked).
  const fresh = new Set(options.createdTables ?? []);
  const changes: Array<AppDifference & { rank: number }> = [];
  for (const s of source) {
    if (s.kind === 'privileges') continue;
    const name = objectName(s);
    const t = onTarget.get(name);
    if (t !== undefined && JSON.stringify(s) === JSON.stringify(t)) continue;
    const created =
      t === undefined ? { sql: createSql(s), recreated: true, dropsData: false } : alterSql(s, t);
    if (created.recreated && (s.kind === 'function' || s.kind === 'view' || s.kind === 'matview')) {
      fresh.add(grantKey(s));
      created.sql.push(revokeDefaults(s));
    }
    const message = t === undefined ? `${name} is missing on the target` : `${name}: ${describeChange(s, t)}`;
    changes.push({
      ...difference(s, t ? 'different' : 'missing', message, created.sql, created.dropsData),
      rank: RANK[s.kind],
    });
  }
  for (const s of source) {
    if (s.kind !== 'privileges') continue;
    const t = fresh.has(grantKey(s))
      ? undefined
      : (onTarget.get(objectName(s)) as Of<'privileges'> | undefined);
    if (t !== undefined && s.privileges.join() === t.privileges.join()) continue;
    const none: Of<'privileges'> = { ...s, privileges: [] };
    const message = `${objectName(s)}: ${describeChange(s, t ?? none)}`;
    changes.push({
      ...difference(s, t ? 'different' : 'missing', message, privilegeChanges(s, t ?? none), false),
      rank: RANK.privileges,
    });
  }
  const extras: Array<AppDifference & { rank: number }> = [];
  // The privileges of a function or view dropped as an extra go with it.
  const dropped = new Set(
    target
      .filter(
        (t) =>
          (t.kind === 'function' || t.kind === 'view' || t.kind === 'matview') &&
          !onSource.has(objectName(t)),
      )
      .map((t) => grantKey(t as Of<'function' | 'view' | 'matview'>)),
  );
  for (const t of target) {
    const name = objectName(t);
    if (onSource.has(name) || t.kind === 'schema' || t.kind === 'extension' || t.kind === 'rls') continue;
    if (t.kind === 'privileges' && (fresh.has(grantKey(t)) || dropped.has(grantKey(t)))) continue;
    const dropsData =
      t.kind === 'enum' || t.kind === 'domain' || t.kind === 'composite' || t.kind === 'matview';
    extras.push({
      ...difference(t, 'extra', `${name} is only on the target`, dropSql(t), dropsData),
      rank: RANK[t.kind],
    });
  }
  extras.sort((a, b) => b.rank - a.rank);
  changes.sort((a, b) => a.rank - b.rank);
  return [...extras, ...changes].map(({ rank: _rank, ...d }) => d);
}
