/**
 * What the local Realtime does as hosted Realtime does, seen through the unmodified supabase-js
 * client on the harness's stack: TRUNCATE is never emitted; a DELETE's `old_record` on a table
 * with RLS enabled holds only the primary key, even with REPLICA IDENTITY FULL; `SUBSCRIBED`
 * comes before the feed is live (changes in between are lost; the `system` message marks it);
 * a transaction larger than a poll's batch still arrives whole.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DEFAULT_SUBSCRIBE_DELAY_MS } from '../../devstack/realtime/index.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { join, live, newRealtimeClient } from '../support/realtime-server.js';
import { testStack } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const clients: ReturnType<typeof newRealtimeClient>[] = [];
const source = () => db(stack.source.databaseUrl);

function client() {
  const c = newRealtimeClient(stack.source.url, stack.source.serviceRoleKey);
  clients.push(c);
  return c;
}

async function publishedTable(columns: string, setup: string[] = []): Promise<string> {
  const table = uniqueName('rth');
  await source().query(`create table public.${table} (${columns})`);
  for (const sql of setup) await source().query(sql.replaceAll('$T', `public.${table}`));
  await source().query(`alter publication supabase_realtime add table public.${table}`);
  return table;
}

after(async () => {
  for (const c of clients) await c.removeAllChannels();
  await closeDatabases();
});

describe('Realtime as hosted', () => {
  test('TRUNCATE is never emitted', async () => {
    const table = await publishedTable('id int8 primary key');
    const l = join(client(), table);
    await waitFor(() => live(l));
    await source().query(`insert into public.${table} values (1)`);
    await source().query(`truncate public.${table}`);
    await source().query(`insert into public.${table} values (2)`);
    await waitFor(() => l.changes.some((c) => c.new.id === 2));
    assert.deepEqual(
      l.changes.map((c) => [c.eventType, c.new.id]),
      [
        ['INSERT', 1],
        ['INSERT', 2],
      ],
    );
  });

  test('DELETE on a table with RLS enabled: old_record holds only the primary key, even with FULL', async () => {
    const withRls = await publishedTable('id int8, k text, body text, primary key (id, k)', [
      'alter table $T replica identity full',
      'alter table $T enable row level security',
    ]);
    const withoutRls = await publishedTable('id int8 primary key, body text', [
      'alter table $T replica identity full',
    ]);
    const a = join(client(), withRls);
    const b = join(client(), withoutRls);
    await waitFor(() => live(a) && live(b));
    await source().query(`insert into public.${withRls} values (1, 'x', 'secret')`);
    await source().query(`update public.${withRls} set body = 'other' where id = 1`);
    await source().query(`delete from public.${withRls} where id = 1`);
    await source().query(`insert into public.${withoutRls} values (1, 'visible')`);
    await source().query(`delete from public.${withoutRls} where id = 1`);
    await waitFor(() => a.changes.length === 3 && b.changes.length === 2);
    assert.deepEqual(a.changes[2]?.old, { id: 1, k: 'x' }, 'RLS: the key only');
    assert.deepEqual(a.changes[1]?.old, { id: 1, k: 'x', body: 'secret' }, 'UPDATE keeps the FULL old row');
    assert.deepEqual(b.changes[1]?.old, { id: 1, body: 'visible' }, 'no RLS: the FULL old row');
  });

  test('SUBSCRIBED precedes the live feed: changes in between are lost, the system message marks it', async () => {
    const table = await publishedTable('id int8 primary key');
    const l = join(client(), table);
    await waitFor(() => l.statuses.includes('SUBSCRIBED'));
    const subscribedAt = Date.now();
    await source().query(`insert into public.${table} values (1)`);
    await waitFor(() => live(l));
    const liveAfter = Date.now() - subscribedAt;
    assert.ok(
      liveAfter >= DEFAULT_SUBSCRIBE_DELAY_MS * 0.8,
      `live ${liveAfter} ms after SUBSCRIBED (delay ${DEFAULT_SUBSCRIBE_DELAY_MS})`,
    );
    await source().query(`insert into public.${table} values (2)`);
    await waitFor(() => l.changes.length > 0);
    assert.deepEqual(
      l.changes.map((c) => c.new.id),
      [2],
      'the row written before the feed was live is not delivered',
    );
  });

  test('a transaction larger than a poll (100 changes) arrives whole, in order', async () => {
    const table = await publishedTable('id int8 primary key');
    const l = join(client(), table);
    await waitFor(() => live(l));
    await source().query(`insert into public.${table} select g from generate_series(1, 250) g`);
    await source().query(`insert into public.${table} values (1000)`);
    await waitFor(() => l.changes.length === 251, { message: () => `${l.changes.length} of 251` });
    assert.deepEqual(
      l.changes.map((c) => c.new.id),
      [...Array.from({ length: 250 }, (_, i) => i + 1), 1000],
    );
  });
});
