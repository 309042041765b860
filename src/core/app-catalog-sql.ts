/**
 * The app's database objects (src/contracts/app-catalog.ts) as people name them and as SQL: the
 * identity two projects' objects are matched by, the statements that create one, drop one, and
 * those that turn the target's into the source's. Definitions are Postgres's own rendering, reused
 * as they are. Pure, no Node built-ins.
 */
import type { AppObject } from '../contracts/app-catalog.js';
import { qualifiedIdent as q, quoteIdent, quoteLiteral } from './names.js';

type Of<K extends AppObject['kind']> = Extract<AppObject, { kind: K }>;

/** The object as a user names it; also its identity (one object per name on a project). */
export function objectName(o: AppObject): string {
  switch (o.kind) {
    case 'schema':
      return `schema ${o.name}`;
    case 'extension':
      return `extension ${o.name}`;
    case 'enum':
    case 'domain':
    case 'composite':
      return `type ${o.schema}.${o.name}`;
    case 'rls':
      return `row level security of ${o.schema}.${o.table}`;
    case 'constraint':
      return `constraint ${o.name} on ${o.schema}.${o.table}`;
    case 'function':
      return `function ${o.schema}.${o.name}(${o.args})`;
    case 'view':
      return `view ${o.schema}.${o.name}`;
    case 'matview':
      return `materialized view ${o.schema}.${o.name}`;
    case 'index':
      return `index ${o.schema}.${o.name} on ${o.schema}.${o.table}`;
    case 'policy':
      return `policy "${o.name}" on ${o.schema}.${o.table}`;
    case 'trigger':
      return `trigger ${o.name} on ${o.schema}.${o.table}`;
    case 'privileges':
      return `privileges of ${o.grantee} on ${privilegeTarget(o, false)}`;
    case 'publication':
      return `${o.schema}.${o.table} in publication ${o.publication}`;
  }
}

/** What a GRANT names: `table public.posts`, `column public.posts.title`, `function public.f(uuid)`. */
function privilegeTarget(o: Of<'privileges'>, sql: boolean): string {
  const name = sql ? q(o.schema, o.name) : `${o.schema}.${o.name}`;
  if (o.on === 'function') return `function ${name}(${o.args ?? ''})`;
  if (o.on === 'schema') return `${sql ? 'SCHEMA' : 'schema'} ${quoteIdent(o.name)}`;
  if (o.on === 'column') return sql ? `TABLE ${name}` : `column ${name}.${o.column ?? ''}`;
  if (!sql) return `${o.on === 'matview' ? 'materialized view' : o.on} ${name}`;
  return `${o.on === 'sequence' ? 'SEQUENCE' : 'TABLE'} ${name}`;
}

/** GRANT or REVOKE of `privileges` on the object to or from its grantee. */
export function privilegeSql(o: Of<'privileges'>, privileges: string[], grant: boolean): string {
  const grantee = o.grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(o.grantee);
  const list =
    o.on === 'column'
      ? privileges.map((p) => `${p} (${quoteIdent(o.column ?? '')})`).join(', ')
      : privileges.join(', ');
  const on =
    o.on === 'function' ? `FUNCTION ${q(o.schema, o.name)}(${o.args ?? ''})` : privilegeTarget(o, true);
  return grant ? `GRANT ${list} ON ${on} TO ${grantee};` : `REVOKE ${list} ON ${on} FROM ${grantee};`;
}

function policySql(o: Of<'policy'>): string {
  const roles = o.roles.map((r) => (r === 'public' ? 'PUBLIC' : quoteIdent(r))).join(', ');
  let sql = `CREATE POLICY ${quoteIdent(o.name)} ON ${q(o.schema, o.table)} AS ${o.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${o.command} TO ${roles}`;
  if (o.using !== null) sql += ` USING (${o.using})`;
  if (o.check !== null) sql += ` WITH CHECK (${o.check})`;
  return `${sql};`;
}

/** ALTER TABLE … ENABLE/DISABLE TRIGGER for a trigger's state (O: fires unless replica, the default). */
function triggerStateSql(o: Of<'trigger'>): string {
  const state = { O: 'ENABLE', D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' }[o.enabled];
  return `ALTER TABLE ${q(o.schema, o.table)} ${state} TRIGGER ${quoteIdent(o.name)};`;
}

function viewOptions(o: Of<'view' | 'matview'>): string {
  return o.options.length > 0 ? ` WITH (${o.options.join(', ')})` : '';
}

/** pg_get_viewdef's text ends with a semicolon. */
function viewBody(o: Of<'view' | 'matview'>): string {
  return o.definition.trim().replace(/;$/, '');
}

function domainSql(o: Of<'domain'>): string {
  let sql = `CREATE DOMAIN ${q(o.schema, o.name)} AS ${o.base}`;
  if (o.default !== null) sql += ` DEFAULT ${o.default}`;
  if (o.notNull) sql += ' NOT NULL';
  for (const c of o.checks) sql += ` CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`;
  return `${sql};`;
}

/** The statements that create the object on a project that lacks it. */
export function createSql(o: AppObject): string[] {
  switch (o.kind) {
    case 'schema':
      return [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(o.name)};`];
    case 'extension':
      return [
        `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(o.name)} WITH SCHEMA ${quoteIdent(o.schema)} VERSION ${quoteLiteral(o.version)};`,
      ];
    case 'enum':
      return [`CREATE TYPE ${q(o.schema, o.name)} AS ENUM (${o.labels.map(quoteLiteral).join(', ')});`];
    case 'domain':
      return [domainSql(o)];
    case 'composite':
      return [
        `CREATE TYPE ${q(o.schema, o.name)} AS (${o.attributes.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(', ')});`,
      ];
    case 'rls':
      return rlsSql(o, { enabled: false, forced: false });
    case 'constraint':
      return [`ALTER TABLE ${q(o.schema, o.table)} ADD CONSTRAINT ${quoteIdent(o.name)} ${o.definition};`];
    case 'function':
      return [`${o.definition.trim()};`];
    case 'view':
      return [`CREATE OR REPLACE VIEW ${q(o.schema, o.name)}${viewOptions(o)} AS\n${viewBody(o)};`];
    case 'matview':
      return [
        `CREATE MATERIALIZED VIEW ${q(o.schema, o.name)}${viewOptions(o)} AS\n${viewBody(o)}\nWITH DATA;`,
      ];
    case 'index':
      return [`${o.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ')};`];
    case 'policy':
      return [policySql(o)];
    case 'trigger':
      return [
        `${o.definition.replace(/^CREATE TRIGGER /, 'CREATE OR REPLACE TRIGGER ')};`,
        ...(o.enabled === 'O' ? [] : [triggerStateSql(o)]),
      ];
    case 'privileges':
      return [privilegeSql(o, o.privileges, true)];
    case 'publication':
      return [`ALTER PUBLICATION ${quoteIdent(o.publication)} ADD TABLE ${q(o.schema, o.table)};`];
  }
}

/** ALTER TABLE statements that turn `from`'s row level security settings into `o`'s. */
export function rlsSql(o: Of<'rls'>, from: { enabled: boolean; forced: boolean }): string[] {
  const table = `ALTER TABLE ${q(o.schema, o.table)}`;
  const sql: string[] = [];
  if (o.enabled !== from.enabled)
    sql.push(`${table} ${o.enabled ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY;`);
  if (o.forced !== from.forced) sql.push(`${table} ${o.forced ? 'FORCE' : 'NO FORCE'} ROW LEVEL SECURITY;`);
  return sql;
}

/** The statements that drop the object (schemas, extensions and RLS settings are never dropped: []). */
export function dropSql(o: AppObject): string[] {
  switch (o.kind) {
    case 'schema':
    case 'extension':
    case 'rls':
      return [];
    case 'enum':
    case 'domain':
    case 'composite':
      return [`DROP ${o.kind === 'domain' ? 'DOMAIN' : 'TYPE'} ${q(o.schema, o.name)};`];
    case 'constraint':
      return [`ALTER TABLE ${q(o.schema, o.table)} DROP CONSTRAINT ${quoteIdent(o.name)};`];
    case 'function': {
      const what = /^CREATE (OR REPLACE )?PROCEDURE/.test(o.definition.trim()) ? 'PROCEDURE' : 'FUNCTION';
      return [`DROP ${what} ${q(o.schema, o.name)}(${o.args});`];
    }
    case 'view':
      return [`DROP VIEW ${q(o.schema, o.name)};`];
    case 'matview':
      return [`DROP MATERIALIZED VIEW ${q(o.schema, o.name)};`];
    case 'index':
      return [`DROP INDEX ${q(o.schema, o.name)};`];
    case 'policy':
      return [`DROP POLICY ${quoteIdent(o.name)} ON ${q(o.schema, o.table)};`];
    case 'trigger':
      return [`DROP TRIGGER ${quoteIdent(o.name)} ON ${q(o.schema, o.table)};`];
    case 'privileges':
      return [privilegeSql(o, o.privileges, false)];
    case 'publication':
      return [`ALTER PUBLICATION ${quoteIdent(o.publication)} DROP TABLE ${q(o.schema, o.table)};`];
  }
}
