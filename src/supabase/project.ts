/**
 * What the source and the target adapters share: a supabase-js client for the project, its calls
 * to the migrations' functions (`rpc`), API errors turned into SyncErrors, the catalog
 * (supabase/migrations/20261202120000_sync_catalog.sql) and the range checksums `verify` asks of
 * both projects (supabase/migrations/20251124120000_sync_verify.sql).
 */
import type { CatalogReader, SequencePosition, SequenceReader, TableRef } from '../contracts/ports.js';
import type { RangeChecksums } from '../contracts/range-checksums.js';
import type { TableListing, TableSchemaResult } from '../contracts/table-schema.js';
import type {
  AppCatalogReader,
  AppCatalogScope,
  AppFingerprint,
  AppFingerprintReader,
  AppObject,
} from '../contracts/app-catalog.js';
import { apiError, type FailedCall, type MigrationName } from './api-errors.js';
import { newClient, type ProjectConnection, type SupabaseClient } from './client.js';
import { tableName } from '../core/names.js';
import { rangeChecksums, type RangeCall } from './range-calls.js';

export abstract class SupabaseProject
  implements Required<RangeChecksums>, CatalogReader, AppCatalogReader, AppFingerprintReader, SequenceReader
{
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

  async readSchema(ref: Pick<TableRef, 'schema' | 'table'>): Promise<TableSchemaResult> {
    return this.rpc<TableSchemaResult>(
      'sync_table_schema',
      { p_schema: ref.schema, p_table: ref.table },
      { what: `reading the catalog of ${tableName(ref)}`, migration: 'catalog' },
    );
  }

  /** The app's policies, privileges, functions, … (what `schema diff` compares besides the tables). */
  async readAppCatalog(scope: AppCatalogScope): Promise<AppObject[]> {
    return this.rpc<AppObject[]>(
      'sync_app_catalog',
      { p_tables: scope.tables, p_buckets: scope.buckets, p_schemas: scope.schemas ?? [] },
      { what: 'reading the policies, privileges and functions', migration: 'appCatalog' },
    );
  }

  /** One md5 per schema of the same, to notice a change cheaply (src/engine/schema-watch.ts). */
  async readAppFingerprint(scope: AppCatalogScope): Promise<AppFingerprint> {
    return this.rpc<AppFingerprint>(
      'sync_app_fingerprint',
      { p_tables: scope.tables, p_buckets: scope.buckets },
      {
        what: 'reading the fingerprint of the policies, privileges and functions',
        migration: 'appFingerprint',
      },
    );
  }

  async listTables(): Promise<TableListing[]> {
    return this.rpc<TableListing[]>('sync_list_tables', {}, { what: 'listing tables', migration: 'catalog' });
  }

  async functionsVersion(): Promise<number | null> {
    const response = await this.client.rpc('sync_functions_version');
    if (!response.error) return Number(response.data);
    if (response.error.code === 'PGRST202' || response.error.code === '42883') return null;
    return this.fail({
      what: 'reading the version of the supabase-sync functions',
      error: response.error,
      status: response.status,
    });
  }

  async readSequences(ref: Pick<TableRef, 'schema' | 'table'>, named: string[]): Promise<SequencePosition[]> {
    return this.rpc<SequencePosition[]>(
      'sync_read_sequences',
      { p_schema: ref.schema, p_table: ref.table, p_sequences: named.map(sequenceName) },
      { what: `reading ${sequencesOf(ref, named)}`, migration: 'sequences' },
    );
  }

  async sequencePositions(sequences: SequencePosition[]): Promise<SequencePosition[]> {
    if (sequences.length === 0) return [];
    return this.rpc<SequencePosition[]>(
      'sync_sequence_positions',
      { p_sequences: sequences },
      { what: 'reading the positions of sequences', migration: 'sequences' },
    );
  }

  private table(ref: TableRef) {
    return { p_schema: ref.schema, p_table: ref.table, p_primary_keys: ref.primaryKeys };
  }

  // verify's range checksums (range-calls.ts).
  private readonly ranges = rangeChecksums((ref, c) => this.rangeRpc(ref, c));
  readonly summarizeRange = this.ranges.summarizeRange;
  readonly hashRanges = this.ranges.hashRanges;
  readonly listRange = this.ranges.listRange;

  private rangeRpc<T>(ref: TableRef, call: RangeCall): Promise<T> {
    return this.rpc<T>(call.fn, call.args, { what: call.what, ref, migration: 'verify' });
  }
}

/** What is read: a table's sequences, named ones, or both — never an empty table name. */
function sequencesOf(ref: Pick<TableRef, 'schema' | 'table'>, named: string[]): string {
  const names = named.length > 0 ? `the sequences ${named.join(', ')}` : '';
  if (!ref.table) return names || 'no sequences';
  return `the sequences of ${tableName(ref)}${names ? ` and ${names}` : ''}`;
}

/** `schema.name` (or `name`, in public) as the functions take it. */
function sequenceName(qualified: string): { schema: string; name: string } {
  const dot = qualified.indexOf('.');
  return dot < 0
    ? { schema: 'public', name: qualified }
    : { schema: qualified.slice(0, dot), name: qualified.slice(dot + 1) };
}
