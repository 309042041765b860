/**
 * One way a table on the target differs from the same table on the source (src/core/schema-diff.ts
 * finds them): a line a user reads and the SQL that makes the target match. `blocking` differences
 * stop the table until they are fixed.
 */

export type DifferenceKind =
  | 'table-missing'
  | 'column-missing'
  | 'column-extra'
  | 'type'
  | 'nullability'
  | 'default'
  | 'identity'
  | 'generated'
  | 'primary-key'
  | 'unique-missing'
  | 'unique-extra';

export interface SchemaDifference {
  kind: DifferenceKind;
  /** The column or index concerned, if any. */
  name?: string;
  message: string;
  /** SQL to run on the target. */
  sql: string;
  blocking: boolean;
}
