/**
 * The source role: reading the primary project — pages in keyset order, rows by key, the deletion
 * ledger and the change log, the feeds' checks — through the functions of supabase/migrations
 * (20261202120100_sync_reads, 20261202120300_sync_ledger_v2, 20261202130000_sync_feed_checks,
 * 20261202160000_sync_feed_batch, 20261207150000_sync_change_log, 20261208100000_sync_estimate_rows),
 * never the table endpoint, so tables the Data API does not expose sync too; and enabling delete
 * tracking there. Its change feed is realtime.ts.
 */
import {
  SyncError,
  type ChangeEvent,
  type ChangeSubscription,
  type ChangeEntry,
  type KeysetCursor,
  type KeyTextValues,
  type KeyValues,
  type KeyVersion,
  type PendingDeletion,
  type Row,
  type RowEstimate,
  type SourcePosition,
  type SourceProject,
  type SubscriptionStatus,
  type TableRef,
  type VersionsRequest,
} from '../contracts/ports.js';
import type { ProjectConnection } from './client.js';
import { SupabaseProject } from './project.js';
import { subscribeToChanges } from './realtime.js';
import { readRows } from './row-reads.js';
import {
  changeEntry,
  deletions,
  keyVersion,
  position,
  type RawDeletion,
  type RawPosition,
} from './source-answers.js';

/** Keys per call when rows are read by key: one statement, so one snapshot of the source. */
export const KEYS_PER_READ = 5000;

const ref3 = (ref: TableRef) => ({ p_schema: ref.schema, p_table: ref.table });

class SupabaseSource extends SupabaseProject implements SourceProject {
  async countRows(ref: TableRef): Promise<number> {
    const call = { what: 'counting rows', ref, migration: 'reads' } as const;
    return Number(await this.rpc<string | number>('sync_count_rows', ref3(ref), call));
  }

  /**
   * Exact up to 100,000 rows, else estimated (sync_estimate_rows); where the estimate's migration is not
   * applied yet, an exact count as before it (the copy's progress only, never worth a failed table).
   */
  async estimateRows(ref: TableRef): Promise<RowEstimate> {
    try {
      const call = { what: 'estimating the rows', ref, migration: 'estimate' } as const;
      const answer = await this.rpc<{ rows: string | number; exact: boolean }>(
        'sync_estimate_rows',
        ref3(ref),
        call,
      );
      return { rows: Number(answer.rows), exact: answer.exact };
    } catch (error) {
      if (!(error instanceof SyncError) || error.kind !== 'migration') throw error;
      return { rows: await this.countRows(ref), exact: true };
    }
  }

  async readPosition(ref: TableRef, versionColumn: string | null): Promise<SourcePosition> {
    return position(
      await this.rpc<RawPosition>(
        'sync_source_position',
        { ...ref3(ref), p_version_column: versionColumn },
        { what: 'reading the newest version', ref, migration: 'reads' },
      ),
    );
  }

  async readPositions(
    tables: Array<{ ref: TableRef; versionColumn: string | null }>,
  ): Promise<Array<SourcePosition | { error: string }>> {
    if (tables.length === 0) return [];
    const raw = await this.rpc<Array<RawPosition & { error?: string }>>(
      'sync_source_positions',
      {
        p_tables: tables.map((t) => ({ schema: t.ref.schema, table: t.ref.table, version: t.versionColumn })),
      },
      { what: 'reading where the tables are', migration: 'feed' },
    );
    return raw.map((p) => (p.error !== undefined ? { error: p.error } : position(p)));
  }

  async readVersions(
    ref: TableRef,
    versionColumn: string,
    from: string | null,
    until: string | null,
    limit: number,
  ): Promise<KeyVersion[]> {
    const rows = await this.rpc<unknown[][]>(
      'sync_read_versions',
      {
        ...ref3(ref),
        p_primary_keys: ref.primaryKeys,
        p_version_column: versionColumn,
        p_from: from,
        p_until: until,
        p_limit: limit,
      },
      { what: 'reading the versions of changed rows', ref, migration: 'feed' },
    );
    return rows.map(keyVersion);
  }

  async readVersionsMany(
    requests: VersionsRequest[],
    budget: number,
  ): Promise<Array<{ versions: KeyVersion[]; limit: number } | { error: string }>> {
    if (requests.length === 0) return [];
    const raw = await this.rpc<Array<{ versions?: unknown[][]; limit?: number; error?: string }>>(
      'sync_read_versions_many',
      {
        p_requests: requests.map((r) => ({
          schema: r.ref.schema,
          table: r.ref.table,
          primary_keys: r.ref.primaryKeys,
          version_column: r.versionColumn,
          from: r.from,
          until: r.until,
          limit: r.limit,
        })),
        p_budget: budget,
      },
      { what: 'reading the versions of changed rows', migration: 'feedBatch' },
    );
    return raw.map((r) =>
      r.error !== undefined
        ? { error: r.error }
        : { versions: (r.versions ?? []).map(keyVersion), limit: Number(r.limit ?? 0) },
    );
  }

  async readDeletionsAfter(ref: TableRef, afterId: number, limit: number): Promise<PendingDeletion[]> {
    return deletions(
      await this.rpc<RawDeletion[]>(
        'sync_pending_deletions_after',
        { ...ref3(ref), p_after_id: afterId, p_limit: limit },
        { what: 'reading the deletion ledger', ref, migration: 'feed' },
      ),
    );
  }

  async readByVersion(
    ref: TableRef,
    versionColumn: string,
    after: KeysetCursor | null,
    from: string | null,
    limit: number,
  ): Promise<Row[]> {
    const order = [versionColumn, ...ref.primaryKeys];
    const cursor = after && after.version !== null ? [after.version, ...after.key] : null;
    return readRows(this.project, ref, order, cursor, cursor ? null : from, limit, 'reading changed rows');
  }

  async readByKey(ref: TableRef, after: KeyValues | null, limit: number): Promise<Row[]> {
    return readRows(this.project, ref, ref.primaryKeys, after, null, limit, 'copying rows');
  }

  async readRowsByKeys(ref: TableRef, keys: Row[]): Promise<Row[]> {
    const rows: Row[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_READ) {
      const batch = keys.slice(i, i + KEYS_PER_READ).map((k) => {
        const key: Row = {};
        for (const c of ref.primaryKeys) key[c] = k[c];
        return key;
      });
      rows.push(
        ...(await this.rpc<Row[]>(
          'sync_read_keys',
          { ...ref3(ref), p_primary_keys: ref.primaryKeys, p_keys: batch },
          { what: 're-reading rows by key', ref, migration: 'reads' },
        )),
      );
    }
    return rows;
  }

  async presentKeys(ref: TableRef, keys: KeyTextValues[]): Promise<KeyTextValues[]> {
    const present: KeyTextValues[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_READ) {
      present.push(
        ...(await this.rpc<KeyTextValues[]>(
          'sync_present_keys',
          { ...ref3(ref), p_primary_keys: ref.primaryKeys, p_keys: keys.slice(i, i + KEYS_PER_READ) },
          { what: 'checking which keys exist', ref, migration: 'reads' },
        )),
      );
    }
    return present;
  }

  async readPendingDeletions(ref: TableRef, limit: number): Promise<PendingDeletion[]> {
    return deletions(
      await this.rpc<RawDeletion[]>(
        'sync_pending_deletions',
        { ...ref3(ref), p_limit: limit },
        { what: 'reading the deletion ledger', ref, migration: 'ledger' },
      ),
    );
  }

  async markDeletionsProcessed(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.rpc<number>(
      'sync_mark_deletions_processed',
      { p_ids: ids },
      { what: 'marking ledger entries processed', migration: 'ledger' },
    );
  }

  async trackChanges(ref: TableRef, on: boolean): Promise<string> {
    try {
      return await this.rpc<string>(
        'sync_track_changes',
        { ...ref3(ref), p_primary_keys: ref.primaryKeys, p_on: on },
        { what: 'turning the change log on or off', ref, migration: 'changeLog' },
      );
    } catch (error) {
      if (error instanceof SyncError && error.kind === 'migration') return 'unavailable';
      throw error;
    }
  }

  async readChanges(ref: TableRef, upto: number, limit: number): Promise<ChangeEntry[]> {
    const raw = await this.rpc<Array<[string, Record<string, unknown[]>]>>(
      'sync_read_changes',
      { ...ref3(ref), p_upto: upto, p_limit: limit },
      { what: 'reading the change log', ref, migration: 'changeLog' },
    );
    return raw.map(changeEntry);
  }

  async forgetChanges(ref: TableRef, ids: number[], upto: number | null): Promise<void> {
    await this.rpc<number>(
      'sync_forget_changes',
      { ...ref3(ref), p_ids: ids, p_upto: upto },
      { what: 'forgetting handled change-log entries', ref, migration: 'changeLog' },
    );
  }

  async enableTable(
    ref: TableRef,
    realtime: boolean,
  ): Promise<{ trigger: string; realtimePublication: string; grants: string[]; partitions: number }> {
    const result = await this.rpc<{
      trigger: string;
      realtime_publication: string;
      grants?: string[];
      partitions?: number;
    }>(
      'sync_enable_table',
      { ...ref3(ref), p_primary_keys: ref.primaryKeys, p_realtime: realtime },
      { what: 'enabling delete tracking', ref, migration: 'ledger' },
    );
    return {
      trigger: result.trigger,
      realtimePublication: result.realtime_publication,
      grants: result.grants ?? [],
      partitions: result.partitions ?? 0,
    };
  }

  subscribe(
    ref: TableRef,
    onChange: (event: ChangeEvent) => void,
    onStatus: (status: SubscriptionStatus) => void,
    entities?: string[],
  ): ChangeSubscription {
    return subscribeToChanges(this.project, ref, onChange, onStatus, entities);
  }
}

export function connectSource(connection: Omit<ProjectConnection, 'role'>): SourceProject {
  return new SupabaseSource({ ...connection, role: 'source' });
}
