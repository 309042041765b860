/**
 * How an enum, domain or composite type on the target becomes the source's without being dropped
 * (columns may use it): enum values added in place, a domain's default, NOT NULL and checks
 * altered, a composite's attributes added. What cannot be done in place (an enum value to remove,
 * an attribute to drop or retype) drops or narrows data: `dropsData`. Pure, no Node built-ins.
 */
import type { AppObject } from '../contracts/app-catalog.js';
import { qualifiedIdent as q, quoteIdent, quoteLiteral } from './names.js';

type Of<K extends AppObject['kind']> = Extract<AppObject, { kind: K }>;
type TypeObject = Of<'enum' | 'domain' | 'composite'>;

export interface TypeChange {
  sql: string[];
  dropsData: boolean;
}

function enumSql(s: Of<'enum'>, t: Of<'enum'>): TypeChange {
  const name = q(s.schema, s.name);
  const sql: string[] = [];
  s.labels.forEach((label, i) => {
    if (t.labels.includes(label)) return;
    const place =
      i === 0 ? `BEFORE ${quoteLiteral(s.labels[1] ?? '')}` : `AFTER ${quoteLiteral(s.labels[i - 1]!)}`;
    sql.push(
      `ALTER TYPE ${name} ADD VALUE IF NOT EXISTS ${quoteLiteral(label)}${s.labels.length > 1 ? ` ${place}` : ''};`,
    );
  });
  const extra = t.labels.filter((l) => !s.labels.includes(l));
  if (extra.length > 0)
    sql.push(
      `-- ${name} has values on the target only (${extra.join(', ')}): removing them needs a new type`,
    );
  return { sql, dropsData: extra.length > 0 };
}

function domainSql(s: Of<'domain'>, t: Of<'domain'>): TypeChange {
  const alter = `ALTER DOMAIN ${q(s.schema, s.name)}`;
  if (s.base !== t.base)
    return {
      sql: [`-- ${q(s.schema, s.name)} is over ${s.base} on the source, ${t.base} on the target`],
      dropsData: true,
    };
  const sql: string[] = [];
  if (s.default !== t.default)
    sql.push(s.default === null ? `${alter} DROP DEFAULT;` : `${alter} SET DEFAULT ${s.default};`);
  if (s.notNull !== t.notNull) sql.push(`${alter} ${s.notNull ? 'SET' : 'DROP'} NOT NULL;`);
  for (const c of t.checks) {
    const same = s.checks.find((x) => x.name === c.name);
    if (!same || same.definition !== c.definition)
      sql.push(`${alter} DROP CONSTRAINT ${quoteIdent(c.name)};`);
  }
  for (const c of s.checks) {
    const same = t.checks.find((x) => x.name === c.name);
    if (!same || same.definition !== c.definition)
      sql.push(`${alter} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.definition};`);
  }
  return { sql, dropsData: false };
}

function compositeSql(s: Of<'composite'>, t: Of<'composite'>): TypeChange {
  const alter = `ALTER TYPE ${q(s.schema, s.name)}`;
  const sql: string[] = [];
  let dropsData = false;
  for (const a of t.attributes) {
    const same = s.attributes.find((x) => x.name === a.name);
    if (same && same.type === a.type) continue;
    dropsData = true;
    sql.push(
      same
        ? `${alter} ALTER ATTRIBUTE ${quoteIdent(a.name)} TYPE ${same.type};`
        : `${alter} DROP ATTRIBUTE ${quoteIdent(a.name)};`,
    );
  }
  for (const a of s.attributes)
    if (!t.attributes.some((x) => x.name === a.name))
      sql.push(`${alter} ADD ATTRIBUTE ${quoteIdent(a.name)} ${a.type};`);
  return { sql, dropsData };
}

/** The target's type `t` altered into the source's `s` (both of one kind). */
export function alterTypeSql(s: TypeObject, t: TypeObject): TypeChange {
  if (s.kind === 'enum' && t.kind === 'enum') return enumSql(s, t);
  if (s.kind === 'domain' && t.kind === 'domain') return domainSql(s, t);
  if (s.kind === 'composite' && t.kind === 'composite') return compositeSql(s, t);
  return { sql: [], dropsData: true };
}
