/**
 * The target role: writing the backup project through the apply functions of
 * supabase/migrations/20251125120000_sync_apply_functions.sql (`sync_apply_upserts`,
 * `sync_apply_deletes`), which hold its rows to the source's exactly: a version guard against
 * stale copies, tombstones against deleted rows coming back.
 */
import type {
  ResolveResult,
  Row,
  SequenceAdvance,
  SequencePosition,
  TableRef,
  TargetProject,
  UpsertCall,
  UpsertResult,
} from '../contracts/ports.js';
import { MAX_REQUEST_BYTES } from './api-errors.js';
import type { ProjectConnection } from './client.js';
import { SupabaseProject } from './project.js';
import { rpcText } from './rpc-text.js';
import { textLength, textOf } from '../core/row-pages.js';

/** Splits rows into consecutive groups whose JSON stays under `maxBytes` (a lone larger row goes alone). */
export function splitBySize(rows: Row[], maxBytes: number): Row[][] {
  const total = JSON.stringify(rows).length;
  if (total <= maxBytes) return [rows];
  const groups: Row[][] = [];
  let group: Row[] = [];
  let size = 2;
  for (const row of rows) {
    const rowSize = JSON.stringify(row).length + 1;
    if (group.length > 0 && size + rowSize > maxBytes) {
      groups.push(group);
      group = [];
      size = 2;
    }
    group.push(row);
    size += rowSize;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * Rows grouped by their keys (first-seen order). `sync_apply_upserts` takes the columns of a call
 * from its first row, so a row lacking a column must not share a call with rows that have it.
 */
export function groupByColumns(rows: Row[]): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const columns = Object.keys(row).join('\u0000');
    let group = groups.get(columns);
    if (!group) groups.set(columns, (group = []));
    group.push(row);
  }
  return [...groups.values()];
}

class SupabaseTarget extends SupabaseProject implements TargetProject {
  async advanceSequences(sequences: SequencePosition[], margin: number): Promise<SequenceAdvance[]> {
    if (sequences.length === 0) return [];
    return this.rpc<SequenceAdvance[]>(
      'sync_advance_sequences',
      { p_sequences: sequences, p_margin: margin },
      { what: 'moving sequences forward', migration: 'sequences' },
    );
  }

  async applyUpserts(ref: TableRef, versionColumn: string | null, rows: Row[]): Promise<UpsertResult> {
    // A page read as one text (every row with the same columns) goes on as that text, in one request.
    const text =
      (textLength(rows) ?? MAX_REQUEST_BYTES) + 1024 <= MAX_REQUEST_BYTES ? textOf(rows) : undefined;
    if (text !== undefined && rows.length > 0) {
      const call = JSON.stringify(this.call(ref, versionColumn));
      const body = `${call.slice(0, -1)},"p_rows":${text}}`;
      const answer = await rpcText(this.project, 'sync_apply_upserts', body, {
        what: 'writing rows',
        ref,
        migration: 'apply',
      });
      return JSON.parse(answer) as UpsertResult;
    }
    const total: UpsertResult = { written: 0, skipped: 0 };
    for (const group of groupByColumns(rows).flatMap((g) => splitBySize(g, MAX_REQUEST_BYTES))) {
      const result = await this.rpc<UpsertResult>(
        'sync_apply_upserts',
        { ...this.call(ref, versionColumn), p_rows: group },
        { what: 'writing rows', ref, migration: 'apply' },
      );
      // A refused group: the caller resolves it with the source's current rows (and the rest again).
      if (result.conflict !== undefined) return { ...total, conflict: result.conflict };
      total.written += result.written;
      total.skipped += result.skipped;
    }
    return total;
  }

  async applyUpsertsMany(calls: UpsertCall[]): Promise<Array<UpsertResult | { error: string }>> {
    const parts = calls.map((c) => {
      const head = JSON.stringify({
        schema: c.ref.schema,
        table: c.ref.table,
        primary_keys: c.ref.primaryKeys,
        version_column: c.versionColumn,
      });
      return `${head.slice(0, -1)},"rows":${textOf(c.rows) ?? JSON.stringify(c.rows)}}`;
    });
    const answer = await rpcText(
      this.project,
      'sync_apply_upserts_many',
      `{"p_calls":[${parts.join(',')}]}`,
      {
        what: `writing rows of ${calls.length} tables`,
        migration: 'applyMany',
      },
    );
    return JSON.parse(answer) as Array<UpsertResult | { error: string }>;
  }

  async resolveConflict(
    ref: TableRef,
    versionColumn: string | null,
    rows: Row[],
    gone: Row[],
  ): Promise<ResolveResult> {
    return this.rpc<ResolveResult>(
      'sync_apply_resolve',
      { ...this.call(ref, versionColumn), p_rows: rows, p_gone: gone },
      { what: 'rewriting rows in a unique conflict', ref, migration: 'apply' },
    );
  }

  async applyDeletes(ref: TableRef, versionColumn: string | null, keys: Row[]): Promise<{ deleted: number }> {
    if (keys.length === 0) return { deleted: 0 };
    return this.rpc<{ deleted: number }>(
      'sync_apply_deletes',
      { ...this.call(ref, versionColumn), p_keys: keys },
      { what: 'deleting rows', ref, migration: 'apply' },
    );
  }

  private call(ref: TableRef, versionColumn: string | null) {
    return {
      p_schema: ref.schema,
      p_table: ref.table,
      p_primary_keys: ref.primaryKeys,
      p_version_column: versionColumn,
    };
  }
}

export function connectTarget(connection: Omit<ProjectConnection, 'role'>): TargetProject {
  return new SupabaseTarget({ ...connection, role: 'target' });
}
