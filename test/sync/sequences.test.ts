/**
 * Sequences: a table with a serial id and one with an identity ALWAYS id are synced; after the
 * first copy and after every pass the target's sequences are at least the source's, so an insert
 * with a default id on the target succeeds without colliding with a synced row. A sequence the
 * tables file names moves too; a sequence ahead on the target is never moved back. With Realtime on
 * and passes minutes apart, the feed moves them within seconds of the rows it writes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { waitInSync } from '../support/compare.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);
const serialName = uniqueName('seq_serial');
const identityName = uniqueName('seq_identity');
const namedSeq = uniqueName('seq_named');
const serial = table(serialName, { realtime: false });
const identity = table(identityName, { realtime: false });
let sync: RunningSync;

async function nextValue(url: string, sequence: string): Promise<bigint> {
  const { rows } = await db(url).query<{ last_value: string; is_called: boolean }>(
    `SELECT last_value::text, is_called FROM ${sequence}`,
  );
  return BigInt(rows[0]!.last_value) + (rows[0]!.is_called ? 1n : 0n);
}

before(async () => {
  for (const pool of [source(), target()]) {
    await pool.query(
      `CREATE TABLE public.${serialName} (id serial PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await pool.query(
      `CREATE TABLE public.${identityName} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await pool.query(`CREATE SEQUENCE public.${namedSeq}`);
    await pool.query(
      `GRANT ALL ON public.${serialName}, public.${identityName} TO service_role; GRANT ALL ON SEQUENCE public.${namedSeq} TO service_role`,
    );
  }
  await source().query(
    `INSERT INTO public.${serialName} (note) SELECT 'row ' || g FROM generate_series(1, 120) g`,
  );
  await source().query(
    `INSERT INTO public.${identityName} (note) SELECT 'row ' || g FROM generate_series(1, 80) g`,
  );
  await source().query(`SELECT setval('public.${namedSeq}', 5000)`);
  const config = { ...testConfig([serial, identity]), sequences: [`public.${namedSeq}`] };
  sync = await startSync(config);
  await Promise.all([
    waitUntilSyncing(sync, serial, { realtime: false }),
    waitUntilSyncing(sync, identity, { realtime: false }),
  ]);
});

after(async () => {
  await sync?.close();
  await closeDatabases();
});

describe('sequences', () => {
  test('after the first copy, inserts with default ids on the target do not collide', async () => {
    await waitInSync(serialName);
    await waitInSync(identityName);
    // The pass that copied the rows moved the sequences after writing them.
    await waitFor(
      async () =>
        (await nextValue(stack.target.databaseUrl, `public.${serialName}_id_seq`)) > 120n &&
        (await nextValue(stack.target.databaseUrl, `public.${identityName}_id_seq`)) > 80n,
      { timeoutMs: 15_000, message: 'the target sequences were not moved past the copied ids' },
    );
    const a = await target().query<{ id: number }>(
      `INSERT INTO public.${serialName} (note) VALUES ('on the target') RETURNING id`,
    );
    const b = await target().query<{ id: string }>(
      `INSERT INTO public.${identityName} (note) VALUES ('on the target') RETURNING id`,
    );
    assert.equal(a.rows[0]!.id, 121);
    assert.equal(b.rows[0]!.id, '81');
    await target().query(`DELETE FROM public.${serialName} WHERE id = 121`);
    await target().query(`DELETE FROM public.${identityName} WHERE id = 81`);
  });

  test('every pass moves them forward as the source inserts; the named sequence too', async () => {
    await source().query(
      `INSERT INTO public.${serialName} (note) SELECT 'more ' || g FROM generate_series(1, 30) g`,
    );
    await source().query(
      `INSERT INTO public.${identityName} (note) SELECT 'more ' || g FROM generate_series(1, 30) g`,
    );
    await waitFor(
      async () =>
        (await nextValue(stack.target.databaseUrl, `public.${serialName}_id_seq`)) >=
          (await nextValue(stack.source.databaseUrl, `public.${serialName}_id_seq`)) &&
        (await nextValue(stack.target.databaseUrl, `public.${identityName}_id_seq`)) >=
          (await nextValue(stack.source.databaseUrl, `public.${identityName}_id_seq`)) &&
        (await nextValue(stack.target.databaseUrl, `public.${namedSeq}`)) >= 5001n,
      { timeoutMs: 15_000, message: 'a target sequence stayed behind the source' },
    );
    const { rows } = await target().query<{ id: string }>(
      `INSERT INTO public.${identityName} (note) VALUES ('promoted') RETURNING id`,
    );
    assert.ok(BigInt(rows[0]!.id) > 110n, `identity handed out ${rows[0]!.id}, a synced id`);
    await target().query(`DELETE FROM public.${identityName} WHERE id = $1`, [rows[0]!.id]);
  });

  test('a sequence ahead on the target is not moved back', async () => {
    await target().query(`SELECT setval('public.${serialName}_id_seq', 100000)`);
    const passes = (await sync.status(serial)).passes;
    await waitFor(async () => (await sync.status(serial)).passes >= passes + 2, { timeoutMs: 15_000 });
    assert.equal(await nextValue(stack.target.databaseUrl, `public.${serialName}_id_seq`), 100001n);
  });
});

describe('sequences of a table with Realtime, passes 10 minutes apart', () => {
  const name = uniqueName('seq_live');
  const live = table(name);
  let liveSync: RunningSync;

  before(async () => {
    for (const pool of [source(), target()]) {
      await pool.query(
        `CREATE TABLE public.${name} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
      );
      await pool.query(`GRANT ALL ON public.${name} TO service_role`);
    }
    await source().query(
      `INSERT INTO public.${name} (note) SELECT 'row ' || g FROM generate_series(1, 10) g`,
    );
    liveSync = await startSync(
      testConfig([live], { reconcile: { intervalMs: 600_000, liveIntervalMs: 600_000 } }),
    );
    await waitUntilSyncing(liveSync, live);
  });

  after(async () => {
    await liveSync?.close();
  });

  test('the feed moves the target sequence after the rows it writes, within seconds', async () => {
    // The copy, then the catch-up pass the live subscription asks for; after that none for 10 minutes.
    const passes = await waitFor(
      async () => {
        const st = await liveSync.status(live);
        return st.passes >= 2 && st.lastPass?.kind === 'catch-up' ? st.passes : undefined;
      },
      { timeoutMs: 15_000, message: async () => JSON.stringify((await liveSync.status(live)).lastPass) },
    );
    await source().query(
      `INSERT INTO public.${name} (note) SELECT 'live ' || g FROM generate_series(1, 25) g`,
    );
    await waitInSync(name);
    await waitFor(
      async () =>
        (await nextValue(stack.target.databaseUrl, `public.${name}_id_seq`)) >=
        (await nextValue(stack.source.databaseUrl, `public.${name}_id_seq`)),
      { timeoutMs: 15_000, message: 'the target sequence stayed behind the source' },
    );
    assert.equal((await liveSync.status(live)).passes, passes, 'no pass ran: the feed moved it');
    const { rows } = await target().query<{ id: string }>(
      `INSERT INTO public.${name} (note) VALUES ('promoted') RETURNING id`,
    );
    assert.equal(rows[0]!.id, '36');
  });
});
