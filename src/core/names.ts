/**
 * A table's name as people and workflow ids read it: `schema.table`. Workflow code names a table
 * with this (inputs recorded by earlier versions carry no qualifiedName). No Node built-ins.
 */
export function tableName(table: { schema: string; table: string }): string {
  return `${table.schema}.${table.table}`;
}
