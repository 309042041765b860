/**
 * Names: a table's as people and workflow ids read it (`schema.table`; workflow code names a table
 * with this, as inputs recorded by earlier versions carry no qualifiedName), and any name as SQL.
 * No Node built-ins.
 */
export function tableName(table: { schema: string; table: string }): string {
  return `${table.schema}.${table.table}`;
}

/** An identifier as SQL: bare when it is a plain lower-case name, else double-quoted. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** `schema.name` as SQL. */
export function qualifiedIdent(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A string literal as SQL. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
