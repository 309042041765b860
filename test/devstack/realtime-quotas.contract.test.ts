/**
 * The local Realtime enforces the hosted plan's quotas, seen through the unmodified supabase-js
 * client: the channels-per-connection limit of the stack's own (free) plan, and — on a server of
 * the test's own with the quotas scaled down — concurrent clients, joins per second and messages
 * per second (over which changes are dropped silently: the channel stays joined, nothing is sent).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { PLANS, QUOTA_ERRORS, type RealtimePlan } from '../../devstack/realtime/index.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import {
  join,
  live,
  newRealtimeClient,
  startOwnRealtime,
  type OwnRealtime,
} from '../support/realtime-server.js';
import { testStack } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const own: OwnRealtime[] = [];
const small: RealtimePlan = {
  name: 'free',
  messagesPerSecond: 20,
  concurrentClients: 2,
  joinsPerSecond: 4,
  channelsPerConnection: 3,
};

async function server(plan: Partial<RealtimePlan> = {}, tickMs = 500): Promise<OwnRealtime> {
  const s = await startOwnRealtime(stack.source.databaseUrl, { ...small, ...plan }, { rateTickMs: tickMs });
  own.push(s);
  return s;
}

/** The HTTP status and body a socket upgrade gets. */
function upgrade(url: string, key: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${key}&vsn=1.0.0`);
  return new Promise((resolve) => {
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => undefined);
  });
}

after(async () => {
  for (const s of own) await s.close();
  await closeDatabases();
});

describe('Realtime quotas as hosted', () => {
  test('free plan: the 101st channel on one connection is refused with ChannelRateLimitReached', async () => {
    const client = newRealtimeClient(stack.source.url, stack.source.serviceRoleKey);
    try {
      assert.equal(PLANS.free.channelsPerConnection, 100);
      const channels = Array.from({ length: 100 }, () => join(client));
      await waitFor(() => channels.every((c) => c.statuses.includes('SUBSCRIBED')), { timeoutMs: 20_000 });
      const extra = join(client);
      await waitFor(() => extra.statuses.includes('CHANNEL_ERROR'), { timeoutMs: 10_000 });
      assert.deepEqual(extra.errors, [QUOTA_ERRORS.tooManyChannels]);
      assert.ok(
        channels.every((c) => !c.statuses.includes('CHANNEL_ERROR')),
        'the others stay joined',
      );
    } finally {
      await client.removeAllChannels();
    }
  });

  test('channels per connection: a further join is refused, a second connection takes it', async () => {
    const s = await server({ concurrentClients: 10, joinsPerSecond: 100 });
    const a = s.client();
    const joined = [join(a), join(a), join(a)];
    await waitFor(() => joined.every((j) => j.statuses.includes('SUBSCRIBED')));
    const refused = join(a);
    await waitFor(() => refused.statuses.includes('CHANNEL_ERROR'));
    assert.deepEqual(refused.errors, ['ChannelRateLimitReached: Too many channels']);
    const other = join(s.client());
    await waitFor(() => other.statuses.includes('SUBSCRIBED'));
  });

  test('concurrent clients: a join beyond them is refused, and so is a new socket (HTTP 429)', async () => {
    const s = await server({ joinsPerSecond: 100 });
    const [a, b, c] = [s.client(), s.client(), s.client()];
    c.realtime.connect(); // connected before the others join: its join meets the limit
    await waitFor(() => c.realtime.isConnected());
    const ja = join(a);
    const jb = join(b);
    await waitFor(() => ja.statuses.includes('SUBSCRIBED') && jb.statuses.includes('SUBSCRIBED'));
    const jc = join(c);
    await waitFor(() => jc.statuses.includes('CHANNEL_ERROR'));
    assert.deepEqual(jc.errors, ['ConnectionRateLimitReached: Too many connected users']);
    const refused = await upgrade(s.url, s.key);
    assert.equal(refused.status, 429);
    assert.deepEqual(JSON.parse(refused.body), { error: 'Too many connected users' });
    // A second channel on a counted socket is fine.
    const ja2 = join(a);
    await waitFor(() => ja2.statuses.includes('SUBSCRIBED'));
  });

  test('joins per second: over the rate a join is refused and its socket closed', async () => {
    const s = await server({ concurrentClients: 10, channelsPerConnection: 100 });
    const client = s.client();
    const burst = Array.from({ length: 8 }, () => join(client));
    await waitFor(() => burst.every((j) => j.statuses.includes('SUBSCRIBED')));
    // The rate is averaged at the next tick (as hosted, every few seconds); then joins are refused.
    const refused = await waitFor(
      async () => {
        const j = join(client);
        await waitFor(() => j.statuses.length > 0, { timeoutMs: 5000 });
        return j.statuses[0] === 'CHANNEL_ERROR' ? j : undefined;
      },
      { timeoutMs: 5000 },
    );
    assert.deepEqual(refused.errors, ['ClientJoinRateLimitReached: Too many joins per second']);
    const status = await upgrade(s.url, s.key);
    assert.equal(status.status, 429);
    assert.deepEqual(JSON.parse(status.body), { error: 'Too many joins per second' });
  });

  test('messages per second: over the quota changes are dropped silently, the channel stays joined', async () => {
    const s = await server({ concurrentClients: 10, joinsPerSecond: 100 }, 500);
    const table = uniqueName('rtq');
    const source = db(stack.source.databaseUrl);
    await source.query(`create table public.${table} (id int8 primary key)`);
    await source.query(`alter publication supabase_realtime add table public.${table}`);
    const listener = join(s.client(), table);
    await waitFor(() => live(listener));
    // As fast as one connection commits (hundreds of transactions a second) for 3 s, against 20/s.
    let written = 0;
    const started = Date.now();
    while (Date.now() - started < 3000) {
      await source.query(`insert into public.${table} values (${++written})`);
    }
    await waitFor(() => listener.changes.length > 0);
    const got = listener.changes.length;
    assert.ok(written > 200 && got < written / 2, `received ${got} of ${written} (quota 20/s)`);
    assert.deepEqual(listener.statuses, ['SUBSCRIBED'], 'no error, no close');
    assert.ok(
      listener.system.every((m) => m.status === 'ok'),
      `no system error: ${JSON.stringify(listener.system)}`,
    );
    // Once the rate has fallen under the quota, changes flow again on the same channel.
    const burst = written;
    await waitFor(
      async () => {
        await source.query(`insert into public.${table} values (${++written})`);
        return listener.changes.some((c) => Number(c.new.id) > burst);
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    );
    await source.query(`drop table public.${table}`);
  });
});
