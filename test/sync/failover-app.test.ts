/**
 * The backup serves the app after a switch (issue 21): a source app with RLS policies on
 * auth.uid(), grants, RPCs, triggers, views and types; a bare target (the schema, its types and one
 * bare table). `schema push` makes the target match; the sync copies the rows; `failover check` is
 * READY; a policy changed on the source makes it NOT READY naming the policy, and `promote`
 * refuses; pushed again, READY; promoted; then a signed-in user's reads, writes and RPC calls through
 * supabase-js give the same answers on both projects, and anon is refused on both.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { userAccessToken } from '../../devstack/keys.js';
import { CliEnv, show } from '../cli/cli.js';
import { appAccess, appDdl, bareDdl, runSql } from '../support/app-access.js';
import { closeDatabases, tableSnapshot, uniqueName } from '../support/db.js';
import { testStack, type TestProject } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const app = appAccess(uniqueName('fa'));
const alice = randomUUID();
const bob = randomUUID();
const tables = app.tables.map((t) => table(t.name, { primaryKeys: t.primaryKeys, realtime: false }));
let sync: RunningSync;
let cli: CliEnv;

/** supabase-js as the app uses it on one project: the anon key, and a user's access token if signed in. */
function appClient(project: TestProject, user?: string): SupabaseClient {
  const token = user === undefined ? undefined : userAccessToken(project.jwtSecret, { sub: user });
  return createClient(project.url, project.anonKey, {
    db: { schema: app.schema },
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
    ...(token === undefined ? {} : { accessToken: () => Promise.resolve(token) }),
  }) as unknown as SupabaseClient;
}

/** What a user sees of the app on one project: rows, RPC results and the errors they get. */
async function seenBy(project: TestProject, user?: string): Promise<unknown> {
  const c = appClient(project, user);
  const outcome = (r: {
    data: unknown;
    error: { code?: string; message?: string } | null;
    status: number;
  }) => ({
    status: r.status,
    data: r.data,
    error: r.error ? { code: r.error.code, message: r.error.message } : null,
  });
  return {
    posts: outcome(await c.from('posts').select('id, title, status').order('id')),
    published: outcome(await c.from('published_posts').select('id, title').order('id')),
    comments: outcome(await c.from('comments').select('body').order('body')),
    count: outcome(await c.rpc('my_post_count')),
    // A post written for someone else: the policy refuses it (nothing is written).
    forged: outcome(
      await c.from('posts').insert({ id: randomUUID(), author_id: randomUUID(), title: 'forged' }),
    ),
  };
}

async function rowsEqual(): Promise<boolean> {
  for (const t of [app.posts, app.comments]) {
    const [a, b] = await Promise.all([
      tableSnapshot(stack.source.databaseUrl, t, ['id']),
      tableSnapshot(stack.target.databaseUrl, t, ['id']),
    ]);
    if (JSON.stringify(a) !== JSON.stringify(b)) return false;
  }
  return true;
}

async function untilReady(): Promise<void> {
  await waitFor(async () => (await cli.run(['failover', 'check'])).code === 0, {
    timeoutMs: 60_000,
    message: async () => show(await cli.run(['failover', 'check'])),
  });
}

before(async () => {
  await runSql(
    stack.source.databaseUrl,
    `${appDdl(app)};
     INSERT INTO ${app.posts} (id, author_id, title, status) VALUES
       ('00000000-0000-0000-0000-000000000001', '${alice}', 'alice published', 'published'),
       ('00000000-0000-0000-0000-000000000002', '${alice}', 'alice draft', 'draft'),
       ('00000000-0000-0000-0000-000000000003', '${bob}', 'bob draft', 'draft');
     INSERT INTO ${app.comments} (post_id, author_id, body) VALUES
       ('00000000-0000-0000-0000-000000000001', '${bob}', 'nice one');`,
  );
  await runSql(stack.target.databaseUrl, bareDdl(app));
  const config = testConfig(tables, { realtime: false });
  cli = await CliEnv.create(
    config.temporal.taskQueue,
    app.tables.map((t) => ({ ...t, realtime: false })),
  );
  const pushed = await cli.run(['schema', 'push', '--db-url', stack.target.databaseUrl]);
  assert.equal(pushed.code, 0, show(pushed));
  sync = await startSync(config);
  for (const t of tables) await waitUntilSyncing(sync, t, { realtime: false, timeoutMs: 30_000 });
  await waitFor(rowsEqual, { timeoutMs: 30_000, message: 'the first copy' });
});

after(async () => {
  await sync?.close();
  await cli?.remove();
  await closeDatabases();
});

describe('the backup serves the app', () => {
  test('check is READY once the pushed schema and the rows match', async () => {
    await untilReady();
  });

  test('a policy changed on the source: NOT READY naming it, promote refuses; pushed again: READY', async () => {
    await runSql(
      stack.source.databaseUrl,
      `ALTER POLICY "authors read their posts" ON ${app.posts} USING (author_id = (SELECT auth.uid()))`,
    );
    const check = await cli.run(['failover', 'check']);
    assert.equal(check.code, 1, show(check));
    assert.match(check.stdout, /overall: NOT READY/);
    assert.match(
      check.stderr,
      new RegExp(`policy "authors read their posts" on ${app.posts}: its using differs`),
    );
    const refused = await cli.run(['failover', 'promote']);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /refusing to promote, the backup is not ready: .*authors read their posts/);
    const pushed = await cli.run(['schema', 'push', '--db-url', stack.target.databaseUrl]);
    assert.equal(pushed.code, 0, show(pushed));
    await untilReady();
  });

  test('promoted: signed-in users and anon get the same answers from both projects', async () => {
    const promoted = await cli.run(['failover', 'promote']);
    assert.equal(promoted.code, 0, show(promoted));
    await sync.stopWorker();
    for (const user of [alice, bob, undefined]) {
      const [primary, backup] = [await seenBy(stack.source, user), await seenBy(stack.target, user)];
      assert.deepEqual(backup, primary, `as ${user ?? 'anon'}`);
    }
    const asAlice = (await seenBy(stack.target, alice)) as {
      posts: { data: unknown[] };
      count: { data: number };
    };
    assert.equal(asAlice.posts.data.length, 2, 'alice sees her two posts, not bob draft');
    assert.equal(asAlice.count.data, 2);
    const asAnon = (await seenBy(stack.target)) as { posts: { status: number; error: { code: string } } };
    assert.equal(asAnon.posts.status, 401);
    assert.equal(asAnon.posts.error.code, '42501');
    // Writes on the promoted backup: RLS and the trigger as on the primary.
    const writer = appClient(stack.target, bob);
    const wrote = await writer
      .from('posts')
      .insert({ id: randomUUID(), author_id: bob, title: 'written after the switch' })
      .select('title, status');
    assert.equal(wrote.error, null, JSON.stringify(wrote.error));
    const rpc = await writer.rpc('my_post_count');
    assert.equal(rpc.data, 2);
  });
});
