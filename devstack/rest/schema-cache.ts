/**
 * PostgREST's schema cache: relations (columns, types, defaults, primary keys), functions (argument names
 * and types, return shape) and schemas, read from pg_catalog. Reloaded on `NOTIFY pgrst` (bootstrap.sql's
 * event trigger sends one after every DDL) and, once, when a request names something the cache lacks.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';

export interface Column {
  name: string;
  /** format_type() text, e.g. `timestamp with time zone`, `integer[]`. */
  type: string;
  /** SQL default expression (identity columns get their nextval), or null. */
  default: string | null;
}

export interface Table {
  schema: string;
  name: string;
  /** pg_class.relkind: r, p, v, m, f */
  kind: string;
  columns: Map<string, Column>;
  columnList: Column[];
  primaryKey: string[];
}

export interface RoutineArg {
  name: string;
  type: string;
  hasDefault: boolean;
}

export interface Routine {
  schema: string;
  name: string;
  /** Input arguments, in declaration order. */
  args: RoutineArg[];
  returnsSet: boolean;
  returnShape: 'void' | 'scalar' | 'composite';
  /** Column names of a composite result, when known. */
  returnColumns: string[] | null;
}

const SCHEMA_FILTER = `n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`;

const SCHEMAS_SQL = `SELECT n.nspname AS name FROM pg_namespace n WHERE ${SCHEMA_FILTER}`;

// The sequence behind an identity column is found in pg_depend, not by pg_get_serial_sequence(), which
// resolves the table's name and so needs USAGE on its schema, which the login role (authenticator) lacks.
const TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
  coalesce((
    SELECT json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'default', CASE
        WHEN a.attidentity <> '' THEN
          'nextval(' || quote_literal((
            SELECT format('%I.%I', sn.nspname, sq.relname)
            FROM pg_depend dep JOIN pg_class sq ON sq.oid = dep.objid JOIN pg_namespace sn ON sn.oid = sq.relnamespace
            WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
              AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i' AND sq.relkind = 'S'
          )) || '::regclass)'
        WHEN a.attgenerated <> '' THEN NULL
        ELSE pg_get_expr(d.adbin, d.adrelid) END
    ) ORDER BY a.attnum)
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
  coalesce((
    SELECT json_agg(a.attname ORDER BY k.ord)
    FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = c.oid AND i.indisprimary), '[]') AS pk
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${SCHEMA_FILTER}`;

const FUNCTIONS_SQL = `
SELECT n.nspname AS schema, p.proname AS name, p.proretset AS returns_set, p.pronargdefaults AS n_defaults,
  p.prorettype = 'void'::regtype AS returns_void, t.typtype::text AS ret_typtype, t.typrelid AS ret_relid,
  coalesce((
    SELECT json_agg(json_build_object('name', coalesce(p.proargnames[u.i], ''), 'mode', coalesce(p.proargmodes[u.i]::text, 'i'),
      'type', format_type(u.typ, NULL)) ORDER BY u.i)
    FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS u(typ, i)), '[]') AS args,
  (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
    WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS ret_columns
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_type t ON t.oid = p.prorettype
WHERE p.prokind = 'f' AND ${SCHEMA_FILTER}`;

interface TableRow {
  schema: string;
  name: string;
  kind: string;
  columns: Column[];
  pk: string[];
}

interface FunctionRow {
  schema: string;
  name: string;
  returns_set: boolean;
  n_defaults: number;
  returns_void: boolean;
  ret_typtype: string;
  args: Array<{ name: string; mode: string; type: string }>;
  ret_columns: string[] | null;
}

const key = (schema: string, name: string) => `${schema}\u0000${name}`;

function toRoutine(row: FunctionRow): Routine {
  const inputs = row.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
  const outputs = row.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't');
  const firstDefault = inputs.length - row.n_defaults;
  const composite = row.ret_typtype === 'c' || (row.ret_typtype === 'p' && outputs.length > 0);
  return {
    schema: row.schema,
    name: row.name,
    args: inputs.map((a, i) => ({ name: a.name, type: a.type, hasDefault: i >= firstDefault })),
    returnsSet: row.returns_set,
    returnShape: row.returns_void ? 'void' : composite ? 'composite' : 'scalar',
    returnColumns: row.ret_columns ?? (outputs.length > 0 ? outputs.map((a) => a.name) : null),
  };
}

export class SchemaCache {
  private tables = new Map<string, Table>();
  private routines = new Map<string, Routine[]>();
  private schemaNames = new Set<string>();
  /** performance.now() at which the newest completed load started. */
  private loadedSince = -Infinity;
  private inFlight: { started: number; promise: Promise<void> } | null = null;
  private queued: Promise<void> | null = null;
  private listener: pg.Client | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly databaseUrl: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  async start(): Promise<void> {
    await this.listen();
    await this.refresh(performance.now());
  }

  hasSchema(schema: string): boolean {
    return this.schemaNames.has(schema);
  }

  exposedSchemas(): string[] {
    return [...this.schemaNames].sort();
  }

  table(schema: string, name: string): Table | undefined {
    return this.tables.get(key(schema, name));
  }

  functions(schema: string, name: string): Routine[] {
    return this.routines.get(key(schema, name)) ?? [];
  }

  /** Make sure a load that started at or after `since` has completed (coalesces concurrent callers). */
  refresh(since: number): Promise<void> {
    if (this.loadedSince >= since) return Promise.resolve();
    if (this.inFlight && this.inFlight.started >= since) return this.inFlight.promise;
    if (!this.queued) {
      const previous = this.inFlight?.promise.catch(() => {}) ?? Promise.resolve();
      this.queued = previous.then(() => {
        this.queued = null;
        return this.load();
      });
    }
    return this.queued;
  }

  private load(): Promise<void> {
    const started = performance.now();
    const promise = (async () => {
      const [schemas, tables, functions] = await Promise.all([
        this.pool.query<{ name: string }>(SCHEMAS_SQL),
        this.pool.query<TableRow>(TABLES_SQL),
        this.pool.query<FunctionRow>(FUNCTIONS_SQL),
      ]);
      this.schemaNames = new Set(schemas.rows.map((r) => r.name));
      this.tables = new Map(
        tables.rows.map((r) => [
          key(r.schema, r.name),
          {
            schema: r.schema,
            name: r.name,
            kind: r.kind,
            columns: new Map(r.columns.map((c) => [c.name, c])),
            columnList: r.columns,
            primaryKey: r.pk,
          },
        ]),
      );
      const routines = new Map<string, Routine[]>();
      for (const row of functions.rows) {
        const k = key(row.schema, row.name);
        const list = routines.get(k) ?? [];
        list.push(toRoutine(row));
        routines.set(k, list);
      }
      this.routines = routines;
      this.loadedSince = Math.max(this.loadedSince, started);
    })();
    this.inFlight = { started, promise };
    void promise
      .finally(() => {
        if (this.inFlight?.promise === promise) this.inFlight = null;
      })
      .catch(() => {});
    return promise;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    const retry = (error?: unknown) => {
      if (this.closed || this.listener !== client) return;
      if (error) this.onError(error);
      this.listener = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', retry);
    client.on('end', () => retry());
    client.on('notification', (msg) => {
      if (msg.payload === undefined || msg.payload === '' || msg.payload === 'reload schema') {
        this.refresh(performance.now()).catch((e: unknown) => this.onError(e));
      }
    });
    this.listener = client;
    await client.connect();
    await client.query('LISTEN pgrst');
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closed) return;
      this.listen()
        .then(() => this.refresh(performance.now()))
        .catch((e: unknown) => {
          this.onError(e);
          this.scheduleReconnect();
        });
    }, 1000);
    this.reconnectTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.listener;
    this.listener = null;
    if (client) await client.end().catch(() => {});
    await this.inFlight?.promise.catch(() => {});
  }
}
