/**
 * `postgres_changes` bindings: parsing a join's params (as `subscriptions.ex` does), the integer ids
 * the join reply carries, resolving them to published tables, and the registry the poller matches
 * changes against.
 */
import { createHash } from 'node:crypto';
import { parseFilter, type ColumnFilter } from './filters.js';

export type ChangeEvent = 'INSERT' | 'UPDATE' | 'DELETE';

/** One binding of one joined channel, live once its tables are resolved. */
export interface Binding {
  id: number;
  event: '*' | ChangeEvent;
  schema: string;
  table: string;
  filters: ColumnFilter[];
  select: string[] | undefined;
  /** The filter text as the client sent it, for error messages. */
  rawParams: Record<string, unknown>;
}

export type BindingParse = { ok: true; binding: Binding } | { ok: false; message: string };

/**
 * A deterministic id for a binding's params, like the server's `:erlang.phash2(params)`: a positive
 * integer below 2^27 (never 0: realtime-js ignores a falsy binding id).
 */
export function bindingId(params: Record<string, unknown>): number {
  const canonical = JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
  const hash = createHash('sha1').update(canonical).digest().readUInt32BE(0);
  return (hash % (2 ** 27 - 1)) + 1;
}

export function parseBinding(params: unknown): BindingParse {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return {
      ok: false,
      message: 'No subscription params provided. Please provide at least a `schema` or `table`',
    };
  }
  const p = params as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  let schema = str(p.schema);
  let table = str(p.table);
  if (schema === undefined && table === undefined) {
    return {
      ok: false,
      message: 'No subscription params provided. Please provide at least a `schema` or `table`',
    };
  }
  if (schema === undefined) schema = 'public';
  if (table === undefined) table = '*';
  const rawEvent = str(p.event)?.toUpperCase();
  const event = rawEvent === 'INSERT' || rawEvent === 'UPDATE' || rawEvent === 'DELETE' ? rawEvent : '*';
  const parsed = parseFilter(str(p.filter));
  if (!parsed.ok) return { ok: false, message: parsed.message };
  let select: string[] | undefined;
  if (p.select !== undefined && p.select !== null) {
    if (!Array.isArray(p.select) || !p.select.every((c) => typeof c === 'string')) {
      return { ok: false, message: 'Error parsing `select` params: must be a list of column names' };
    }
    if (schema === '*' || table === '*') {
      return {
        ok: false,
        message: 'Error parsing `select` params: not allowed with a wildcard schema or table',
      };
    }
    select = p.select;
  }
  return {
    ok: true,
    binding: { id: bindingId(p), event, schema, table, filters: parsed.filters, select, rawParams: p },
  };
}

/** The server's wording for a binding that matched no published table (`subscriptions.ex` `create/5`). */
export function notPublishedMessage(binding: Binding): string {
  const filters = binding.filters.map(
    (f) => `{${JSON.stringify(f.column)}, ${JSON.stringify(f.op)}, ${JSON.stringify(f.value)}}`,
  );
  const select = binding.select ? `[${binding.select.map((c) => JSON.stringify(c)).join(', ')}]` : 'nil';
  return (
    'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given ' +
    `connect parameters: [event: ${binding.event}, schema: ${binding.schema}, table: ${binding.table}, ` +
    `filters: [${filters.join(', ')}], select: ${select}]`
  );
}

export interface PublishedTable {
  schema: string;
  table: string;
  columns: string[];
}

/**
 * The published tables a binding covers (wildcards `*` expanded), or an error message. Filter and
 * select columns must exist, as the server's `realtime.subscription` check trigger demands.
 */
export function resolveBinding(
  binding: Binding,
  published: readonly PublishedTable[],
): { ok: true; entities: string[] } | { ok: false; message: string } {
  const tables = published.filter(
    (t) =>
      (binding.schema === '*' || t.schema === binding.schema) &&
      (binding.table === '*' || t.table === binding.table),
  );
  if (tables.length === 0) return { ok: false, message: notPublishedMessage(binding) };
  for (const t of tables) {
    for (const column of [...binding.filters.map((f) => f.column), ...(binding.select ?? [])]) {
      if (!t.columns.includes(column)) {
        return {
          ok: false,
          message:
            'Unable to subscribe to changes with given parameters. An exception happened so please check your ' +
            `connect parameters: [event: ${binding.event}, schema: ${binding.schema}, table: ${binding.table}]. ` +
            `Exception: ERROR P0001 (raise_exception) invalid column for filter ${column}`,
        };
      }
    }
  }
  return { ok: true, entities: tables.map((t) => entityKey(t.schema, t.table)) };
}

export function entityKey(schema: string, table: string): string {
  return `${schema}.${table}`;
}

/** Where matching changes go: one joined channel. */
export interface ChangeTarget {
  readonly key: string;
}

export interface LiveBinding<T extends ChangeTarget> {
  target: T;
  binding: Binding;
}

/** Live subscriptions by table, consulted at poll time. */
export class SubscriptionRegistry<T extends ChangeTarget> {
  private readonly byTarget = new Map<
    string,
    { target: T; entries: { binding: Binding; entities: string[] }[] }
  >();
  private byEntity = new Map<string, LiveBinding<T>[]>();

  /** Replaces whatever the target had. */
  set(target: T, entries: { binding: Binding; entities: string[] }[]): void {
    this.byTarget.set(target.key, { target, entries });
    this.reindex();
  }

  remove(target: T): void {
    if (this.byTarget.delete(target.key)) this.reindex();
  }

  has(target: T): boolean {
    return this.byTarget.get(target.key)?.target === target;
  }

  forTable(schema: string, table: string): readonly LiveBinding<T>[] {
    return this.byEntity.get(entityKey(schema, table)) ?? [];
  }

  get size(): number {
    return this.byTarget.size;
  }

  private reindex(): void {
    const index = new Map<string, LiveBinding<T>[]>();
    for (const { target, entries } of this.byTarget.values()) {
      for (const { binding, entities } of entries) {
        for (const entity of entities) {
          let list = index.get(entity);
          if (!list) index.set(entity, (list = []));
          list.push({ target, binding });
        }
      }
    }
    this.byEntity = index;
  }
}
