/**
 * Paging against the API's row cap: the local API, like the Supabase platform, returns at most 1000
 * rows per read whatever the request's limit. A batch size above the cap must still copy and
 * reconcile every row (a short page is not the end of the table), for single and composite keys.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import {
  reconcileNow,
  startSync,
  table,
  testConfig,
  waitUntilSyncing,
  type RunningSync,
} from '../support/sync.js';
import { inSync } from '../support/compare.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);

const singleName = uniqueName('pg_single');
const compositeName = uniqueName('pg_composite');
const single = table(singleName, { realtime: false });
const composite = table(compositeName, { realtime: false, primaryKeys: ['tenant', 'id'] });
const ROWS = 3500;

let sync: RunningSync;

async function count(name: string): Promise<number> {
  const { rows } = await target().query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${name}`);
  return rows[0]!.n;
}

describe('paging past the API row cap (1000 per read)', () => {
  before(async () => {
    for (const pool of [source(), target()]) {
      await pool.query(`CREATE TABLE public.${singleName} (
        id bigint PRIMARY KEY, label text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
      await pool.query(`CREATE TABLE public.${compositeName} (
        tenant text, id int, label text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, id))`);
    }
    await source().query(
      `INSERT INTO public.${singleName} (id, label) SELECT g, 'v1-' || g FROM generate_series(1, ${ROWS}) g`,
    );
    await source().query(
      `INSERT INTO public.${compositeName} (tenant, id, label)
       SELECT 't' || (g % 3), g, 'v1-' || g FROM generate_series(1, ${ROWS}) g`,
    );
    sync = await startSync(
      testConfig([single, composite], {
        realtime: false,
        reconcile: { batchSize: 2500, intervalMs: 60_000 },
      }),
    );
  });

  after(async () => {
    await sync?.close();
    await closeDatabases();
  });

  test('the initial copy brings every row with batch size 2500', async () => {
    const s1 = await waitUntilSyncing(sync, single, { realtime: false, timeoutMs: 30_000 });
    const s2 = await waitUntilSyncing(sync, composite, { realtime: false, timeoutMs: 30_000 });
    assert.equal(s1.initialCopy.rowsCopied, ROWS);
    assert.equal(s2.initialCopy.rowsCopied, ROWS);
    assert.equal(await count(singleName), ROWS);
    assert.equal(await count(compositeName), ROWS);
    assert.ok(await inSync(compositeName, ['tenant', 'id']));
  });

  test('a reconcile pass brings 2600 changed rows', async () => {
    await source().query(
      `UPDATE public.${singleName} SET label = 'v2-' || id, updated_at = clock_timestamp() WHERE id <= 2600`,
    );
    const result = await reconcileNow(sync, single);
    assert.equal(result.ok, true, result.error);
    assert.ok((result.pass?.rowsRead ?? 0) >= 2600, `read ${result.pass?.rowsRead}`);
    const { rows } = await target().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.${singleName} WHERE label LIKE 'v2-%'`,
    );
    assert.equal(rows[0]!.n, 2600);
    assert.ok(await inSync(singleName));
  });
});
