/**
 * Pages of a source table through `sync_read_rows` (20261202120100_sync_reads.sql): the JSON text
 * goes through as read (numbers a double cannot hold protected), kept beside the rows so the
 * target is written from that text, not from the rows serialised again.
 */
import type { KeyValues, Row, TableRef } from '../contracts/ports.js';
import { withText } from '../core/row-pages.js';
import { protectImpreciseNumbers } from './lossless-json.js';
import type { ProjectConnection } from './client.js';
import { rpcText } from './rpc-text.js';

const ref3 = (ref: TableRef) => ({ p_schema: ref.schema, p_table: ref.table });

/** A page with its text (row-pages.ts): the target is written from that text, not from the rows again. */
export async function readRows(
  project: ProjectConnection,
  ref: TableRef,
  order: string[],
  after: KeyValues | null,
  from: string | null,
  limit: number,
  what: string,
): Promise<Row[]> {
  const args = JSON.stringify({
    ...ref3(ref),
    p_order: order,
    // As text: the function casts each value to its column's type (exact for int8 and numeric).
    p_after: after === null ? null : after.map((v) => (v === null ? null : String(v))),
    p_from: from,
    p_limit: limit,
  });
  const text = protectImpreciseNumbers(
    await rpcText(project, 'sync_read_rows', args, { what, ref, migration: 'reads' }),
  );
  return withText(JSON.parse(text) as Row[], text);
}
