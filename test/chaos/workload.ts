/**
 * The randomized workload for chaos runs: three tables (a plain bigint key, a composite text+int key,
 * and a bulk-heavy one), seeded, then changed by a few concurrent clients with inserts, updates,
 * deletes, bulk statements (many rows sharing one `updated_at`), key changes, delete + re-insert of
 * one key in a transaction, and long transactions that commit inside the lookback window.
 *
 * Every choice comes from a seeded PRNG, so a seed replays the same sequence of operations per
 * client (interleavings still depend on timing). `updated_at` is stamped by a trigger, as a Supabase
 * project's `moddatetime` would, except that it never goes backwards for a row (see `stampSql`).
 */
import pg from 'pg';

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** A child generator with its own stream. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32));
  }
}

export interface ChaosTable {
  /** schema-qualified, quoted-safe (plain identifiers). */
  name: string;
  primaryKeys: string[];
}

export interface WorkloadTables {
  items: ChaosTable;
  lines: ChaosTable;
  events: ChaosTable;
  all: ChaosTable[];
}

export function workloadTables(suffix: string): WorkloadTables {
  const items = { name: `chaos_items_${suffix}`, primaryKeys: ['id'] };
  const lines = { name: `chaos_lines_${suffix}`, primaryKeys: ['tenant', 'line'] };
  const events = { name: `chaos_events_${suffix}`, primaryKeys: ['id'] };
  return { items, lines, events, all: [items, lines, events] };
}

/**
 * The stamper: every insert gets now() (the transaction's start, shared by every row it writes);
 * every update gets now(), or just after the row's current version if a transaction that started
 * later already committed a newer one (versions of a row never go backwards: the sync's version
 * guard relies on that).
 */
const stampSql = `
CREATE OR REPLACE FUNCTION public.chaos_stamp_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := greatest(now(), OLD.updated_at + interval '1 microsecond');
  ELSE
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$`;

function ddl(t: WorkloadTables): string[] {
  const stamp = (table: string) =>
    `CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON public.${table} FOR EACH ROW EXECUTE FUNCTION public.chaos_stamp_updated_at()`;
  return [
    stampSql,
    `CREATE TABLE public.${t.items.name} (
       id bigint PRIMARY KEY,
       label text NOT NULL,
       qty integer NOT NULL DEFAULT 0,
       amount numeric(14,4),
       tags jsonb,
       updated_at timestamptz NOT NULL DEFAULT now())`,
    stamp(t.items.name),
    `CREATE TABLE public.${t.lines.name} (
       tenant text NOT NULL,
       line integer NOT NULL,
       note text,
       payload jsonb,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (tenant, line))`,
    stamp(t.lines.name),
    `CREATE TABLE public.${t.events.name} (
       id bigint PRIMARY KEY,
       kind text NOT NULL,
       body text,
       updated_at timestamptz NOT NULL DEFAULT now())`,
    stamp(t.events.name),
  ];
}

/** Creates the tables on both databases (same columns and triggers) and seeds the source. */
export async function createWorkloadTables(
  source: pg.Pool,
  target: pg.Pool,
  t: WorkloadTables,
  rng: Rng,
): Promise<void> {
  for (const pool of [source, target]) {
    const client = await pool.connect();
    try {
      // CREATE OR REPLACE FUNCTION races with another run on the same database: serialize.
      await client.query('SELECT pg_advisory_lock(727271)');
      for (const sql of ddl(t)) await client.query(sql);
    } finally {
      await client.query('SELECT pg_advisory_unlock(727271)').catch(() => undefined);
      client.release();
    }
  }
  const items = rng.int(300, 700);
  await source.query(
    `INSERT INTO public.${t.items.name} (id, label, qty, amount, tags)
     SELECT g, 'item ' || g, g % 17, g * 1.25, jsonb_build_object('g', g) FROM generate_series(1, $1::int) g`,
    [items],
  );
  await source.query(
    `INSERT INTO public.${t.lines.name} (tenant, line, note, payload)
     SELECT (ARRAY['acme','globex','o''brien "q"','a,b.c','Ünïcode'])[1 + g % 5], g / 5, 'n' || g, jsonb_build_object('v', g)
     FROM generate_series(0, $1::int) g`,
    [rng.int(200, 500)],
  );
  await source.query(
    `INSERT INTO public.${t.events.name} (id, kind, body)
     SELECT g, 'k' || (g % 7), repeat('x', g % 50) FROM generate_series(1, $1::int) g`,
    [rng.int(500, 1500)],
  );
}

export async function dropWorkloadTables(pools: pg.Pool[], t: WorkloadTables): Promise<void> {
  for (const pool of pools) {
    for (const table of t.all) await pool.query(`DROP TABLE IF EXISTS public.${table.name}`);
  }
}

const TENANTS = ['acme', 'globex', `o'brien "q"`, 'a,b.c', 'Ünïcode'] as const;

export interface WorkloadStats {
  ops: number;
  failed: number;
  byKind: Record<string, number>;
}

export interface WorkloadOptions {
  source: pg.Pool;
  tables: WorkloadTables;
  rng: Rng;
  clients: number;
  /** Stops issuing new operations at this time (in-flight ones finish); asked before each one. */
  until: () => number;
  /**
   * Adds an operation that re-inserts a key in a transaction that began before a concurrent delete
   * of that key committed (see the report: the tombstone keeps that row off the target).
   */
  reinsertAfterConcurrentDelete?: boolean;
  /** Longest "long transaction", ms (keep it well under the lookback). */
  longTxMs: number;
  log?: (line: string) => void;
}

type Op = (c: pg.PoolClient, r: Rng) => Promise<void>;

/** Runs the workload until `until`; resolves with counts when every client has finished. */
export async function runWorkload(options: WorkloadOptions): Promise<WorkloadStats> {
  const { tables: t, source } = options;
  const stats: WorkloadStats = { ops: 0, failed: 0, byKind: {} };
  // New keys come from a shared counter (no collisions); re-used keys are picked at random.
  let nextItem = 100_000;
  let nextEvent = 100_000;
  const item = `public.${t.items.name}`;
  const line = `public.${t.lines.name}`;
  const event = `public.${t.events.name}`;
  const someItem = (r: Rng) => (r.chance(0.7) ? r.int(1, 800) : r.int(100_000, Math.max(100_000, nextItem)));
  const someLine = (r: Rng) => [r.pick(TENANTS), r.int(0, 120)] as const;

  const ops: Record<string, { weight: number; run: Op }> = {
    insertItems: {
      weight: 6,
      run: async (c, r) => {
        const n = r.int(1, 25);
        const ids = Array.from({ length: n }, () => (r.chance(0.3) ? someItem(r) : nextItem++));
        await c.query(
          `INSERT INTO ${item} (id, label, qty, amount, tags)
           SELECT id, 'new ' || id, 1, id * 0.5, jsonb_build_object('batch', $2::int) FROM unnest($1::bigint[]) id
           ON CONFLICT (id) DO NOTHING`,
          [ids, r.int(0, 1e6)],
        );
      },
    },
    updateItem: {
      weight: 10,
      run: async (c, r) => {
        await c.query(`UPDATE ${item} SET qty = qty + 1, label = $2 WHERE id = $1`, [
          someItem(r),
          `label ${r.int(0, 1e6)}`,
        ]);
      },
    },
    bulkUpdateItems: {
      weight: 3,
      run: async (c, r) => {
        // Many rows, one statement, one now(): they share one updated_at.
        const m = r.int(3, 12);
        await c.query(`UPDATE ${item} SET qty = qty + 1, amount = amount + 0.0001 WHERE id % $1 = $2`, [
          m,
          r.int(0, m - 1),
        ]);
      },
    },
    deleteItems: {
      weight: 4,
      run: async (c, r) => {
        if (r.chance(0.6)) await c.query(`DELETE FROM ${item} WHERE id = $1`, [someItem(r)]);
        else {
          const from = r.int(1, 800);
          await c.query(`DELETE FROM ${item} WHERE id BETWEEN $1 AND $2`, [from, from + r.int(1, 15)]);
        }
      },
    },
    changeItemKey: {
      weight: 3,
      run: async (c, r) => {
        await c.query(`UPDATE ${item} SET id = $2, label = 'moved' WHERE id = $1`, [someItem(r), nextItem++]);
      },
    },
    deleteAndReinsertItem: {
      weight: 2,
      run: async (c, r) => {
        const id = someItem(r);
        await c.query('BEGIN');
        await c.query(`DELETE FROM ${item} WHERE id = $1`, [id]);
        await c.query(`INSERT INTO ${item} (id, label, qty) VALUES ($1, 'reborn', 0)`, [id]);
        await c.query('COMMIT');
      },
    },
    upsertLines: {
      weight: 6,
      run: async (c, r) => {
        const n = r.int(1, 10);
        const byKey = new Map<string, readonly [string, number]>();
        for (let i = 0; i < n; i++) {
          const k = someLine(r);
          byKey.set(JSON.stringify(k), k);
        }
        const keys = [...byKey.values()];
        await c.query(
          `INSERT INTO ${line} (tenant, line, note, payload)
           SELECT k.tenant, k.line, 'upserted', jsonb_build_object('r', $3::int, 'nested', jsonb_build_object('q', 'a"b\\c'))
           FROM unnest($1::text[], $2::int[]) AS k(tenant, line)
           ON CONFLICT (tenant, line) DO UPDATE SET note = EXCLUDED.note || ' again', payload = EXCLUDED.payload`,
          [keys.map((k) => k[0]), keys.map((k) => k[1]), r.int(0, 1e6)],
        );
      },
    },
    deleteLines: {
      weight: 3,
      run: async (c, r) => {
        const [tenant, l] = someLine(r);
        await c.query(`DELETE FROM ${line} WHERE tenant = $1 AND line BETWEEN $2 AND $3`, [
          tenant,
          l,
          l + r.int(0, 4),
        ]);
      },
    },
    changeLineKey: {
      weight: 2,
      run: async (c, r) => {
        const [tenant, l] = someLine(r);
        // May collide with an existing key: then the statement fails, like an app's would.
        await c.query(`UPDATE ${line} SET line = $3, note = 'renumbered' WHERE tenant = $1 AND line = $2`, [
          tenant,
          l,
          r.int(121, 400),
        ]);
      },
    },
    bulkEvents: {
      weight: 3,
      run: async (c, r) => {
        const n = r.int(20, 200);
        const start = nextEvent;
        nextEvent += n;
        await c.query(
          `INSERT INTO ${event} (id, kind, body) SELECT g, 'k' || (g % 7), 'bulk' FROM generate_series($1::bigint, $2::bigint) g`,
          [start, start + n - 1],
        );
      },
    },
    bulkUpdateEvents: {
      weight: 2,
      run: async (c, r) => {
        await c.query(`UPDATE ${event} SET body = coalesce(body, '') || '+' WHERE kind = $1`, [
          `k${r.int(0, 6)}`,
        ]);
      },
    },
    bulkDeleteEvents: {
      weight: 2,
      run: async (c, r) => {
        const from = r.int(1, Math.max(2, nextEvent));
        await c.query(`DELETE FROM ${event} WHERE id BETWEEN $1 AND $2`, [from, from + r.int(5, 120)]);
      },
    },
    longTransaction: {
      weight: 2,
      run: async (c, r) => {
        // Stamps its rows with its start time, commits seconds later: the reconcile checkpoint may
        // already be past those versions; the lookback must bring them.
        await c.query('BEGIN');
        await c.query(`UPDATE ${item} SET qty = qty + 100, label = 'long tx' WHERE id = $1`, [someItem(r)]);
        await c.query(
          `INSERT INTO ${item} (id, label, qty) VALUES ($1, 'long tx insert', 7) ON CONFLICT (id) DO NOTHING`,
          [nextItem++],
        );
        await c.query(`UPDATE ${event} SET body = 'long' WHERE id BETWEEN $1 AND $2`, [
          r.int(1, 400),
          r.int(400, 800),
        ]);
        await new Promise((res) => setTimeout(res, r.int(500, options.longTxMs)));
        const [tenant, l] = someLine(r);
        await c.query(
          `INSERT INTO ${line} (tenant, line, note) VALUES ($1, $2, 'long tx') ON CONFLICT (tenant, line) DO UPDATE SET note = 'long tx upd'`,
          [tenant, l],
        );
        if (r.chance(0.2)) await c.query('ROLLBACK');
        else await c.query('COMMIT');
      },
    },
  };
  if (options.reinsertAfterConcurrentDelete) {
    ops.reinsertAfterConcurrentDelete = {
      weight: 2,
      run: async (c, r) => {
        // A transaction that started before another one deleted key x inserts x again after that
        // delete committed: the row's updated_at (its start, now()) is older than the delete.
        const { rows } = await c.query<{ id: string }>(
          `SELECT id::text FROM ${item} WHERE id >= $1 ORDER BY id LIMIT 1`,
          [r.int(1, 800)],
        );
        if (rows.length === 0) return;
        const id = rows[0]!.id;
        await c.query('BEGIN');
        await c.query('SELECT now()');
        await new Promise((res) => setTimeout(res, 20));
        await source.query(`DELETE FROM ${item} WHERE id = $1`, [id]);
        // Long enough for the delete to reach the target on its own (not coalesced with the insert).
        await new Promise((res) => setTimeout(res, r.int(1500, 3000)));
        await c.query(
          `INSERT INTO ${item} (id, label, qty) VALUES ($1, 'back after a concurrent delete', 3)
           ON CONFLICT (id) DO UPDATE SET label = 'upserted after a concurrent delete'`,
          [id],
        );
        await c.query('COMMIT');
      },
    };
  }
  const entries = Object.entries(ops);
  const totalWeight = entries.reduce((s, [, o]) => s + o.weight, 0);
  const choose = (r: Rng) => {
    let x = r.next() * totalWeight;
    for (const [name, op] of entries) {
      x -= op.weight;
      if (x < 0) return [name, op] as const;
    }
    return entries[entries.length - 1]!;
  };

  const clientLoop = async (r: Rng) => {
    while (Date.now() < options.until()) {
      const [name, op] = choose(r);
      const c = await source.connect();
      try {
        await op.run(c, r);
        stats.ops++;
        stats.byKind[name] = (stats.byKind[name] ?? 0) + 1;
      } catch (error) {
        // Deadlocks, unique violations from key changes: the source decides, the sync follows.
        stats.failed++;
        await c.query('ROLLBACK').catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (code !== '40P01' && code !== '23505' && code !== '25P02')
          options.log?.(`workload ${name} failed: ${(error as Error).message}`);
      } finally {
        c.release();
      }
      await new Promise((res) => setTimeout(res, r.int(5, 120)));
    }
  };
  await Promise.all(Array.from({ length: options.clients }, () => clientLoop(options.rng.fork())));
  return stats;
}

export interface TableDiff {
  table: string;
  sourceRows: number;
  targetRows: number;
  missing: string[];
  extra: string[];
  stale: Array<{ source: string; target: string }>;
}

function keyOf(row: Record<string, unknown>, keys: string[]): string {
  return JSON.stringify(keys.map((k) => row[k]));
}

/** Row-by-row comparison in Postgres: `to_jsonb(t)::text` ordered by key. Null means equal. */
/** `schema.table` for a workload table's name (`public` when it has no schema). */
export function qualified(name: string): string {
  return name.includes('.') ? name : `public.${name}`;
}

export async function compareTable(
  source: pg.Pool,
  target: pg.Pool,
  table: ChaosTable,
): Promise<TableDiff | null> {
  const order = table.primaryKeys.map((k) => `"${k}"`).join(', ');
  const sql = `SELECT to_jsonb(t)::text AS row FROM ${qualified(table.name)} t ORDER BY ${order}`;
  const [s, t] = await Promise.all([source.query<{ row: string }>(sql), target.query<{ row: string }>(sql)]);
  const a = s.rows.map((r) => r.row);
  const b = t.rows.map((r) => r.row);
  if (a.length === b.length && a.every((row, i) => row === b[i])) return null;
  const index = (rows: string[]) =>
    new Map(rows.map((row) => [keyOf(JSON.parse(row) as Record<string, unknown>, table.primaryKeys), row]));
  const si = index(a);
  const ti = index(b);
  const diff: TableDiff = {
    table: table.name,
    sourceRows: a.length,
    targetRows: b.length,
    missing: [],
    extra: [],
    stale: [],
  };
  for (const [key, row] of si) {
    const other = ti.get(key);
    if (other === undefined) diff.missing.push(row);
    else if (other !== row) diff.stale.push({ source: row, target: other });
  }
  for (const [key, row] of ti) if (!si.has(key)) diff.extra.push(row);
  return diff;
}

export function describeDiff(d: TableDiff, max = 5): string {
  const lines = [
    `${d.table}: source ${d.sourceRows} rows, target ${d.targetRows}: ${d.missing.length} missing, ${d.extra.length} extra, ${d.stale.length} stale`,
  ];
  for (const row of d.missing.slice(0, max)) lines.push(`  missing ${row}`);
  for (const row of d.extra.slice(0, max)) lines.push(`  extra   ${row}`);
  for (const s of d.stale.slice(0, max))
    lines.push(`  stale   source ${s.source}\n          target ${s.target}`);
  return lines.join('\n');
}
