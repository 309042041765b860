/**
 * The local PostgREST stand-in (devstack/rest), seen through the unmodified supabase-js client: what a
 * caller gets back (data, error.code, status, count) for every call the sync engine and its tests use.
 * Tables and functions are created directly in Postgres, with unique names, right before each test.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';

type Row = Record<string, unknown>;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through the harness (npx tsx test/run.ts FILE)`);
  return value;
}

const url = env('SYNC_SOURCE_SUPABASE_URL');
const serviceRoleKey = env('SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY');
const db = new pg.Pool({ connectionString: env('STACK_SOURCE_DATABASE_URL'), max: 4 });

function client(key = serviceRoleKey): SupabaseClient {
  return createClient<Record<string, never>>(url, key, {
    realtime: { transport: WebSocket as unknown as never },
    auth: { persistSession: false, autoRefreshToken: false },
  });
}
const sb = client();

after(async () => {
  await db.end();
});

const unique = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/**
 * Create `public.<unique>` with `columns` and optional rows, granted to service_role as a user's
 * migration grants it (new tables get no grants on hosted projects); returns its name.
 */
async function table(columns: string, rows: string[] = []): Promise<string> {
  const name = unique('rest');
  await db.query(`create table public.${name} (${columns})`);
  await db.query(`grant select, insert, update, delete on public.${name} to service_role`);
  if (rows.length)
    await db.query(`insert into public.${name} values ${rows.map((r) => `(${r})`).join(', ')}`);
  return name;
}

async function dbRows(sql: string): Promise<Row[]> {
  return (await db.query<Row>(sql)).rows;
}

const ids = (data: unknown): unknown[] => (data as Row[]).map((r) => r.id);

void describe('select', () => {
  void test('each filter operator', async () => {
    const t = await table('id int primary key, name text, score int, ok boolean, tags text[]', [
      `1, 'alpha', 10, true, '{a,b}'`,
      `2, 'Beta', 20, false, '{b,c}'`,
      `3, 'gamma', null, null, '{c}'`,
      `4, 'a,b', 40, true, '{}'`,
    ]);
    const cases: Array<[string, PromiseLike<{ data: unknown; error: unknown }>, number[]]> = [
      ['eq', sb.from(t).select('id').eq('id', 2), [2]],
      ['neq', sb.from(t).select('id').neq('id', 2).order('id'), [1, 3, 4]],
      ['gt', sb.from(t).select('id').gt('score', 10).order('id'), [2, 4]],
      ['gte', sb.from(t).select('id').gte('score', 20).order('id'), [2, 4]],
      ['lt', sb.from(t).select('id').lt('score', 20), [1]],
      ['lte', sb.from(t).select('id').lte('score', 20).order('id'), [1, 2]],
      ['like', sb.from(t).select('id').like('name', '%mm%'), [3]],
      ['like with *', sb.from(t).select('id').like('name', 'al*'), [1]],
      ['ilike', sb.from(t).select('id').ilike('name', 'b%'), [2]],
      ['match', sb.from(t).select('id').match({ name: 'alpha' }), [1]],
      ['regex match', sb.from(t).select('id').filter('name', 'match', '^[ab]').order('id'), [1, 4]],
      ['imatch', sb.from(t).select('id').filter('name', 'imatch', '^b'), [2]],
      ['in with a quoted value', sb.from(t).select('id').in('name', ['alpha', 'a,b']).order('id'), [1, 4]],
      ['is null', sb.from(t).select('id').is('score', null), [3]],
      ['is true', sb.from(t).select('id').is('ok', true).order('id'), [1, 4]],
      ['isdistinct', sb.from(t).select('id').filter('ok', 'isdistinct', 'true').order('id'), [2, 3]],
      ['not', sb.from(t).select('id').not('score', 'is', null).order('id'), [1, 2, 4]],
      ['not in', sb.from(t).select('id').not('id', 'in', '(1,2)').order('id'), [3, 4]],
      ['cs', sb.from(t).select('id').contains('tags', ['b']).order('id'), [1, 2]],
      ['cd', sb.from(t).select('id').containedBy('tags', ['a', 'b']).order('id'), [1, 4]],
      ['ov', sb.from(t).select('id').overlaps('tags', ['a', 'c']).order('id'), [1, 2, 3]],
      ['two filters on one column', sb.from(t).select('id').gt('id', 1).lt('id', 4).order('id'), [2, 3]],
    ];
    for (const [label, query, expected] of cases) {
      const { data, error } = await query;
      assert.equal(error, null, `${label}: ${JSON.stringify(error)}`);
      assert.deepEqual(ids(data), expected, label);
    }
  });

  void test('a value with reserved characters is taken literally', async () => {
    const odd = 'a&b=c+d,e(f) "g"';
    const t = await table('id int primary key, name text', [`1, 'x'`]);
    await db.query(`insert into public.${t} values (2, $1)`, [odd]);
    const { data, error } = await sb.from(t).select('id, name').eq('name', odd);
    assert.equal(error, null);
    assert.deepEqual(data, [{ id: 2, name: odd }]);
  });

  void test('or() with nested and(), and not.and()', async () => {
    const t = await table('id int primary key, status text, age int', [
      `1, 'active', 10`,
      `2, 'idle', 30`,
      `3, 'idle', 70`,
      `4, 'gone', 40`,
    ]);
    const r1 = await sb.from(t).select('id').or('status.eq.active,and(age.gte.18,age.lt.65)').order('id');
    assert.equal(r1.error, null);
    assert.deepEqual(ids(r1.data), [1, 2, 4]);
    const r2 = await sb
      .from(t)
      .select('id')
      .or('id.eq.1,not.and(status.eq.idle,age.lt.50)')
      .eq('status', 'idle');
    assert.equal(r2.error, null);
    assert.deepEqual(ids(r2.data), [3]);
    const r3 = await sb.from(t).select('id').or('status.in.(gone,"a,b"),age.is.null');
    assert.deepEqual(ids(r3.data), [4]);
  });

  void test('select list with quoted names and aliases', async () => {
    const t = await table('id int primary key, "weird col" text, other text', [`1, 'w', 'o'`]);
    const { data, error } = await sb.from(t).select('id, "weird col", renamed:other');
    assert.equal(error, null);
    assert.deepEqual(data, [{ id: 1, 'weird col': 'w', renamed: 'o' }]);
  });

  void test('multi-column order with nulls first/last', async () => {
    const t = await table('id int primary key, grp int, v int', [
      `1, 1, 5`,
      `2, 1, null`,
      `3, 2, 1`,
      `4, 2, 9`,
      `5, 1, 7`,
    ]);
    const { data, error } = await sb
      .from(t)
      .select('id')
      .order('grp', { ascending: false })
      .order('v', { ascending: true, nullsFirst: true });
    assert.equal(error, null);
    assert.deepEqual(ids(data), [3, 4, 2, 1, 5]);
    const last = await sb
      .from(t)
      .select('id')
      .eq('grp', 1)
      .order('v', { ascending: false, nullsFirst: false });
    assert.deepEqual(ids(last.data), [5, 1, 2]);
  });

  void test('limit, range, exact count, 206 and head', async () => {
    const t = await table('id int primary key');
    await db.query(`insert into public.${t} select generate_series(1, 25)`);
    const page = await sb.from(t).select('id', { count: 'exact' }).order('id').range(10, 19);
    assert.equal(page.error, null);
    assert.equal(page.status, 206);
    assert.equal(page.count, 25);
    assert.deepEqual(ids(page.data), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const limited = await sb.from(t).select('id').order('id', { ascending: false }).limit(3);
    assert.equal(limited.status, 200);
    assert.equal(limited.count, null);
    assert.deepEqual(ids(limited.data), [25, 24, 23]);
    const all = await sb.from(t).select('*', { count: 'exact' });
    assert.equal(all.status, 200);
    assert.equal(all.count, 25);
    const head = await sb.from(t).select('*', { count: 'exact', head: true }).gt('id', 20);
    assert.equal(head.error, null);
    assert.equal(head.status, 200);
    assert.equal(head.count, 5);
    assert.equal(head.data, null);
    const empty = await sb.from(t).select('id', { count: 'exact' }).gt('id', 100);
    assert.deepEqual(empty.data, []);
    assert.equal(empty.count, 0);
    const beyond = await sb.from(t).select('id', { count: 'exact' }).range(30, 39);
    assert.equal(beyond.status, 416);
    assert.equal((beyond.error as { code?: string } | null)?.code, 'PGRST103');
  });

  void test('single() and maybeSingle()', async () => {
    const t = await table('id int primary key, name text', [`1, 'a'`, `2, 'b'`]);
    const one = await sb.from(t).select('id, name').eq('id', 2).single();
    assert.equal(one.error, null);
    assert.deepEqual(one.data, { id: 2, name: 'b' });
    const many = await sb.from(t).select().single();
    assert.equal(many.status, 406);
    assert.equal(many.error?.code, 'PGRST116');
    const none = await sb.from(t).select().eq('id', 9).maybeSingle();
    assert.equal(none.error, null);
    assert.equal(none.data, null);
  });

  void test('a table created a moment ago is visible at once', async () => {
    const name = unique('fresh');
    await db.query(`create table public.${name} (id int primary key)`);
    await db.query(`grant select on public.${name} to service_role`);
    await db.query(`insert into public.${name} values (1)`);
    const { data, error } = await sb.from(name).select('id');
    assert.equal(error, null);
    assert.deepEqual(data, [{ id: 1 }]);
    await db.query(`alter table public.${name} add column extra text default 'x'`);
    const again = await sb.from(name).select('id, extra');
    assert.equal(again.error, null);
    assert.deepEqual(again.data, [{ id: 1, extra: 'x' }]);
  });
});

void describe('types round-trip', () => {
  void test('numeric, jsonb, arrays, timestamptz, unicode text, bigint, nulls', async () => {
    const t = await table(
      'id bigint primary key, n numeric, j jsonb, arr int[], tarr text[], at timestamptz, txt text, b boolean, u uuid, d date',
    );
    const row = {
      id: 9007199254740991,
      n: 1234.5678,
      j: { nested: { list: [1, 'two', null, true] }, ключ: 'значение' },
      arr: [3, 1, 2],
      tarr: ['a,b', 'c"d', 'e\\f', ''],
      at: '2024-02-29T12:34:56.789+00:00',
      txt: 'héllo wörld ✓ 日本語 🚀 \'quote\' "dq" \\ back',
      b: false,
      u: '6f1c2b8e-0d7a-4c4f-9a8e-2f5d8b0c1a3e',
      d: '2024-02-29',
    };
    const nulls = {
      id: 2,
      n: null,
      j: null,
      arr: null,
      tarr: null,
      at: null,
      txt: null,
      b: null,
      u: null,
      d: null,
    };
    const ins = await sb.from(t).insert([row, nulls]).select();
    assert.equal(ins.error, null, JSON.stringify(ins.error));
    assert.equal(ins.status, 201);
    const { data, error } = await sb.from(t).select('*').order('id');
    assert.equal(error, null);
    assert.deepEqual(data, [nulls, row]);
    const [stored] = await dbRows(`select n::text, j::text, at from public.${t} where id = ${row.id}`);
    assert.equal(stored?.n, '1234.5678');
    assert.deepEqual(JSON.parse(String(stored?.j)), row.j);
    assert.equal((stored?.at as Date).toISOString(), '2024-02-29T12:34:56.789Z');
    const byJson = await sb
      .from(t)
      .select('id')
      .contains('j', { nested: { list: [1] } });
    assert.deepEqual(ids(byJson.data), [row.id]);
  });
});

void describe('insert and upsert', () => {
  void test('insert: 201 with no body, then representation', async () => {
    const t = await table('id int primary key, name text');
    const minimal = await sb.from(t).insert({ id: 1, name: 'a' });
    assert.equal(minimal.error, null);
    assert.equal(minimal.status, 201);
    assert.equal(minimal.data, null);
    const rep = await sb
      .from(t)
      .insert([{ id: 2, name: 'b' }, { id: 3 }], { count: 'exact' })
      .select('id, name');
    assert.equal(rep.status, 201);
    assert.equal(rep.count, 2);
    assert.deepEqual(rep.data, [
      { id: 2, name: 'b' },
      { id: 3, name: null },
    ]);
    const single = await sb.from(t).insert({ id: 4, name: 'd' }).select().single();
    assert.deepEqual(single.data, { id: 4, name: 'd' });
    assert.deepEqual(await dbRows(`select id from public.${t} order by id`), [
      { id: 1 },
      { id: 2 },
      { id: 3 },
      { id: 4 },
    ]);
  });

  void test('upsert on a composite key: merge gives 201, or 200 when every row was an update', async () => {
    const t = await table('tenant int, id int, name text, primary key (tenant, id)');
    const first = await sb.from(t).upsert(
      [
        { tenant: 1, id: 1, name: 'a' },
        { tenant: 2, id: 1, name: 'b' },
      ],
      { onConflict: 'tenant,id' },
    );
    assert.equal(first.error, null);
    assert.equal(first.status, 201);
    const update = await sb
      .from(t)
      .upsert([{ tenant: 1, id: 1, name: 'A' }], { onConflict: 'tenant,id', count: 'exact' })
      .select();
    assert.equal(update.status, 200);
    assert.equal(update.count, 1);
    assert.deepEqual(update.data, [{ tenant: 1, id: 1, name: 'A' }]);
    const mixed = await sb.from(t).upsert(
      [
        { tenant: 2, id: 1, name: 'B' },
        { tenant: 3, id: 1, name: 'c' },
      ],
      { onConflict: 'tenant,id' },
    );
    assert.equal(mixed.status, 201);
    assert.deepEqual(await dbRows(`select tenant, id, name from public.${t} order by tenant`), [
      { tenant: 1, id: 1, name: 'A' },
      { tenant: 2, id: 1, name: 'B' },
      { tenant: 3, id: 1, name: 'c' },
    ]);
  });

  void test('upsert with ignoreDuplicates keeps existing rows', async () => {
    const t = await table('id int primary key, name text', [`1, 'old'`]);
    const res = await sb
      .from(t)
      .upsert(
        [
          { id: 1, name: 'new' },
          { id: 2, name: 'two' },
        ],
        { ignoreDuplicates: true },
      )
      .select();
    assert.equal(res.error, null);
    assert.equal(res.status, 201);
    assert.deepEqual(res.data, [{ id: 2, name: 'two' }]);
    assert.deepEqual(await dbRows(`select id, name from public.${t} order by id`), [
      { id: 1, name: 'old' },
      { id: 2, name: 'two' },
    ]);
  });

  void test('defaultToNull: false fills missing keys from column defaults; explicit null stays null', async () => {
    const t = await table(
      `id int generated by default as identity primary key, status text default 'new', n int default 7, note text`,
    );
    const res = await sb
      .from(t)
      .insert([{ note: 'x' }, { status: null, n: 1 }], { defaultToNull: false })
      .select('id, status, n, note');
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.deepEqual(res.data, [
      { id: 1, status: 'new', n: 7, note: 'x' },
      { id: 2, status: null, n: 1, note: null },
    ]);
    // Without it, a key missing from one row but present in another (so in `columns`) becomes NULL;
    // a column no row mentions still takes its default.
    const withNulls = await sb
      .from(t)
      .insert([
        { id: 10, note: 'y', n: 1 },
        { id: 11, status: 'z' },
      ])
      .select('id, status, n');
    assert.deepEqual(withNulls.data, [
      { id: 10, status: null, n: 1 },
      { id: 11, status: 'z', n: null },
    ]);
    const untouched = await sb
      .from(t)
      .insert([{ id: 12 }])
      .select('status');
    assert.deepEqual(untouched.data, [{ status: 'new' }]);
  });
});

void describe('update and delete', () => {
  void test('update with filters', async () => {
    const t = await table('id int primary key, name text', [`1, 'a'`, `2, 'b'`, `3, 'c'`]);
    const res = await sb.from(t).update({ name: 'z' }).in('id', [1, 3]).select('id, name');
    assert.equal(res.error, null);
    assert.equal(res.status, 200);
    assert.deepEqual(res.data, [
      { id: 1, name: 'z' },
      { id: 3, name: 'z' },
    ]);
    const minimal = await sb.from(t).update({ name: 'y' }).eq('id', 2);
    assert.equal(minimal.status, 204);
    assert.deepEqual(await dbRows(`select name from public.${t} order by id`), [
      { name: 'z' },
      { name: 'y' },
      { name: 'z' },
    ]);
  });

  void test('delete with filters: 204, count, representation', async () => {
    const t = await table('id int primary key, k text', [`1, 'a'`, `2, 'b'`, `3, 'c'`, `4, 'a'`]);
    const counted = await sb.from(t).delete({ count: 'exact' }).eq('k', 'a');
    assert.equal(counted.error, null);
    assert.equal(counted.status, 204);
    assert.equal(counted.count, 2);
    assert.equal(counted.data, null);
    const rep = await sb.from(t).delete().in('k', ['b', 'zzz']).select();
    assert.equal(rep.status, 200);
    assert.deepEqual(rep.data, [{ id: 2, k: 'b' }]);
    assert.deepEqual(await dbRows(`select id from public.${t}`), [{ id: 3 }]);
  });
});

void describe('rpc', () => {
  void test('named arguments, scalar and composite results, GET', async () => {
    const fn = unique('add');
    await db.query(
      `create function public.${fn}(a int, b int default 10) returns int language sql as 'select a + b'`,
    );
    const r1 = await sb.rpc(fn, { a: 1, b: 2 });
    assert.equal(r1.error, null);
    assert.equal(r1.data, 3);
    assert.equal((await sb.rpc(fn, { a: 1 })).data, 11);
    assert.equal((await sb.rpc(fn, { a: 5, b: 5 }, { get: true })).data, 10);
    const echo = unique('echo');
    await db.query(
      `create function public.${echo}(j jsonb, arr int[], t text) returns jsonb language sql as $$ select jsonb_build_object('j', j, 'arr', arr, 't', t) $$`,
    );
    const r2 = await sb.rpc(echo, { j: { x: [1, 2] }, arr: [1, 2], t: 'ü' });
    assert.equal(r2.error, null);
    assert.deepEqual(r2.data, { j: { x: [1, 2] }, arr: [1, 2], t: 'ü' });
  });

  void test('void returns 204 and runs the function', async () => {
    const t = await table('id int primary key');
    const fn = unique('touch');
    await db.query(
      `create function public.${fn}(n int) returns void language sql as 'insert into public.${t} values (n)'`,
    );
    const res = await sb.rpc(fn, { n: 42 });
    assert.equal(res.error, null);
    assert.equal(res.status, 204);
    assert.equal(res.data, null);
    assert.deepEqual(await dbRows(`select id from public.${t}`), [{ id: 42 }]);
  });

  void test('setof with filters, order, limit and count', async () => {
    const t = await table('id int primary key, grp text', [`1, 'a'`, `2, 'b'`, `3, 'a'`, `4, 'a'`]);
    const fn = unique('rows');
    await db.query(`create function public.${fn}(g text) returns setof public.${t} language sql stable as
      'select * from public.${t} where grp = g'`);
    const res = await sb
      .rpc(fn, { g: 'a' }, { count: 'exact' })
      .gt('id', 1)
      .order('id', { ascending: false })
      .limit(1);
    assert.equal(res.error, null);
    assert.deepEqual(res.data, [{ id: 4, grp: 'a' }]);
    assert.equal(res.count, 2);
    const table_fn = unique('tbl');
    await db.query(`create function public.${table_fn}() returns table(x int, y text) language sql as
      $$ select * from (values (1, 'one'), (2, 'two')) v $$`);
    const tf = await sb.rpc(table_fn).eq('y', 'two');
    assert.deepEqual(tf.data, [{ x: 2, y: 'two' }]);
  });

  void test('errors: unknown function 404, RAISE 400 P0001, PTxyz status', async () => {
    const missing = await sb.rpc(unique('nope'), { a: 1 });
    assert.equal(missing.status, 404);
    assert.equal(missing.error?.code, 'PGRST202');
    const fn = unique('boom');
    await db.query(`create function public.${fn}(kind text) returns int language plpgsql as $$
      begin
        if kind = 'pt' then raise sqlstate 'PT418' using message = 'teapot'; end if;
        raise exception 'bad thing %', kind using hint = 'try again';
      end $$`);
    const raised = await sb.rpc(fn, { kind: 'x' });
    assert.equal(raised.status, 400);
    assert.equal(raised.error?.code, 'P0001');
    assert.equal(raised.error?.message, 'bad thing x');
    assert.equal(raised.error?.hint, 'try again');
    const pt = await sb.rpc(fn, { kind: 'pt' });
    assert.equal(pt.status, 418);
    assert.equal(pt.error?.message, 'teapot');
  });
});

void describe('errors', () => {
  void test('unknown table 404 PGRST205, unknown column 400 42703 / PGRST204, bad literal 22P02', async () => {
    const missing = await sb.from(unique('missing')).select();
    assert.equal(missing.status, 404);
    assert.equal(missing.error?.code, 'PGRST205');
    const t = await table('id int primary key');
    const col = await sb.from(t).select('id, banana');
    assert.equal(col.status, 400);
    assert.equal(col.error?.code, '42703');
    const filter = await sb.from(t).select().eq('banana', 1);
    assert.equal(filter.error?.code, '42703');
    const payload = await sb.from(t).insert([{ id: 1, helicopter: true }]);
    assert.equal(payload.status, 400);
    assert.equal(payload.error?.code, 'PGRST204');
    const literal = await sb.from(t).select().eq('id', 'abc');
    assert.equal(literal.status, 400);
    assert.equal(literal.error?.code, '22P02');
  });

  void test('unique violation 409 23505, and the whole request rolls back', async () => {
    const t = await table('id int primary key', ['1']);
    const res = await sb.from(t).insert([{ id: 2 }, { id: 1 }]);
    assert.equal(res.status, 409);
    assert.equal(res.error?.code, '23505');
    assert.match(res.error?.details ?? '', /Key \(id\)=\(1\) already exists/);
    assert.deepEqual(await dbRows(`select id from public.${t}`), [{ id: 1 }]);
  });

  void test('malformed JSON body 400 PGRST102', async () => {
    const t = await table('id int primary key');
    const res = await fetch(`${url}/rest/v1/${t}`, {
      method: 'POST',
      headers: {
        apikey: serviceRoleKey,
        authorization: `Bearer ${serviceRoleKey}`,
        'content-type': 'application/json',
      },
      body: '{"id": 1,',
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as Row;
    assert.equal(body.code, 'PGRST102');
  });

  void test('wrong key 401, missing key 401, bad bearer 401 PGRST301', async () => {
    const wrong = await client('not-a-real-key').from('anything').select();
    assert.equal(wrong.status, 401);
    assert.equal(wrong.error?.message, 'Invalid API key');
    const missing = await fetch(`${url}/rest/v1/anything?select=*`);
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { message: 'No API key found in request' });
    const bearer = await fetch(`${url}/rest/v1/anything?select=*`, {
      headers: { apikey: serviceRoleKey, authorization: 'Bearer a.b' },
    });
    assert.equal(bearer.status, 401);
    assert.match(bearer.headers.get('www-authenticate') ?? '', /invalid_token/);
    assert.equal(((await bearer.json()) as Row).code, 'PGRST301');
  });

  void test('a body over the size limit is refused with 413 before it is read', async () => {
    const target = new URL(`${url}/rest/v1/anything`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(target, {
        method: 'POST',
        headers: {
          apikey: serviceRoleKey,
          authorization: `Bearer ${serviceRoleKey}`,
          'content-type': 'application/json',
          'content-length': String(4 * 1024 * 1024 * 1024),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('[');
    });
    assert.equal(status, 413);
  });
});
