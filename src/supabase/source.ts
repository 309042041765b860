/**
 * The source role: reading the primary project over its REST API (PostgREST) — pages in keyset
 * order, rows by key, the deletion ledger — and enabling delete tracking there. Its change feed
 * is realtime.ts.
 */
import { versionOf } from '../core/versions.js';
import { MIGRATIONS } from './api-errors.js';
import type { ProjectConnection } from './client.js';
import { rowsAfter, rowsWithKeys } from './filters.js';
import { SupabaseProject } from './project.js';
import {
  SyncError,
  type ChangeEvent,
  type ChangeSubscription,
  type KeysetCursor,
  type KeyValues,
  type PendingDeletion,
  type Row,
  type SourceProject,
  type SubscriptionStatus,
  type TableRef,
} from './ports.js';
import { subscribeToChanges } from './realtime.js';

/** Keys per request when rows are re-read by key (the URL carries them). */
const KEYS_PER_REQUEST = 100;

class SupabaseSource extends SupabaseProject implements SourceProject {
  async findVersionColumn(ref: TableRef, candidates: string[]): Promise<string | undefined> {
    await this.readKeyColumns(ref);
    for (const column of candidates) {
      const { error, status } = await this.from(ref).select(column).limit(1);
      if (!error) return column;
      if (error.code !== '42703') this.fail({ what: `reading column ${column}`, ref, error, status });
    }
    return undefined;
  }

  async countRows(ref: TableRef): Promise<number | undefined> {
    const { count, error, status } = await this.from(ref).select('*', { count: 'exact', head: true });
    if (error) this.fail({ what: 'counting rows', ref, error, status });
    return count ?? undefined;
  }

  async readColumns(ref: TableRef): Promise<string[]> {
    const { data, error, status } = await this.from(ref).select('*').limit(1);
    if (error) this.fail({ what: 'reading a row', ref, error, status });
    const row = (data as Row[] | null)?.[0];
    return row ? Object.keys(row) : [];
  }

  async readUnscaledNumericColumns(ref: TableRef): Promise<string[]> {
    const response = await this.client.rpc('sync_unscaled_numeric_columns', {
      p_schema: ref.schema,
      p_table: ref.table,
    });
    // An older migration without the function: no such columns are known (values may lose their scale).
    if (response.error) return [];
    return (response.data as string[] | null) ?? [];
  }

  async readMaxVersion(ref: TableRef, versionColumn: string): Promise<string | null> {
    const { data, error, status } = await this.from(ref)
      .select(versionColumn)
      .not(versionColumn, 'is', null)
      .order(versionColumn, { ascending: false })
      .limit(1);
    if (error) this.fail({ what: 'reading the newest version', ref, error, status });
    const row = (data as unknown as Row[] | null)?.[0];
    return row ? versionOf(row, versionColumn) : null;
  }

  async readByVersion(
    ref: TableRef,
    versionColumn: string,
    after: KeysetCursor | null,
    from: string | null,
    limit: number,
  ): Promise<Row[]> {
    let query = this.from(ref).select('*');
    if (after && after.version !== null) {
      query = rowsAfter(query, [versionColumn, ...ref.primaryKeys], [after.version, ...after.key]);
    } else if (from !== null) {
      query = query.gte(versionColumn, from);
    } else {
      query = query.not(versionColumn, 'is', null);
    }
    query = query.order(versionColumn, { ascending: true });
    for (const key of ref.primaryKeys) query = query.order(key, { ascending: true });
    const { data, error, status } = await query.limit(limit);
    if (error) this.fail({ what: 'reading changed rows', ref, error, status });
    return (data ?? []) as Row[];
  }

  async readByKey(ref: TableRef, after: KeyValues | null, limit: number): Promise<Row[]> {
    let query = this.from(ref).select('*');
    if (after) query = rowsAfter(query, ref.primaryKeys, after);
    for (const key of ref.primaryKeys) query = query.order(key, { ascending: true });
    const { data, error, status } = await query.limit(limit);
    if (error) this.fail({ what: 'copying rows', ref, error, status });
    return (data ?? []) as Row[];
  }

  async readRowsByKeys(ref: TableRef, keys: Row[]): Promise<Row[]> {
    const rows: Row[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_REQUEST) {
      const query = rowsWithKeys(
        this.from(ref).select('*'),
        ref.primaryKeys,
        keys.slice(i, i + KEYS_PER_REQUEST),
      );
      const { data, error, status } = await query;
      if (error) this.fail({ what: 're-reading rows by key', ref, error, status });
      rows.push(...((data ?? []) as Row[]));
    }
    return rows;
  }

  async readPendingDeletions(ref: TableRef, limit: number): Promise<PendingDeletion[]> {
    const { data, error, status } = await this.client
      .from('sync_deletions')
      .select('id,primary_key,deleted_at')
      .eq('schema_name', ref.schema)
      .eq('table_name', ref.table)
      .is('processed_at', null)
      .order('id', { ascending: true })
      .limit(limit);
    if (error) {
      if (status === 404) {
        throw new SyncError(
          `${this.project.role} project (${this.project.url}): public.sync_deletions is missing: apply ${MIGRATIONS.ledger} to it`,
          'migration',
        );
      }
      this.fail({ what: 'reading the deletion ledger', ref, error, status });
    }
    return ((data ?? []) as Array<{ id: number | string; primary_key: Row; deleted_at: string }>).map(
      (r) => ({
        id: Number(r.id),
        primaryKey: r.primary_key,
        deletedAt: r.deleted_at,
      }),
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

  async enableTable(
    ref: TableRef,
    realtime: boolean,
  ): Promise<{ trigger: string; realtimePublication: string }> {
    const result = await this.rpc<{ trigger: string; realtime_publication: string }>(
      'sync_enable_table',
      { p_schema: ref.schema, p_table: ref.table, p_primary_keys: ref.primaryKeys, p_realtime: realtime },
      { what: 'enabling delete tracking', ref, migration: 'ledger' },
    );
    return { trigger: result.trigger, realtimePublication: result.realtime_publication };
  }

  subscribe(
    ref: TableRef,
    onChange: (event: ChangeEvent) => void,
    onStatus: (status: SubscriptionStatus) => void,
  ): ChangeSubscription {
    return subscribeToChanges(this.project, ref, onChange, onStatus);
  }
}

export function connectSource(connection: Omit<ProjectConnection, 'role'>): SourceProject {
  return new SupabaseSource({ ...connection, role: 'source' });
}
