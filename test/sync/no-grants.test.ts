/**
 * Tables the Data API does not expose sync too (issue 11 item 6): on hosted projects new tables get
 * no grants to anon, authenticated or service_role (since 2026-10-30), and the local stack matches
 * that. The sync reads and writes through its SECURITY DEFINER functions, so a table nobody was
 * granted is copied, streamed and kept in sync; the only grant it makes is the SELECT Realtime needs
 * to stream a table to service_role, and only when streaming it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { waitInSync } from '../support/compare.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);
const streamed = uniqueName('nogrant_rt');
const polled = uniqueName('nogrant_rc');
const ddl = (name: string) => `
  CREATE TABLE public.${name} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now());
  ALTER TABLE public.${name} ENABLE ROW LEVEL SECURITY;
  REVOKE ALL ON public.${name} FROM PUBLIC, anon, authenticated, service_role;`;
let sync: RunningSync;

/** The privileges the API roles hold on a table of the source, e.g. ['service_role:SELECT']. */
async function apiGrants(name: string): Promise<string[]> {
  const { rows } = await source().query<{ g: string }>(
    `SELECT grantee || ':' || privilege_type AS g FROM information_schema.role_table_grants
      WHERE table_schema = 'public' AND table_name = $1 AND grantee IN ('anon', 'authenticated', 'service_role')
      ORDER BY 1`,
    [name],
  );
  return rows.map((r) => r.g);
}

before(async () => {
  for (const name of [streamed, polled]) {
    await source().query(ddl(name));
    await target().query(ddl(name));
    await source().query(
      `INSERT INTO public.${name} (id, note) SELECT g, 'row ' || g FROM generate_series(1, 1500) g`,
    );
  }
});

after(async () => {
  await sync?.close();
  await closeDatabases();
});

describe('a table without grants (not exposed to the Data API)', () => {
  test('the API refuses it to service_role before the sync starts', async () => {
    const supabase = createClient(stack.source.url, stack.source.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    const { error } = await supabase.from(streamed).select('id').limit(1);
    assert.equal(error?.code, '42501');
    assert.deepEqual(await apiGrants(streamed), []);
  });

  test('is copied, streamed and kept in sync; the sync grants only the SELECT Realtime needs', async () => {
    sync = await startSync(
      testConfig([table(streamed), table(polled, { realtime: false })], {
        reconcile: { intervalMs: 1000 },
      }),
    );
    await waitUntilSyncing(sync, table(streamed));
    await waitUntilSyncing(sync, table(polled, { realtime: false }), { realtime: false });
    await waitInSync(streamed);
    await waitInSync(polled);
    assert.deepEqual(await apiGrants(streamed), ['service_role:SELECT']);
    assert.deepEqual(await apiGrants(polled), []);

    for (const name of [streamed, polled]) {
      await source().query(`INSERT INTO public.${name} (id, note) VALUES (5001, 'new')`);
      await source().query(`UPDATE public.${name} SET note = 'changed', updated_at = now() WHERE id = 7`);
      await source().query(`DELETE FROM public.${name} WHERE id BETWEEN 10 AND 19`);
    }
    await waitInSync(streamed, { timeoutMs: 10_000, what: 'streamed table without grants' });
    await waitInSync(polled, { timeoutMs: 15_000, what: 'polled table without grants' });
    // Nothing else was granted on the target either: the apply functions need no grants.
    const { rows } = await target().query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.role_table_grants
        WHERE table_schema = 'public' AND table_name IN ($1, $2) AND grantee IN ('anon', 'authenticated', 'service_role')`,
      [streamed, polled],
    );
    assert.equal(rows[0]!.n, '0');
  });
});
