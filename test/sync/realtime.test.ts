/**
 * The main path: a table synced by its workflow, changes arriving on the target through the
 * realtime feed well within a second.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, db, tableSnapshot, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const name = uniqueName('rt_orders');
const orders = table(name);
const docsName = uniqueName('rt_docs');
const docs = table(docsName);
const ddl = `CREATE TABLE public.${name} (
  id bigint PRIMARY KEY,
  status text NOT NULL,
  amount numeric(12,2),
  updated_at timestamptz NOT NULL DEFAULT now()
)`;
let sync: RunningSync;

async function targetRow(id: number) {
  const { rows } = await db(stack.target.databaseUrl).query(
    `SELECT status, amount::text FROM public.${name} WHERE id = $1`,
    [id],
  );
  return rows[0] as { status: string; amount: string } | undefined;
}

before(async () => {
  await db(stack.source.databaseUrl).query(ddl);
  await db(stack.target.databaseUrl).query(ddl);
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${name} (id, status, amount) SELECT g, 'new', g * 1.5 FROM generate_series(1, 1200) g`,
  );
  const docsDdl = `CREATE TABLE public.${docsName} (id int PRIMARY KEY, title text, body text, updated_at timestamptz NOT NULL DEFAULT now())`;
  await db(stack.source.databaseUrl).query(docsDdl);
  await db(stack.target.databaseUrl).query(docsDdl);
  // A long interval: anything that arrives quickly came through realtime. Progress is signalled
  // every 250 ms here (30 s by default; test/sync/cadence.test.ts tests that) so counts show at once.
  sync = await startSync(testConfig([orders, docs], { reconcile: { intervalMs: 60_000 } }), {
    settings: { realtimeProgressMs: 250 },
  });
  await waitUntilSyncing(sync, orders);
  await waitUntilSyncing(sync, docs);
});

after(async () => {
  await sync?.close();
  await closeDatabases();
});

describe('realtime sync', () => {
  test('the first run copies the whole table', async () => {
    const status = await sync.status(orders);
    assert.equal(status.initialCopy.rowsCopied, 1200);
    assert.equal(status.initialCopy.mode, 'full');
    assert.deepEqual(
      await tableSnapshot(stack.target.databaseUrl, `public.${name}`, ['id']),
      await tableSnapshot(stack.source.databaseUrl, `public.${name}`, ['id']),
    );
  });

  test('an insert reaches the target well within 1 s', async () => {
    const started = Date.now();
    await db(stack.source.databaseUrl).query(
      `INSERT INTO public.${name} (id, status, amount) VALUES (5001, 'fresh', 9.99)`,
    );
    await waitFor(() => targetRow(5001), { timeoutMs: 1000, message: 'insert did not arrive within 1 s' });
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(await targetRow(5001), { status: 'fresh', amount: '9.99' });
  });

  test('an update reaches the target well within 1 s', async () => {
    await db(stack.source.databaseUrl).query(
      `UPDATE public.${name} SET status = 'paid', amount = 12.5, updated_at = now() WHERE id = 7`,
    );
    const row = await waitFor(
      async () => ((await targetRow(7))?.status === 'paid' ? targetRow(7) : undefined),
      {
        timeoutMs: 1000,
        message: 'update did not arrive within 1 s',
      },
    );
    assert.deepEqual(row, { status: 'paid', amount: '12.50' });
  });

  test('a delete reaches the target well within 1 s', async () => {
    await db(stack.source.databaseUrl).query(`DELETE FROM public.${name} WHERE id IN (8, 9)`);
    await waitFor(async () => (await targetRow(8)) === undefined && (await targetRow(9)) === undefined, {
      timeoutMs: 1000,
      message: 'delete did not arrive within 1 s',
    });
  });

  test('an update that leaves a large (TOASTed) column alone keeps that column on the target', async () => {
    const source = db(stack.source.databaseUrl);
    // ~40 KB of incompressible text: stored out of line, so Realtime leaves it out of UPDATEs.
    await source.query(
      `INSERT INTO public.${docsName} (id, title, body)
       SELECT 1, 'first', string_agg(md5(random()::text), '') FROM generate_series(1, 1300)`,
    );
    const body = async (url: string) =>
      (
        await db(url).query<{ title: string; body: string | null }>(
          `SELECT title, body FROM public.${docsName} WHERE id = 1`,
        )
      ).rows[0];
    await waitFor(async () => (await body(stack.target.databaseUrl))?.body, {
      timeoutMs: 2000,
      message: 'insert did not arrive',
    });
    // One transaction, one micro-batch: a row without the large column beside a row with it.
    await source.query(
      `BEGIN; UPDATE public.${docsName} SET title = 'renamed', updated_at = now() WHERE id = 1;
       INSERT INTO public.${docsName} (id, title, body) VALUES (2, 'second', 'short'); COMMIT`,
    );
    const row = await waitFor(
      async () => {
        const r = await body(stack.target.databaseUrl);
        return r?.title === 'renamed' ? r : undefined;
      },
      { timeoutMs: 2000, message: 'update did not arrive' },
    );
    assert.equal(row.body, (await body(stack.source.databaseUrl))!.body, 'the large column is intact');
  });

  test('a burst of changes converges and progress reaches the workflow as counts', async () => {
    const source = db(stack.source.databaseUrl);
    await source.query(
      `UPDATE public.${name} SET status = 'bulk', updated_at = now() WHERE id BETWEEN 100 AND 600`,
    );
    await source.query(`DELETE FROM public.${name} WHERE id BETWEEN 601 AND 650`);
    await waitFor(
      async () => {
        const [s, t] = await Promise.all([
          tableSnapshot(stack.source.databaseUrl, `public.${name}`, ['id']),
          tableSnapshot(stack.target.databaseUrl, `public.${name}`, ['id']),
        ]);
        return JSON.stringify(s) === JSON.stringify(t);
      },
      { timeoutMs: 5000, message: 'target did not converge' },
    );
    const status = await waitFor(
      async () => {
        const s = await sync.status(orders);
        return s.counters.realtimeWritten >= 500 && s.counters.realtimeDeleted >= 50 ? s : undefined;
      },
      { timeoutMs: 5000, message: 'progress not reported' },
    );
    assert.equal(status.state, 'running');
    assert.equal(status.realtime.connected, true);
  });
});
