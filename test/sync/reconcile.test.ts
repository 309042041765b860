/**
 * Reconciliation without realtime: every change reaches the target within one interval, keyset
 * paging by (version, key) neither skips nor loops on rows sharing one timestamp, the lookback
 * window catches a transaction that commits late, SYNC_INITIAL_BACKFILL_MS limits the first copy,
 * and the reconcileNow update reports what the pass did.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import {
  passesComplete,
  reconcileNow,
  startSync,
  table,
  testConfig,
  waitUntilSyncing,
  type RunningSync,
} from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { inSync, waitInSync } from '../support/compare.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);

// Driven by a 1 s interval with small pages (batchSize 10).
const basicName = uniqueName('rc_basic');
const edgeName = uniqueName('rc_edge');
const lateName = uniqueName('rc_late');
const burstName = uniqueName('rc_burst');
const basic = table(basicName, { realtime: false });
const edge = table(edgeName, { realtime: false });
const late = table(lateName, { realtime: false });
const burst = table(burstName, { realtime: false });
// Driven by hand (60 s interval), first copy limited to the last hour.
const windowName = uniqueName('rc_window');
const manualName = uniqueName('rc_manual');
const windowed = table(windowName, { realtime: false });
const manual = table(manualName, { realtime: false });

const ddl = (name: string) => `CREATE TABLE public.${name} (
  id bigint PRIMARY KEY,
  label text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

let fast: RunningSync;
let slow: RunningSync;

async function targetLabel(name: string, id: number): Promise<string | undefined> {
  const { rows } = await target().query<{ label: string }>(`SELECT label FROM public.${name} WHERE id = $1`, [
    id,
  ]);
  return rows[0]?.label;
}

async function targetCount(name: string): Promise<number> {
  const { rows } = await target().query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${name}`);
  return rows[0]!.n;
}

before(async () => {
  for (const name of [basicName, edgeName, lateName, burstName, windowName, manualName]) {
    await source().query(ddl(name));
    await target().query(ddl(name));
  }
  await source().query(
    `INSERT INTO public.${basicName} (id, label) SELECT g, 'seed ' || g FROM generate_series(1, 25) g`,
  );
  await source().query(
    `INSERT INTO public.${windowName} (id, label, updated_at) VALUES
       (1, 'two days old', now() - interval '2 days'),
       (2, 'recent', now() - interval '5 minutes'),
       (3, 'just now', now())`,
  );
  await source().query(
    `INSERT INTO public.${manualName} (id, label) SELECT g, 'seed ' || g FROM generate_series(1, 20) g`,
  );

  // In the publication all the same: a feed would subscribe if one were (wrongly) started.
  await source().query(`ALTER PUBLICATION supabase_realtime ADD TABLE public.${basicName}`);
  fast = await startSync(
    testConfig([basic, edge, late, burst], {
      realtime: false,
      reconcile: { intervalMs: 1000, batchSize: 10 },
    }),
  );
  slow = await startSync(
    testConfig([windowed, manual], {
      realtime: false,
      reconcile: { intervalMs: 60_000, initialBackfillMs: 3600_000 },
    }),
  );
  await Promise.all([
    ...[basic, edge, late, burst].map((t) => waitUntilSyncing(fast, t, { realtime: false })),
    ...[windowed, manual].map((t) => waitUntilSyncing(slow, t, { realtime: false })),
  ]);
});

after(async () => {
  await fast?.close();
  await slow?.close();
  await closeDatabases();
});

describe('reconciliation (realtime off)', () => {
  test('the first run copies the whole table, page by page', async () => {
    const status = await fast.status(basic);
    assert.equal(status.initialCopy.mode, 'full');
    assert.equal(status.initialCopy.rowsCopied, 25);
    assert.equal(status.realtime.enabled, false);
    assert.ok(await inSync(basicName));
  });

  test('with realtime off, no realtime feed runs', async () => {
    const start = (await fast.status(basic)).passes;
    const status = await waitFor(async () => {
      const s = await fast.status(basic);
      return s.passes >= start + 2 ? s : undefined;
    });
    assert.equal(status.realtime.enabled, false);
    assert.equal(status.realtime.subscriptions, 0);
    assert.equal(status.realtime.connected, false);
  });

  test('an insert reaches the target within one interval', async () => {
    await source().query(`INSERT INTO public.${basicName} (id, label) VALUES (1001, 'inserted')`);
    await waitFor(async () => (await targetLabel(basicName, 1001)) === 'inserted', {
      timeoutMs: 3000,
      message: 'the insert did not arrive within 3 s',
    });
  });

  test('an update reaches the target within one interval', async () => {
    await source().query(`UPDATE public.${basicName} SET label = 'updated', updated_at = now() WHERE id = 3`);
    await waitFor(async () => (await targetLabel(basicName, 3)) === 'updated', {
      timeoutMs: 3000,
      message: 'the update did not arrive within 3 s',
    });
  });

  test('a delete reaches the target within one interval', async () => {
    await source().query(`DELETE FROM public.${basicName} WHERE id IN (4, 5)`);
    await waitFor(
      async () =>
        (await targetLabel(basicName, 4)) === undefined && (await targetLabel(basicName, 5)) === undefined,
      {
        timeoutMs: 3000,
        message: 'the delete did not arrive within 3 s',
      },
    );
    await waitInSync(basicName, { timeoutMs: 3000, what: 'after insert, update and delete' });
  });

  test('a burst of TRUNCATEs longer than a batch: the one after it reaches the target within seconds', async () => {
    // batchSize 10: the burst's ten entries stay the ledger's oldest while they settle (30 s).
    for (let i = 0; i < 10; i++) await source().query(`TRUNCATE public.${burstName}`);
    await source().query(`INSERT INTO public.${burstName} (id, label) VALUES (1, 'after ten truncates')`);
    await waitFor(async () => (await targetLabel(burstName, 1)) === 'after ten truncates', {
      timeoutMs: 5000,
      message: 'the row written after the burst did not arrive within 5 s',
    });
    await source().query(`TRUNCATE public.${burstName}`);
    await waitFor(async () => (await targetCount(burstName)) === 0, {
      timeoutMs: 5000,
      message: 'the TRUNCATE after the burst did not reach the target within 5 s',
    });
  });

  test('rows sharing one updated_at across page edges are all copied and the pass ends', async () => {
    // 35 rows with one timestamp (one statement: now() is the same for all), pages of 10.
    await source().query(
      `INSERT INTO public.${edgeName} (id, label) SELECT g, 'same ts ' || g FROM generate_series(1, 35) g`,
    );
    await waitFor(async () => (await targetCount(edgeName)) === 35, {
      timeoutMs: 3000,
      message: async () => `expected 35 rows on the target, found ${await targetCount(edgeName)}`,
    });
    // 15 more with another shared timestamp: 50 in all, an exact multiple of the page size.
    await source().query(
      `INSERT INTO public.${edgeName} (id, label) SELECT g, 'second ts ' || g FROM generate_series(36, 50) g`,
    );
    // And an update that gives 12 rows (interleaved ids) one more shared timestamp.
    await source().query(
      `UPDATE public.${edgeName} SET label = label || ' (updated)', updated_at = now() WHERE id % 4 = 0`,
    );
    await waitInSync(edgeName, { timeoutMs: 3000, what: 'rows sharing a timestamp' });
    // Passes keep completing (none reads forever), each reading every row in the lookback window once.
    await passesComplete(fast, edge, 2);
    const status = await fast.status(edge);
    assert.equal(status.lastPass?.ok, true, JSON.stringify(status.lastPass));
    assert.equal(status.lastPass?.rowsRead, 50);
    assert.equal(status.lastPass?.written, 0);
    assert.equal(status.lastError, null);
  });

  test('a transaction that commits after a pass passed its timestamp still arrives (lookback)', async () => {
    const client: pg.PoolClient = await source().connect();
    try {
      await client.query('BEGIN');
      // now() is the transaction's start: this row's version is older than anything committed after.
      await client.query(`INSERT INTO public.${lateName} (id, label, updated_at) VALUES (1, 'late', now())`);
      // A newer row committed meanwhile moves the reconcile cursor past the late row's version.
      await source().query(
        `INSERT INTO public.${lateName} (id, label, updated_at) VALUES (2, 'on time', now())`,
      );
      await waitFor(async () => (await targetLabel(lateName, 2)) === 'on time', {
        timeoutMs: 3000,
        message: 'row 2 did not arrive',
      });
      await passesComplete(fast, late, 1);
      const { rows } = await source().query<{ ahead: boolean }>(
        `SELECT $1::timestamptz > (SELECT updated_at FROM public.${lateName} WHERE id = 2) - interval '1 microsecond' AS ahead`,
        [(await fast.status(late)).reconcileCursor],
      );
      assert.equal(rows[0]?.ahead, true, 'the cursor should have passed the late row');
      assert.equal(await targetLabel(lateName, 1), undefined);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    await waitFor(async () => (await targetLabel(lateName, 1)) === 'late', {
      timeoutMs: 3000,
      message: 'the late commit did not arrive within 3 s',
    });
    await waitInSync(lateName, { timeoutMs: 3000, what: 'after the late commit' });
  });

  test('SYNC_INITIAL_BACKFILL_MS: the first run copies only rows changed within the window', async () => {
    const status = await slow.status(windowed);
    assert.equal(status.initialCopy.mode, 'window');
    assert.equal(status.initialCopy.done, true);
    assert.equal(status.initialCopy.rowsCopied, 2);
    const { rows } = await target().query<{ id: string }>(
      `SELECT id::text FROM public.${windowName} ORDER BY id`,
    );
    assert.deepEqual(
      rows.map((r) => r.id),
      ['2', '3'],
    );
    // Later passes read from the checkpoint (minus the lookback), not the whole table.
    const pass = await reconcileNow(slow, windowed);
    assert.equal(pass.ok, true, JSON.stringify(pass));
    assert.equal(await targetLabel(windowName, 1), undefined);
    // Once the old row changes, it is copied like any other.
    await source().query(
      `UPDATE public.${windowName} SET label = 'touched', updated_at = now() WHERE id = 1`,
    );
    const second = await reconcileNow(slow, windowed);
    assert.equal(second.pass?.written, 1, JSON.stringify(second));
    assert.equal(await targetLabel(windowName, 1), 'touched');
    assert.ok(await inSync(windowName));
  });

  test('the reconcileNow update returns the pass it ran, with matching counts', async () => {
    assert.ok(await inSync(manualName));
    await source().query(
      `INSERT INTO public.${manualName} (id, label) SELECT g, 'new ' || g FROM generate_series(101, 105) g`,
    );
    await source().query(
      `UPDATE public.${manualName} SET label = 'changed', updated_at = now() WHERE id IN (1, 2, 3)`,
    );
    await source().query(`DELETE FROM public.${manualName} WHERE id IN (19, 20)`);
    // Nothing runs on its own for a minute: the target still has the old rows.
    assert.equal(await targetCount(manualName), 20);

    const result = await reconcileNow(slow, manual);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.table, `public.${manualName}`);
    const pass = result.pass!;
    assert.equal(pass.kind, 'manual');
    // Every row is within the lookback window: 23 read, the 8 changed ones written, the rest skipped.
    assert.equal(pass.rowsRead, 23);
    assert.equal(pass.written, 8);
    assert.equal(pass.skipped, 15);
    assert.equal(pass.deletesReplayed, 2);
    assert.equal(pass.deleted, 2);
    assert.ok(pass.finishedAt >= pass.startedAt);
    assert.ok(await inSync(manualName));

    // Again: nothing left to do.
    const again = (await reconcileNow(slow, manual)).pass!;
    assert.deepEqual(
      {
        read: again.rowsRead,
        written: again.written,
        skipped: again.skipped,
        replayed: again.deletesReplayed,
        deleted: again.deleted,
      },
      { read: 23, written: 0, skipped: 23, replayed: 0, deleted: 0 },
    );
    const status = await slow.status(manual);
    assert.equal(status.lastPass?.kind, 'manual');
    assert.equal(status.counters.ledgerDeleted, 2);
  });
});
