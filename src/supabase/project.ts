/**
 * What the source and the target adapters share: a supabase-js client for the project, its calls
 * to the migrations' functions (`rpc`), reads of a table (`from`), API errors turned into
 * SyncErrors, and the range checksums `verify` asks of both projects (the functions of
 * supabase/migrations/20251124120000_sync_verify.sql).
 */
import { apiError, type FailedCall, type MigrationName } from './api-errors.js';
import { newClient, type ProjectConnection, type SupabaseClient } from './client.js';
import type { KeyHash, KeyText, RangeBucket, RangeChecksums, RangeHash, TableRef } from './ports.js';

export abstract class SupabaseProject implements Required<RangeChecksums> {
  protected readonly client: SupabaseClient;

  constructor(protected readonly project: ProjectConnection) {
    this.client = newClient(project);
  }

  protected fail(call: FailedCall): never {
    throw apiError(this.project, call);
  }

  /** Calls one of the migrations' functions; its JSON result is returned as T. */
  protected async rpc<T>(
    fn: string,
    args: Record<string, unknown>,
    call: { what: string; ref?: TableRef; migration: MigrationName },
  ): Promise<T> {
    const response = await this.client.rpc(fn, args);
    if (response.error) this.fail({ ...call, error: response.error, status: response.status });
    return response.data as T;
  }

  protected from(ref: TableRef) {
    return this.client.schema(ref.schema).from(ref.table);
  }

  /** Fails when the table or its key columns cannot be read. */
  protected async readKeyColumns(ref: TableRef): Promise<void> {
    const { error, status } = await this.from(ref).select(ref.primaryKeys.join(',')).limit(1);
    if (error) this.fail({ what: 'reading the primary key columns', ref, error, status });
  }

  private table(ref: TableRef) {
    return { p_schema: ref.schema, p_table: ref.table, p_primary_keys: ref.primaryKeys };
  }

  async summarizeRange(
    ref: TableRef,
    after: KeyText | null,
    until: KeyText | null,
    buckets: number,
    minBucketRows = 1,
  ): Promise<RangeBucket[]> {
    return this.rpc<RangeBucket[]>(
      'sync_range_summary',
      {
        ...this.table(ref),
        p_after: after,
        p_until: until,
        p_buckets: buckets,
        p_min_bucket_rows: minBucketRows,
      },
      { what: 'summarizing a key range', ref, migration: 'verify' },
    );
  }

  async hashRanges(
    ref: TableRef,
    after: KeyText | null,
    bounds: Array<KeyText | null>,
  ): Promise<RangeHash[]> {
    if (bounds.length === 0) return [];
    return this.rpc<RangeHash[]>(
      'sync_range_hashes',
      { ...this.table(ref), p_after: after, p_bounds: bounds },
      { what: 'checksumming key ranges', ref, migration: 'verify' },
    );
  }

  async listRange(
    ref: TableRef,
    after: KeyText | null,
    until: KeyText | null,
    limit: number,
  ): Promise<KeyHash[]> {
    const rows = await this.rpc<Array<[KeyText, string]>>(
      'sync_range_rows',
      { ...this.table(ref), p_after: after, p_until: until, p_limit: limit },
      { what: 'listing the keys of a range', ref, migration: 'verify' },
    );
    return rows.map(([key, hash]) => ({ key, hash }));
  }
}
