/**
 * The local Realtime stand-in, seen through the unmodified supabase-js client: what a subscriber's
 * callback receives for changes committed directly in Postgres.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import {
  createClient,
  type RealtimePostgresChangesPayload,
  type SupabaseClient,
} from '@supabase/supabase-js';

type Row = Record<string, unknown>;
type Change = RealtimePostgresChangesPayload<Row> & { receivedAt: number };
type SystemMessage = { extension: string; status: string; message: string; channel: string };

const LATENCY_BUDGET_MS = 1000;
const WAIT_MS = 5000;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through the harness (npx tsx test/run.ts FILE)`);
  return value;
}

const url = env('SYNC_SOURCE_SUPABASE_URL');
const serviceRoleKey = env('SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY');
const databaseUrl = env('STACK_SOURCE_DATABASE_URL');

let db: pg.Pool;
const clients: SupabaseClient[] = [];

function newClient(key = serviceRoleKey, vsn?: '1.0.0' | '2.0.0'): SupabaseClient {
  const client = createClient(url, key, {
    realtime: { transport: WebSocket as unknown as never, ...(vsn ? { vsn } : {}) },
    auth: { persistSession: false, autoRefreshToken: false },
  });
  clients.push(client);
  return client;
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function uniqueTable(prefix = 'rt'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

async function createTable(columns: string, options: { publish?: boolean } = {}): Promise<string> {
  const table = uniqueTable();
  await db.query(`create table public.${table} (${columns})`);
  if (options.publish !== false)
    await db.query(`alter publication supabase_realtime add table public.${table}`);
  return table;
}

/** Commits `sql` and returns the wall-clock window around the commit. */
async function commit(sql: string, params: unknown[] = []): Promise<{ before: number; after: number }> {
  const before = Date.now();
  await db.query(sql, params);
  return { before, after: Date.now() };
}

interface Listener {
  changes: Change[];
  system: SystemMessage[];
  statuses: string[];
  channel: ReturnType<SupabaseClient['channel']>;
  client: SupabaseClient;
}

type Binding = {
  event: '*' | 'INSERT' | 'UPDATE' | 'DELETE';
  schema: string;
  table?: string;
  filter?: string;
};

/** Subscribes and waits for SUBSCRIBED and the `system` message (ok or error, as `expect` says). */
async function listen(
  bindings: Binding[],
  expect: 'ok' | 'error' = 'ok',
  client = newClient(),
): Promise<Listener> {
  const listener: Listener = {
    changes: [],
    system: [],
    statuses: [],
    client,
    channel: client.channel(`test-${randomBytes(4).toString('hex')}`),
  };
  for (const binding of bindings) {
    listener.channel.on('postgres_changes', binding, (payload: RealtimePostgresChangesPayload<Row>) => {
      listener.changes.push({ ...payload, receivedAt: Date.now() });
    });
  }
  listener.channel.on('system', {}, (payload: SystemMessage) => listener.system.push(payload));
  listener.channel.subscribe((status) => listener.statuses.push(status));
  await waitUntil('SUBSCRIBED', () => listener.statuses.includes('SUBSCRIBED'));
  await waitUntil(`system ${expect}`, () => listener.system.some((s) => s.extension === 'postgres_changes'));
  const system = listener.system.find((s) => s.extension === 'postgres_changes');
  assert.equal(system?.status, expect, `system message: ${JSON.stringify(system)}`);
  if (expect === 'ok') assert.equal(system?.message, 'Subscribed to PostgreSQL');
  return listener;
}

const idOf = (row: object): unknown => (row as Row).id;

function assertTimely(change: Change, window: { before: number; after: number }): void {
  const committedAt = Date.parse(change.commit_timestamp);
  assert.match(change.commit_timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  // The commit time is taken inside Postgres between our two clock readings (ms truncated).
  assert.ok(committedAt >= window.before - 2 && committedAt <= window.after + 2, change.commit_timestamp);
  assert.ok(
    change.receivedAt - window.after < LATENCY_BUDGET_MS,
    `arrived ${change.receivedAt - window.after} ms after the commit`,
  );
}

before(() => {
  db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
});

after(async () => {
  // Note: realtime-js's disconnect() leaves a 10 s timer behind, so this file's process lingers that long.
  for (const client of clients) await client.removeAllChannels();
  await db.end();
});

void describe('devstack realtime: postgres_changes through supabase-js', () => {
  void test('INSERT, UPDATE, DELETE arrive with the shape a subscriber sees', async () => {
    const table = await createTable('id int8 primary key, body text');
    const l = await listen([{ event: '*', schema: 'public', table }]);

    const ins = await commit(`insert into ${table} values (1, 'first')`);
    await waitUntil('INSERT', () => l.changes.length === 1);
    const insert = l.changes[0] as Change;
    assert.equal(insert.eventType, 'INSERT');
    assert.equal(insert.schema, 'public');
    assert.equal(insert.table, table);
    assert.deepEqual(insert.new, { id: 1, body: 'first' });
    assert.deepEqual(insert.old, {});
    assert.equal(insert.errors, null);
    assertTimely(insert, ins);

    const upd = await commit(`update ${table} set body = 'second' where id = 1`);
    await waitUntil('UPDATE', () => l.changes.length === 2);
    const update = l.changes[1] as Change;
    assert.equal(update.eventType, 'UPDATE');
    assert.deepEqual(update.new, { id: 1, body: 'second' });
    assert.deepEqual(update.old, { id: 1 }, 'default replica identity: the primary key only');
    assertTimely(update, upd);

    const del = await commit(`delete from ${table} where id = 1`);
    await waitUntil('DELETE', () => l.changes.length === 3);
    const deleted = l.changes[2] as Change;
    assert.equal(deleted.eventType, 'DELETE');
    assert.deepEqual(deleted.new, {});
    assert.deepEqual(deleted.old, { id: 1 });
    assert.equal(deleted.errors, null);
    assertTimely(deleted, del);
  });

  void test('rows of one transaction share its commit_timestamp; a changed key shows the old key', async () => {
    const table = await createTable('id int8 primary key, body text');
    const l = await listen([{ event: '*', schema: 'public', table }]);
    await commit(`with a as (insert into ${table} values (1, 'a')) insert into ${table} values (2, 'b')`);
    await commit(`update ${table} set id = 3 where id = 2`);
    await waitUntil('3 changes', () => l.changes.length === 3);
    const [a, b, moved] = l.changes as [Change, Change, Change];
    assert.equal(a.commit_timestamp, b.commit_timestamp);
    assert.deepEqual(moved.old, { id: 2 });
    assert.deepEqual(moved.new, { id: 3, body: 'b' });
  });

  void test('REPLICA IDENTITY FULL gives the whole old row', async () => {
    const table = await createTable('id int8 primary key, body text, n int4');
    await db.query(`alter table ${table} replica identity full`);
    const l = await listen([{ event: '*', schema: 'public', table }]);
    await commit(`insert into ${table} values (1, 'a', 7)`);
    await commit(`update ${table} set body = 'b' where id = 1`);
    await commit(`delete from ${table} where id = 1`);
    await waitUntil('3 changes', () => l.changes.length === 3);
    assert.deepEqual(l.changes[1]?.old, { id: 1, body: 'a', n: 7 });
    assert.deepEqual(l.changes[2]?.old, { id: 1, body: 'b', n: 7 });
  });

  void test('commit order, not statement order, across concurrent transactions', async () => {
    const table = await createTable('id int8 primary key');
    const l = await listen([{ event: 'INSERT', schema: 'public', table }]);
    const first = await db.connect();
    const second = await db.connect();
    try {
      await first.query('begin');
      await first.query(`insert into ${table} values (1)`);
      await second.query('begin');
      await second.query(`insert into ${table} values (2)`);
      await second.query(`insert into ${table} values (3)`);
      await second.query('commit');
      await first.query('commit');
    } finally {
      first.release();
      second.release();
    }
    await waitUntil('3 inserts', () => l.changes.length === 3);
    assert.deepEqual(
      l.changes.map((c) => idOf(c.new)),
      [2, 3, 1],
    );
  });

  void test('a table not in the publication produces nothing', async () => {
    const published = await createTable('id int8 primary key');
    const unpublished = await createTable('id int8 primary key', { publish: false });
    const l = await listen([{ event: '*', schema: 'public' }]);
    await commit(`insert into ${unpublished} values (1)`);
    await commit(`insert into ${published} values (2)`);
    await waitUntil('the published insert', () => l.changes.some((c) => c.table === published));
    assert.deepEqual(
      l.changes
        .filter((c) => c.table === unpublished || c.table === published)
        .map((c) => [c.table, idOf(c.new)]),
      [[published, 2]],
    );
  });

  void test('a table removed from the publication stops producing changes', async () => {
    const leaving = await createTable('id int8 primary key');
    const staying = await createTable('id int8 primary key');
    const l = await listen([
      { event: '*', schema: 'public', table: leaving },
      { event: '*', schema: 'public', table: staying },
    ]);
    await commit(`insert into ${leaving} values (1)`);
    await waitUntil('first insert', () => l.changes.length === 1);
    await db.query(`alter publication supabase_realtime drop table public.${leaving}`);
    await commit(`insert into ${leaving} values (2)`);
    await commit(`insert into ${staying} values (3)`);
    await waitUntil('the control insert', () => l.changes.some((c) => c.table === staying));
    assert.deepEqual(
      l.changes.map((c) => [c.table, idOf(c.new)]),
      [
        [leaving, 1],
        [staying, 3],
      ],
    );
  });

  void test('subscribing to an unpublished table gives a system error', async () => {
    const table = await createTable('id int8 primary key', { publish: false });
    const l = await listen([{ event: '*', schema: 'public', table }], 'error');
    const system = l.system.find((s) => s.extension === 'postgres_changes');
    assert.match(system?.message ?? '', /Unable to subscribe to changes with given parameters/);
    assert.deepEqual(l.statuses, ['SUBSCRIBED']);
  });

  void test('filter id=eq.N delivers only that row, also for DELETE', async () => {
    const table = await createTable('id int8 primary key, body text');
    const l = await listen([{ event: '*', schema: 'public', table, filter: 'id=eq.2' }]);
    await commit(`insert into ${table} values (1, 'a'), (3, 'c')`);
    await commit(`insert into ${table} values (2, 'b')`);
    await commit(`update ${table} set body = 'x'`);
    await commit(`delete from ${table}`);
    await waitUntil('the DELETE of id 2', () => l.changes.some((c) => c.eventType === 'DELETE'));
    assert.deepEqual(
      l.changes.map((c) => [c.eventType, c.eventType === 'DELETE' ? idOf(c.old) : idOf(c.new)]),
      [
        ['INSERT', 2],
        ['UPDATE', 2],
        ['DELETE', 2],
      ],
    );
  });

  void test('filters on other columns and operators', async () => {
    const table = await createTable('id int8 primary key, kind text, n numeric');
    const l = await listen([
      { event: 'INSERT', schema: 'public', table, filter: 'kind=in.(a,b)' },
      { event: 'INSERT', schema: 'public', table, filter: 'n=gte.10' },
    ]);
    await commit(`insert into ${table} values (1, 'a', 1), (2, 'z', 1), (3, 'z', 10.5), (4, 'b', 99)`);
    await waitUntil('id 4', () => l.changes.some((c) => idOf(c.new) === 4));
    // Both bindings match id 4: one frame, one callback per binding.
    assert.deepEqual(
      l.changes.map((c) => idOf(c.new)),
      [1, 3, 4, 4],
    );
  });

  void test('a row over 1 MB arrives with the 413 error and only its small fields', async () => {
    const table = await createTable('id int8 primary key, small text, big text');
    const l = await listen([{ event: '*', schema: 'public', table }]);
    const big = 'x'.repeat(1_200_000);
    await commit(`insert into ${table} values (1, 'tiny', $1)`, [big]);
    await commit(`insert into ${table} values (2, 'tiny', 'also small')`);
    await waitUntil('2 inserts', () => l.changes.length === 2);
    const [large, small] = l.changes as [Change, Change];
    assert.deepEqual(large.errors, ['Error 413: Payload Too Large']);
    assert.deepEqual(large.new, { id: 1, small: 'tiny' });
    assert.equal(small.errors, null);
    assert.deepEqual(small.new, { id: 2, small: 'tiny', big: 'also small' });
  });

  void test('typed values: numeric, jsonb, arrays, timestamptz, unicode, null', async () => {
    const table = await createTable(
      'id int8 primary key, n numeric, f float8, ok bool, j jsonb, ints int4[], tags text[], ts timestamptz, ' +
        'day date, u uuid, t text, missing text',
    );
    const l = await listen([{ event: 'INSERT', schema: 'public', table }]);
    const text = 'héllo wörld — 日本語 😀 "quoted" \\ back';
    await commit(
      `insert into ${table} values (1, 12.50, 0.25, true, $1, '{1,2,3}', '{a,"b c"}',
        '2024-05-01 10:00:00.123456+00', '2024-05-01', '7c9e6679-7425-40de-944b-e07fc1f90ae7', $2, null)`,
      [JSON.stringify({ a: [1, 'x', null], nested: { b: true } }), text],
    );
    await waitUntil('insert', () => l.changes.length === 1);
    assert.deepEqual(l.changes[0]?.new, {
      id: 1,
      n: 12.5,
      f: 0.25,
      ok: true,
      j: { a: [1, 'x', null], nested: { b: true } },
      ints: [1, 2, 3],
      tags: ['a', 'b c'],
      ts: '2024-05-01T10:00:00.123456+00:00',
      day: '2024-05-01',
      u: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
      t: text,
      missing: null,
    });
  });

  void test('the vsn 1.0.0 (object) framing works too', async () => {
    const table = await createTable('id int8 primary key, body text');
    const l = await listen(
      [{ event: '*', schema: 'public', table }],
      'ok',
      newClient(serviceRoleKey, '1.0.0'),
    );
    const window = await commit(`insert into ${table} values (1, 'v1')`);
    await waitUntil('INSERT', () => l.changes.length === 1);
    const [insert] = l.changes;
    assert.ok(insert);
    assert.deepEqual(insert.new, { id: 1, body: 'v1' });
    assertTimely(insert, window);
  });

  void test('a wrong apikey is rejected at the upgrade', async () => {
    const wsUrl = `${url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=not-a-key&vsn=2.0.0`;
    const rejected = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const socket = new WebSocket(wsUrl);
      socket.on('open', () => reject(new Error('upgrade was accepted')));
      socket.on('error', () => undefined);
      socket.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    assert.equal(rejected.status, 401);
    assert.equal(typeof (JSON.parse(rejected.body) as { error: unknown }).error, 'string');

    // What supabase-js makes of it: a channel error, never SUBSCRIBED.
    const client = newClient('not-a-key');
    const statuses: string[] = [];
    client.channel('rejected').subscribe((status) => statuses.push(status));
    await waitUntil('CHANNEL_ERROR', () => statuses.includes('CHANNEL_ERROR'));
    assert.ok(!statuses.includes('SUBSCRIBED'));
    await client.removeAllChannels();
  });

  void test('removeChannel stops delivery; another channel keeps receiving', async () => {
    const table = await createTable('id int8 primary key');
    const client = newClient();
    const removed = await listen([{ event: '*', schema: 'public', table }], 'ok', client);
    const kept = await listen([{ event: '*', schema: 'public', table }], 'ok', client);
    assert.equal(await client.removeChannel(removed.channel), 'ok');
    assert.ok(removed.statuses.includes('CLOSED'));
    await commit(`insert into ${table} values (1)`);
    await waitUntil('the kept channel', () => kept.changes.length === 1);
    assert.equal(removed.changes.length, 0);
  });

  void test('an invalid access_token closes the channel with a system error', async () => {
    const table = await createTable('id int8 primary key');
    const l = await listen([{ event: '*', schema: 'public', table }]);
    await l.client.realtime.setAuth('not.a-valid.token');
    await waitUntil('CLOSED', () => l.statuses.includes('CLOSED'));
    assert.ok(l.system.some((s) => s.extension === 'system' && s.status === 'error'));
  });
});
