/**
 * Values arrive exactly: a composite primary key (including updates that change the key) and a
 * table with many column types and awkward values, through the realtime feed and through
 * reconciliation alone. Rows are compared directly in Postgres (`to_jsonb(t)::text` per row).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectSource } from '../../src/supabase/source.js';
import type { TableRef } from '../../src/contracts/ports.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { waitInSync } from '../support/compare.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);

const TENANT_A = '6f1c2c52-8f5e-4d2b-9a53-0b7c4f1e0a01';
const TENANT_B = 'b2d0e7a4-1c3f-4e5a-8b6c-9d0e1f2a3b4c';

const linesDdl = (name: string) => `CREATE TABLE public.${name} (
  tenant_id uuid NOT NULL,
  line_no int NOT NULL,
  qty int NOT NULL,
  label text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, line_no)
)`;

const typesDdl = (name: string) => `CREATE TABLE public.${name} (
  key text PRIMARY KEY,
  amount numeric(30,10),
  plain numeric,
  ratio double precision,
  doc jsonb,
  just_string jsonb,
  ints int[],
  texts text[],
  at timestamptz,
  local_at timestamp,
  day date,
  flag boolean,
  blob bytea,
  body text,
  empty text,
  nothing text,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

/** Keys with the characters PostgREST's filter grammar treats specially. */
const KEYS = [
  'plain',
  'a,b',
  '(paren)',
  'say "hi"',
  'dot.ted',
  "it's",
  'back\\slash',
  'mix,(".)',
  'in.(1,2)',
  'ünïcødé 键',
];

/** An INSERT of one awkward row per key into the types table; `variant` changes every value. */
function typesInsert(name: string, keys: string[], variant: number): { sql: string; params: unknown[] } {
  const rows: string[] = [];
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  keys.forEach((key, i) => {
    const n = variant * 100 + i;
    rows.push(
      `(${[
        p(key),
        `${p(i % 2 === 0 ? `12345678901234567890.${String(1234567890 + n).slice(-10)}` : `-0.000000000${(n % 9) + 1}`)}::numeric`,
        // Unconstrained numeric keeps its scale: 1.50 and 2.0 must not arrive as 1.5 and 2.
        `${p(i % 2 === 0 ? `${n}.50` : `${n}.0`)}::numeric`,
        `${p(i % 2 === 0 ? 0.1 + n : 1e-7 * (n + 1))}::double precision`,
        `${p(JSON.stringify({ nested: { list: [1, 2.5, { deep: `say "hi" #${n}` }], flag: true, none: null }, quote: '"\\/', n }))}::jsonb`,
        `${p(JSON.stringify(`just a string ${n}`))}::jsonb`,
        `${p(`{${n},NULL,-3}`)}::int[]`,
        `${p(['a,b', 'say "hi"', null, '', 'NULL', '{x}', `v${n}`])}::text[]`,
        `${p(`2026-03-04 05:06:07.${String(123456 + n).padStart(6, '0')}+00`)}::timestamptz`,
        `${p(`2026-03-04 05:06:07.${String(654321 - n).padStart(6, '0')}`)}::timestamp`,
        `${p(`2026-02-${String((n % 28) + 1).padStart(2, '0')}`)}::date`,
        i % 3 === 0 ? 'true' : i % 3 === 1 ? 'false' : 'NULL',
        `${p(Buffer.from([0, 255, 16, n % 256, 92, 39, 34]))}::bytea`,
        p(`emoji 😀🧪, CJK 漢字かな, RTL שלום مرحبا, tab\there, newline\nthere, backslash \\ ${n}`),
        "''",
        'NULL',
      ].join(', ')})`,
    );
  });
  return {
    sql: `INSERT INTO public.${name} (key, amount, plain, ratio, doc, just_string, ints, texts, at, local_at, day, flag, blob, body, empty, nothing)
          VALUES ${rows.join(',\n')}`,
    params,
  };
}

interface Variant {
  label: string;
  realtime: boolean;
  lines: string;
  types: string;
}
const variants: Variant[] = [
  {
    label: 'realtime on',
    realtime: true,
    lines: uniqueName('vl_lines_rt'),
    types: uniqueName('vl_types_rt'),
  },
  {
    label: 'realtime off',
    realtime: false,
    lines: uniqueName('vl_lines_rc'),
    types: uniqueName('vl_types_rc'),
  },
];
const syncs = new Map<Variant, RunningSync>();

before(async () => {
  for (const v of variants) {
    for (const [name, ddl] of [
      [v.lines, linesDdl],
      [v.types, typesDdl],
    ] as const) {
      await source().query(ddl(name));
      await target().query(ddl(name));
    }
    // Rows present before the sync starts go through the first (whole-table, by key) copy.
    await source().query(
      `INSERT INTO public.${v.lines} (tenant_id, line_no, qty, label)
       SELECT t::uuid, g, g * 10, 'line ' || g FROM unnest(array[$1, $2]) t, generate_series(1, 5) g`,
      [TENANT_A, TENANT_B],
    );
    const seed = typesInsert(v.types, KEYS.slice(0, 6), 0);
    await source().query(seed.sql, seed.params);
  }
  for (const v of variants) {
    // Pages of 3 rows: keyset pagination over the awkward text and composite keys is exercised.
    // With realtime on, the interval is long: changes after the first copy arrive through the feed.
    const sync = await startSync(
      testConfig(
        [table(v.lines, { primaryKeys: ['tenant_id', 'line_no'] }), table(v.types, { primaryKeys: ['key'] })],
        {
          realtime: v.realtime,
          reconcile: { intervalMs: v.realtime ? 60_000 : 1000, batchSize: 3 },
        },
      ),
    );
    syncs.set(v, sync);
    for (const t of sync.config.tables) await waitUntilSyncing(sync, t, { realtime: v.realtime });
  }
});

after(async () => {
  for (const sync of syncs.values()) await sync.close();
  await closeDatabases();
});

for (const v of variants) {
  describe(`values arrive exactly (${v.label})`, () => {
    test('the first copy of awkward keys and values is exact', async () => {
      await waitInSync(v.lines, {
        key: ['tenant_id', 'line_no'],
        timeoutMs: 3000,
        what: 'composite key table after the first copy',
      });
      await waitInSync(v.types, { key: ['key'], timeoutMs: 3000, what: 'types table after the first copy' });
      const status = await syncs.get(v)!.status(syncs.get(v)!.config.tables[1]!);
      assert.equal(status.initialCopy.rowsCopied, 6);
    });

    test('inserted, updated and deleted rows of many types are exact on the target', async () => {
      const insert = typesInsert(v.types, KEYS.slice(6), 1);
      await source().query(insert.sql, insert.params);
      const update = typesInsert(v.types, KEYS.slice(0, 6), 2);
      await source().query(
        `${update.sql} ON CONFLICT (key) DO UPDATE SET amount = EXCLUDED.amount, doc = EXCLUDED.doc, just_string = EXCLUDED.just_string,
           ints = EXCLUDED.ints, texts = EXCLUDED.texts, at = EXCLUDED.at, local_at = EXCLUDED.local_at, day = EXCLUDED.day,
           flag = EXCLUDED.flag, blob = EXCLUDED.blob, body = EXCLUDED.body, updated_at = now()`,
        update.params,
      );
      // NULL <-> value and '' <-> NULL transitions.
      await source().query(
        `UPDATE public.${v.types} SET empty = NULL, nothing = '', amount = NULL, doc = NULL, ints = '{}', texts = '{}', updated_at = now() WHERE key = $1`,
        ['a,b'],
      );
      await source().query(`DELETE FROM public.${v.types} WHERE key = ANY ($1)`, [['(paren)', "it's"]]);
      await waitInSync(v.types, { key: ['key'], timeoutMs: 5000, what: 'types table after changes' });
      const { rows } = await target().query<{ amount: string; just: string; kind: string }>(
        `SELECT amount::text, just_string::text AS just, jsonb_typeof(just_string) AS kind FROM public.${v.types} WHERE key = 'plain'`,
      );
      assert.equal(rows[0]?.amount, '12345678901234567890.1234568090');
      assert.equal(rows[0]?.kind, 'string');
      assert.equal(rows[0]?.just, '"just a string 200"');
    });

    test('composite keys: inserts, updates, deletes and key changes are exact on the target', async () => {
      const lines = v.lines;
      await source().query(
        `INSERT INTO public.${lines} (tenant_id, line_no, qty, label) VALUES ($1, 6, 60, 'six'), ($2, 6, 66, 'six')`,
        [TENANT_A, TENANT_B],
      );
      await source().query(
        `UPDATE public.${lines} SET qty = qty + 1, updated_at = now() WHERE tenant_id = $1 AND line_no <= 2`,
        [TENANT_A],
      );
      await source().query(`DELETE FROM public.${lines} WHERE tenant_id = $1 AND line_no = 3`, [TENANT_B]);
      // Key changes: one row moves to another line number, one to the other tenant, and a
      // multi-row renumbering where most new keys were old keys of other rows.
      await source().query(
        `UPDATE public.${lines} SET line_no = 105, updated_at = now() WHERE tenant_id = $1 AND line_no = 5`,
        [TENANT_A],
      );
      await source().query(
        `UPDATE public.${lines} SET tenant_id = $2, line_no = 50, updated_at = now() WHERE tenant_id = $1 AND line_no = 4`,
        [TENANT_A, TENANT_B],
      );
      await source().query(
        `UPDATE public.${lines} SET line_no = line_no + 1000, updated_at = now() WHERE tenant_id = $1 AND line_no IN (1, 2)`,
        [TENANT_B],
      );
      await waitInSync(lines, {
        key: ['tenant_id', 'line_no'],
        timeoutMs: 5000,
        what: 'composite key table after changes',
      });
      const { rows } = await target().query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${lines}`);
      assert.equal(rows[0]?.n, 11);
    });

    test('composite keys: two rows swap keys in one transaction (through a temporary key)', async () => {
      const lines = v.lines;
      const client = await source().connect();
      try {
        await client.query('BEGIN');
        const move = `UPDATE public.${lines} SET line_no = $3, label = label || ' swapped', updated_at = now()
                      WHERE tenant_id = $1 AND line_no = $2`;
        await client.query(move, [TENANT_A, 1, -1]);
        await client.query(move, [TENANT_A, 2, 1]);
        await client.query(move, [TENANT_A, -1, 2]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
      await waitInSync(lines, {
        key: ['tenant_id', 'line_no'],
        timeoutMs: 5000,
        what: 'composite key table after the swap',
      });
      const sync = syncs.get(v)!;
      const t = sync.config.tables[0]!;
      // Later passes (and their deletion replay) keep both rows.
      const start = (await sync.status(t)).passes;
      if (!v.realtime) {
        await waitFor(async () => (await sync.status(t)).passes >= start + 2, {
          timeoutMs: 5000,
          message: 'no more passes',
        });
      }
      await waitInSync(lines, {
        key: ['tenant_id', 'line_no'],
        timeoutMs: 1000,
        what: 'composite key table after more passes',
      });
    });
  });
}

describe('reading rows back by key', () => {
  test('keys with commas, parentheses, quotes and backslashes are matched exactly', async () => {
    const v = variants[1]!;
    const ref: TableRef = { schema: 'public', table: v.types, primaryKeys: ['key'] };
    const api = connectSource({ url: stack.source.url, serviceRoleKey: stack.source.serviceRoleKey });
    const present = (
      await source().query<{ key: string }>(`SELECT key FROM public.${v.types} ORDER BY key`)
    ).rows.map((r) => r.key);
    const rows = await api.readRowsByKeys(
      ref,
      present.map((key) => ({ key })),
    );
    assert.deepEqual(rows.map((r) => r.key as string).sort(), [...present].sort());
    const lines: TableRef = { schema: 'public', table: v.lines, primaryKeys: ['tenant_id', 'line_no'] };
    const some = await api.readRowsByKeys(lines, [
      { tenant_id: TENANT_A, line_no: 1 },
      { tenant_id: TENANT_B, line_no: 50 },
    ]);
    assert.equal(some.length, 2);
  });
});
