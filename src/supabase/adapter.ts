/**
 * The one module that owns supabase-js: implements the SourceProject and TargetProject ports over
 * a project's REST (PostgREST) and Realtime APIs with its service role key.
 */
import { REALTIME_SUBSCRIBE_STATES, createClient, type RealtimeClientOptions } from '@supabase/supabase-js';
import WebSocket from 'ws';
import {
  SyncError,
  type ChangeEvent,
  type KeyHash,
  type KeyText,
  type RangeBucket,
  type RangeHash,
  type ChangeSubscription,
  type KeysetCursor,
  type PendingDeletion,
  type Row,
  type SourceProject,
  type SubscriptionStatus,
  type TableRef,
  type TargetProject,
} from './ports.js';

export interface ProjectConnection {
  url: string;
  serviceRoleKey: string;
  /** "source" or "target": used in error messages and to name the variables to fix. */
  role: 'source' | 'target';
}

interface ApiError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

const MIGRATION = 'supabase/migrations/20251120120000_create_sync_deletions_table.sql';
const VERIFY_MIGRATION = 'supabase/migrations/20251124120000_sync_verify.sql';
const KEYS_PER_REQUEST = 100;
const REQUEST_TIMEOUT_MS = 60_000;
/** Upsert requests are split so none carries more than this much JSON (gateways cap request bodies). */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** An API error's text in a message is cut at this length (and kept on one line). */
const MAX_DETAIL_CHARS = 500;

function oneLine(text: string): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return line.length > MAX_DETAIL_CHARS ? `${line.slice(0, MAX_DETAIL_CHARS)}…` : line;
}

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

/** A JSON number as (sign, significant digits, exponent of the last digit), to compare values exactly. */
function canonicalNumber(token: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!match) return token;
  const [, sign = '', int = '', frac = '', exp = '0'] = match;
  const all = (int + frac).replace(/^0+/, '');
  if (all === '') return '0';
  const digits = all.replace(/0+$/, '');
  const exponent = Number(exp) - frac.length + (all.length - digits.length);
  return `${sign}${digits}e${exponent}`;
}

/**
 * Rewrites a REST response so that no column value loses precision in JSON.parse: a number a
 * JavaScript double cannot hold exactly (numeric(30,10), int8 beyond 2^53) becomes a JSON string
 * of the same digits, which the target's jsonb_populate_recordset reads back into the column type
 * exactly. Only the values of the row objects of a top-level array are touched (depth 2): numbers
 * inside json/jsonb values are left as they are.
 */
export function protectImpreciseNumbers(json: string): string {
  if (!json.startsWith('[')) return json;
  let out = '';
  let copied = 0;
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
    } else if (c === '[' || c === '{') {
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let end = i + 1;
      while (end < json.length && /[0-9.eE+-]/.test(json[end]!)) end++;
      const token = json.slice(i, end);
      // Quoted unless a double prints back exactly the same text: digits beyond a double's, and a
      // scale (1.50, 2.0) that an unconstrained numeric column keeps, survive as text.
      if (depth === 2 && String(Number(token)) !== token) {
        out += `${json.slice(copied, i)}"${token}"`;
        copied = end;
      }
      i = end - 1;
    }
  }
  return copied === 0 ? json : out + json.slice(copied);
}

/** supabase-js's fetch: REST table reads come back with imprecise numbers protected (see above). */
const losslessFetch: typeof fetch = async (input, init) => {
  // A request that gets no answer fails after REQUEST_TIMEOUT_MS instead of Node's 300 s: the
  // activity is retried, and a page read is always written within that bound (see the tombstones).
  const response = await fetch(input, {
    ...init,
    signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const json = (response.headers.get('content-type') ?? '').includes('json');
  if (!json || !url.includes('/rest/v1/') || url.includes('/rest/v1/rpc/')) return response;
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(protectImpreciseNumbers(text), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
};

/**
 * Whether a number in a Realtime payload may have lost precision in JSON.parse (Realtime sends
 * numeric and int8 as JSON numbers): such a row is re-read from the source by key, exactly.
 */
export function mayBeImprecise(value: unknown): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (Number.isInteger(value)) return !Number.isSafeInteger(value);
  return canonicalNumber(String(value)).replace(/^-?(\d*)e.*$/, '$1').length >= 16;
}

function newClient(project: ProjectConnection) {
  return createClient(project.url, project.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: losslessFetch },
    // Node 20 has no global WebSocket; realtime-js takes the transport from here.
    realtime: {
      transport: WebSocket as unknown as NonNullable<RealtimeClientOptions['transport']>,
      heartbeatIntervalMs: 15_000,
    },
    db: { schema: 'public' },
  });
}

/** A value inside a PostgREST logic tree (`or=(…)`): double-quoted, with \ and " escaped. */
export function quoteLogicValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Keyset condition "(c1, c2, …) > (v1, v2, …)" in PostgREST's `or` grammar:
 * c1.gt.v1, and(c1.eq.v1, c2.gt.v2), …
 */
export function keysetAfter(columns: string[], values: unknown[]): string {
  const terms: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const equal = columns.slice(0, i).map((c, j) => `${c}.eq.${quoteLogicValue(values[j])}`);
    const greater = `${columns[i]}.gt.${quoteLogicValue(values[i])}`;
    terms.push(equal.length === 0 ? greater : `and(${[...equal, greater].join(',')})`);
  }
  return terms.join(',');
}

/**
 * Narrows a read to the rows after `values` in `columns` order: the keyset `or`, plus a `gte` that
 * repeats its leading bound so Postgres can start the index scan there (it derives no index bound
 * from an OR; without it every page of a pass scans from the start).
 */
function rowsAfter<Q extends { gte(column: string, value: unknown): Q; or(filters: string): Q }>(
  query: Q,
  columns: string[],
  values: unknown[],
): Q {
  return query.gte(columns[0]!, values[0]).or(keysetAfter(columns, values));
}

function keyMatch(columns: string[], key: Row): string {
  const terms = columns.map((c) => `${c}.eq.${quoteLogicValue(key[c])}`);
  return terms.length === 1 ? terms[0]! : `and(${terms.join(',')})`;
}

class SupabaseProject implements SourceProject, TargetProject {
  private readonly client: ReturnType<typeof newClient>;

  constructor(private readonly project: ProjectConnection) {
    this.client = newClient(project);
  }

  private get keyVariable(): string {
    return `SYNC_${this.project.role.toUpperCase()}_SUPABASE_SERVICE_ROLE_KEY`;
  }

  private get urlVariable(): string {
    return `SYNC_${this.project.role.toUpperCase()}_SUPABASE_URL`;
  }

  /**
   * Turns an API error into one clear line (never containing the key, and no row data: Postgres
   * puts row values in the details of integrity errors and in the message of data errors, and
   * this line is stored in the table's status, in workflow history).
   */
  private fail(what: string, ref: TableRef | undefined, error: ApiError, status: number): never {
    const table = ref ? `${ref.schema}.${ref.table}` : '';
    const on = `${this.project.role} project (${this.project.url})`;
    const code = error.code ?? '';
    const rowData = code.startsWith('22') || code.startsWith('23');
    const message = code.startsWith('22')
      ? (error.message ?? '').replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
      : error.message;
    // A network error's details are "TypeError: fetch failed\n\nCaused by: …" plus a stack: keep the cause.
    const details = rowData ? null : (error.details ?? null)?.replace(/\n\s*at .*/g, '');
    const detail = oneLine(
      [details && message && details.startsWith(message) ? null : message, details, error.hint]
        .filter((s) => s)
        .join(' — '),
    );
    if (status === 401 || status === 403 || code === '42501' || /^PGRST30/.test(code)) {
      throw new SyncError(
        `${on}: ${what} was refused (HTTP ${status}${code ? ` ${code}` : ''}): check ${this.keyVariable} is that project's service role key`,
        'auth',
      );
    }
    if (
      status === 0 ||
      status >= 500 ||
      code.startsWith('08') ||
      code === 'PGRST000' ||
      code === 'PGRST001' ||
      code === 'PGRST002'
    ) {
      throw new SyncError(
        `${on}: ${what} failed, the API is unreachable or failing (HTTP ${status}): ${detail}: check ${this.urlVariable} and that the project is up`,
        'unavailable',
      );
    }
    if (code === 'PGRST202' || (code === '42883' && /sync_/.test(error.message ?? ''))) {
      throw new SyncError(
        `${on}: the supabase-sync functions are missing: apply ${MIGRATION} to it (npm run sync applies nothing itself)`,
        'migration',
      );
    }
    if (status === 404 || code === '42P01' || code === 'PGRST205') {
      throw new SyncError(
        `${on}: table ${table} does not exist (${detail}): create it, or fix the tables config`,
        'schema',
      );
    }
    if (code === '42703' || code === 'PGRST204') {
      throw new SyncError(
        `${on}: ${what} on ${table}: ${detail}: make the table's columns match the tables config and the other project`,
        'schema',
      );
    }
    if (code === '42P10') {
      throw new SyncError(
        `${on}: ${what} on ${table}: primaryKeys (${ref?.primaryKeys.join(', ') ?? '?'}) is not the table's primary key or a unique constraint there: fix primaryKeys in the tables config (or add that primary key to the table)`,
        'schema',
      );
    }
    if (code.startsWith('22')) {
      throw new SyncError(
        `${on}: ${what} on ${table}: a value does not fit its column (${code}: ${detail}): make the column types of ${table} on the target match the source`,
        'schema',
      );
    }
    if (status === 413) {
      throw new SyncError(
        `${on}: ${what} on ${table}: the API refused a request this large (HTTP 413; rows are sent in requests of at most ${MAX_REQUEST_BYTES / 1024 / 1024} MB, a larger row alone): raise the API's request body limit, or keep such large values out of the table (e.g. in Storage)`,
        'request',
      );
    }
    throw new SyncError(
      `${on}: ${what}${table ? ` on ${table}` : ''} failed (HTTP ${status}${code ? ` ${code}` : ''}): ${detail}`,
      'request',
    );
  }

  /** Calls one of the migration's functions; its JSON result is returned as T. */
  private async rpc<T>(fn: string, args: Record<string, unknown>, what: string, ref?: TableRef): Promise<T> {
    const response = await this.client.rpc(fn, args);
    if (response.error) this.fail(what, ref, response.error, response.status);
    const data: unknown = response.data;
    return data as T;
  }

  private from(ref: TableRef) {
    return this.client.schema(ref.schema).from(ref.table);
  }

  async findVersionColumn(ref: TableRef, candidates: string[]): Promise<string | undefined> {
    const probe = await this.from(ref).select(ref.primaryKeys.join(',')).limit(1);
    if (probe.error) this.fail('reading the primary key columns', ref, probe.error, probe.status);
    for (const column of candidates) {
      const { error, status } = await this.from(ref).select(column).limit(1);
      if (!error) return column;
      if (error.code !== '42703') this.fail(`reading column ${column}`, ref, error, status);
    }
    return undefined;
  }

  async countRows(ref: TableRef): Promise<number | undefined> {
    const { count, error, status } = await this.from(ref).select('*', { count: 'exact', head: true });
    if (error) this.fail('counting rows', ref, error, status);
    return count ?? undefined;
  }

  async readColumns(ref: TableRef): Promise<string[]> {
    const { data, error, status } = await this.from(ref).select('*').limit(1);
    if (error) this.fail('reading a row', ref, error, status);
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
    if (error) this.fail('reading the newest version', ref, error, status);
    const value = (data as unknown as Row[] | null)?.[0]?.[versionColumn];
    return value === undefined || value === null
      ? null
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
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
    if (error) this.fail('reading changed rows', ref, error, status);
    return (data ?? []) as Row[];
  }

  async readByKey(ref: TableRef, after: KeysetCursor['key'] | null, limit: number): Promise<Row[]> {
    let query = this.from(ref).select('*');
    if (after) query = rowsAfter(query, ref.primaryKeys, after);
    for (const key of ref.primaryKeys) query = query.order(key, { ascending: true });
    const { data, error, status } = await query.limit(limit);
    if (error) this.fail('copying rows', ref, error, status);
    return (data ?? []) as Row[];
  }

  async readRowsByKeys(ref: TableRef, keys: Row[]): Promise<Row[]> {
    const rows: Row[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_REQUEST) {
      const chunk = keys.slice(i, i + KEYS_PER_REQUEST);
      let query = this.from(ref).select('*');
      if (ref.primaryKeys.length === 1) {
        const key = ref.primaryKeys[0]!;
        // Not `.in()`: it leaves quotes and backslashes inside a value unescaped.
        query = query.filter(key, 'in', `(${chunk.map((k) => quoteLogicValue(k[key])).join(',')})`);
      } else {
        query = query.or(chunk.map((k) => keyMatch(ref.primaryKeys, k)).join(','));
      }
      const { data, error, status } = await query;
      if (error) this.fail('re-reading rows by key', ref, error, status);
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
          `${this.project.role} project (${this.project.url}): public.sync_deletions is missing: apply ${MIGRATION} to it`,
          'migration',
        );
      }
      this.fail('reading the deletion ledger', ref, error, status);
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
      'marking ledger entries processed',
    );
  }

  async enableTable(
    ref: TableRef,
    realtime: boolean,
  ): Promise<{ trigger: string; realtimePublication: string }> {
    const result = await this.rpc<{ trigger: string; realtime_publication: string }>(
      'sync_enable_table',
      { p_schema: ref.schema, p_table: ref.table, p_primary_keys: ref.primaryKeys, p_realtime: realtime },
      'enabling delete tracking',
      ref,
    );
    return { trigger: result.trigger, realtimePublication: result.realtime_publication };
  }

  async checkTable(ref: TableRef): Promise<void> {
    const { error, status } = await this.from(ref).select(ref.primaryKeys.join(',')).limit(1);
    if (error) this.fail('reading the primary key columns', ref, error, status);
  }

  async applyUpserts(
    ref: TableRef,
    versionColumn: string | null,
    rows: Row[],
  ): Promise<{ written: number; skipped: number }> {
    const total = { written: 0, skipped: 0 };
    for (const group of groupByColumns(rows).flatMap((g) => splitBySize(g, MAX_REQUEST_BYTES))) {
      const result = await this.rpc<{ written: number; skipped: number }>(
        'sync_apply_upserts',
        {
          p_schema: ref.schema,
          p_table: ref.table,
          p_primary_keys: ref.primaryKeys,
          p_version_column: versionColumn,
          p_rows: group,
        },
        'writing rows',
        ref,
      );
      total.written += result.written;
      total.skipped += result.skipped;
    }
    return total;
  }

  async applyDeletes(ref: TableRef, versionColumn: string | null, keys: Row[]): Promise<{ deleted: number }> {
    if (keys.length === 0) return { deleted: 0 };
    return this.rpc<{ deleted: number }>(
      'sync_apply_deletes',
      {
        p_schema: ref.schema,
        p_table: ref.table,
        p_primary_keys: ref.primaryKeys,
        p_version_column: versionColumn,
        p_keys: keys,
      },
      'deleting rows',
      ref,
    );
  }

  /** The verify functions' calls: a missing function names the verify migration. */
  private async verifyRpc<T>(
    fn: string,
    args: Record<string, unknown>,
    what: string,
    ref: TableRef,
  ): Promise<T> {
    try {
      return await this.rpc<T>(fn, args, what, ref);
    } catch (error) {
      if (error instanceof SyncError && error.kind === 'migration') {
        throw new SyncError(
          `${this.project.role} project (${this.project.url}): the supabase-sync verify functions are missing: apply ${VERIFY_MIGRATION} to it (\`npx supabase-sync migrate\`)`,
          'migration',
        );
      }
      throw error;
    }
  }

  async summarizeRange(
    ref: TableRef,
    after: KeyText | null,
    until: KeyText | null,
    buckets: number,
    minBucketRows = 1,
  ): Promise<RangeBucket[]> {
    return this.verifyRpc<RangeBucket[]>(
      'sync_range_summary',
      {
        p_schema: ref.schema,
        p_table: ref.table,
        p_primary_keys: ref.primaryKeys,
        p_after: after,
        p_until: until,
        p_buckets: buckets,
        p_min_bucket_rows: minBucketRows,
      },
      'summarizing a key range',
      ref,
    );
  }

  async hashRanges(
    ref: TableRef,
    after: KeyText | null,
    bounds: Array<KeyText | null>,
  ): Promise<RangeHash[]> {
    if (bounds.length === 0) return [];
    return this.verifyRpc<RangeHash[]>(
      'sync_range_hashes',
      {
        p_schema: ref.schema,
        p_table: ref.table,
        p_primary_keys: ref.primaryKeys,
        p_after: after,
        p_bounds: bounds,
      },
      'checksumming key ranges',
      ref,
    );
  }

  async listRange(
    ref: TableRef,
    after: KeyText | null,
    until: KeyText | null,
    limit: number,
  ): Promise<KeyHash[]> {
    const rows = await this.verifyRpc<Array<[KeyText, string]>>(
      'sync_range_rows',
      {
        p_schema: ref.schema,
        p_table: ref.table,
        p_primary_keys: ref.primaryKeys,
        p_after: after,
        p_until: until,
        p_limit: limit,
      },
      'listing the keys of a range',
      ref,
    );
    return rows.map(([key, hash]) => ({ key, hash }));
  }

  subscribe(
    ref: TableRef,
    onChange: (event: ChangeEvent) => void,
    onStatus: (status: SubscriptionStatus) => void,
  ): ChangeSubscription {
    // A client of its own per subscription: a dropped socket affects this table only.
    const client = newClient(this.project);
    let closed = false;
    const lost = (reason: string) => {
      if (!closed) onStatus({ kind: 'lost', reason });
    };
    const channel = client
      .channel(`supabase-sync:${ref.schema}.${ref.table}`)
      .on(
        'postgres_changes',
        { event: '*', schema: ref.schema, table: ref.table },
        (payload: {
          eventType: 'INSERT' | 'UPDATE' | 'DELETE';
          commit_timestamp?: string | null;
          new?: Row;
          old?: Row;
          errors?: string[] | null;
        }) => {
          const record = payload.new && Object.keys(payload.new).length > 0 ? payload.new : undefined;
          const errors = payload.errors && payload.errors.length > 0 ? [...payload.errors] : [];
          const imprecise = record ? Object.keys(record).filter((c) => mayBeImprecise(record[c])) : [];
          if (imprecise.length > 0)
            errors.push(`more digits than a double holds in ${imprecise.join(', ')}: re-read`);
          onChange({
            type: payload.eventType,
            commitTimestamp: payload.commit_timestamp ?? null,
            record,
            oldRecord: payload.old && Object.keys(payload.old).length > 0 ? payload.old : undefined,
            errors: errors.length > 0 ? errors : null,
          });
        },
      )
      .on('system', {}, (payload: { extension?: string; status?: string; message?: string }) => {
        if (payload.extension !== 'postgres_changes') return;
        if (payload.status === 'ok') onStatus({ kind: 'live' });
        else
          lost(
            `Realtime could not subscribe to ${ref.schema}.${ref.table}: ${payload.message ?? 'unknown error'}`,
          );
      })
      .subscribe((status, error) => {
        if (status === REALTIME_SUBSCRIBE_STATES.CHANNEL_ERROR)
          lost(`Realtime channel error: ${error?.message ?? 'unknown'}`);
        else if (status === REALTIME_SUBSCRIBE_STATES.TIMED_OUT) lost('Realtime subscription timed out');
        else if (status === REALTIME_SUBSCRIBE_STATES.CLOSED) lost('Realtime channel closed by the server');
      });
    return {
      close: async () => {
        closed = true;
        await client.removeChannel(channel).catch(() => undefined);
        await client.realtime.disconnect();
      },
    };
  }
}

export function connectSource(connection: Omit<ProjectConnection, 'role'>): SourceProject {
  return new SupabaseProject({ ...connection, role: 'source' });
}

export function connectTarget(connection: Omit<ProjectConnection, 'role'>): TargetProject {
  return new SupabaseProject({ ...connection, role: 'target' });
}
