/**
 * Apply semantics on the target, rule by rule: a stale version never overwrites a newer one, a row
 * deleted on the source never stays (tombstones), re-applying the same version writes nothing, the
 * target's own triggers never fire for the sync's writes, and deletions committed out of ledger-id
 * order are all replayed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { connectSource } from '../../src/supabase/source.js';
import { connectTarget } from '../../src/supabase/target.js';
import type { TableRef } from '../../src/contracts/ports.js';
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
import { waitInSync } from '../support/compare.js';

const stack = testStack();
// These tests check which rows end up on the target, not how fast (realtime.test.ts does): 3 s for a
// change through the feed was exceeded on a loaded machine (load average 14 on 2 cores).
const ARRIVAL_MS = 10_000;
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);

const directName = uniqueName('ar_direct');
// Realtime + a reconcile pass every second, in small pages.
const versionsName = uniqueName('ar_versions');
const deletesName = uniqueName('ar_deletes');
const triggersName = uniqueName('ar_triggers');
const versions = table(versionsName);
const deletes = table(deletesName);
const triggers = table(triggersName);
// Realtime off, passes driven by hand (60 s interval).
const sameName = uniqueName('ar_same');
const ledgerName = uniqueName('ar_ledger');
const same = table(sameName, { realtime: false });
const ledger = table(ledgerName, { realtime: false });

const ddl = (name: string) => `CREATE TABLE public.${name} (
  id bigint PRIMARY KEY,
  label text NOT NULL,
  note text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

let live: RunningSync;
let manual: RunningSync;

async function targetRow(name: string, id: number) {
  const { rows } = await target().query<{ label: string; note: string; updated_at: string; xmin: string }>(
    `SELECT label, note, updated_at::text, xmin::text FROM public.${name} WHERE id = $1`,
    [id],
  );
  return rows[0];
}

before(async () => {
  await target().query(ddl(directName));
  for (const name of [versionsName, deletesName, triggersName, sameName, ledgerName]) {
    await source().query(ddl(name));
    await target().query(ddl(name));
  }
  await source().query(
    `INSERT INTO public.${versionsName} (id, label) SELECT g, 'v0' FROM generate_series(1, 20) g`,
  );
  await source().query(
    `INSERT INTO public.${deletesName} (id, label) SELECT g, 'seed' FROM generate_series(1, 600) g`,
  );
  await source().query(
    `INSERT INTO public.${sameName} (id, label) SELECT g, 'seed ' || g FROM generate_series(1, 10) g`,
  );
  await source().query(
    `INSERT INTO public.${ledgerName} (id, label) SELECT g, 'seed ' || g FROM generate_series(1, 10) g`,
  );

  // The target's own application logic: an updated_at stamper that also edits a column, an audit
  // trigger, and the deletion ledger's trigger. None of them may fire for the sync's writes.
  await target().query(`
    CREATE TABLE public.${triggersName}_audit (at timestamptz NOT NULL DEFAULT clock_timestamp(), op text NOT NULL, id bigint);
    CREATE FUNCTION public.${triggersName}_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now();
      NEW.note := NEW.note || ' [stamped on target]';
      RETURN NEW;
    END $$;
    CREATE FUNCTION public.${triggersName}_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO public.${triggersName}_audit (op, id) VALUES (TG_OP, coalesce(NEW.id, OLD.id));
      RETURN NULL;
    END $$;
    CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON public.${triggersName} FOR EACH ROW EXECUTE FUNCTION public.${triggersName}_stamp();
    CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON public.${triggersName} FOR EACH ROW EXECUTE FUNCTION public.${triggersName}_audit();
  `);
  await target().query(`SELECT public.sync_enable_table('public', $1, array['id'], false)`, [triggersName]);
  await source().query(
    `INSERT INTO public.${triggersName} (id, label, note) SELECT g, 'seed', 'from source' FROM generate_series(1, 30) g`,
  );

  live = await startSync(
    testConfig([versions, deletes, triggers], { reconcile: { intervalMs: 1000, batchSize: 50 } }),
  );
  manual = await startSync(
    testConfig([same, ledger], { realtime: false, reconcile: { intervalMs: 60_000 } }),
  );
  await Promise.all([
    ...[versions, deletes, triggers].map((t) => waitUntilSyncing(live, t)),
    ...[same, ledger].map((t) => waitUntilSyncing(manual, t, { realtime: false })),
  ]);
});

after(async () => {
  await live?.close();
  await manual?.close();
  await closeDatabases();
});

describe('a stale version never overwrites a newer one', () => {
  const ref: TableRef = { schema: 'public', table: directName, primaryKeys: ['id'] };
  const t1 = '2026-01-01T10:00:00.000001+00:00';
  const t2 = '2026-01-01T10:00:00.000002+00:00';
  const t3 = '2026-01-01T11:00:00+00:00';
  const t4 = '2026-01-01T12:00:00+00:00';

  test('through the target API: an older updated_at after a newer one is skipped', async () => {
    const api = connectTarget({ url: stack.target.url, serviceRoleKey: stack.target.serviceRoleKey });
    assert.deepEqual(
      await api.applyUpserts(ref, 'updated_at', [{ id: 1, label: 'newer', note: '', updated_at: t2 }]),
      { written: 1, skipped: 0 },
    );
    assert.deepEqual(
      await api.applyUpserts(ref, 'updated_at', [{ id: 1, label: 'older', note: '', updated_at: t1 }]),
      { written: 0, skipped: 1 },
    );
    assert.equal((await targetRow(directName, 1))?.label, 'newer');
    // Within one batch too: whatever the order, the newest wins.
    const r = await api.applyUpserts(ref, 'updated_at', [
      { id: 1, label: 'oldest', note: '', updated_at: '2025-12-31T00:00:00+00:00' },
      { id: 2, label: 'two', note: '', updated_at: t1 },
    ]);
    assert.deepEqual(r, { written: 1, skipped: 1 });
    assert.equal((await targetRow(directName, 1))?.label, 'newer');
    assert.equal((await targetRow(directName, 2))?.label, 'two');
  });

  test('through the target API: a delete leaves a tombstone that a stale copy cannot pass', async () => {
    const api = connectTarget({ url: stack.target.url, serviceRoleKey: stack.target.serviceRoleKey });
    await api.applyUpserts(ref, 'updated_at', [{ id: 3, label: 'alive', note: '', updated_at: t2 }]);
    assert.deepEqual(await api.applyDeletes(ref, 'updated_at', [{ id: 3, _deleted_at: t3 }]), { deleted: 1 });
    assert.equal(await targetRow(directName, 3), undefined);
    // A copy read before the delete (version t2 < t3) arrives late: it is skipped.
    assert.deepEqual(
      await api.applyUpserts(ref, 'updated_at', [{ id: 3, label: 'alive', note: '', updated_at: t2 }]),
      { written: 0, skipped: 1 },
    );
    assert.equal(await targetRow(directName, 3), undefined);
    // A re-insert on the source after the delete (version t4 > t3) comes back.
    assert.deepEqual(
      await api.applyUpserts(ref, 'updated_at', [{ id: 3, label: 'reborn', note: '', updated_at: t4 }]),
      { written: 1, skipped: 0 },
    );
    assert.equal((await targetRow(directName, 3))?.label, 'reborn');
    // A delete older than the row it finds (the row was re-inserted later) keeps the row.
    assert.deepEqual(await api.applyDeletes(ref, 'updated_at', [{ id: 3, _deleted_at: t3 }]), { deleted: 0 });
    assert.equal((await targetRow(directName, 3))?.label, 'reborn');
  });

  test('through the target API: one batch may name a key twice (ledger: deleted, re-inserted, deleted)', async () => {
    // Found by the chaos suite: the tombstone upsert failed with "ON CONFLICT DO UPDATE command
    // cannot affect row a second time", and deletion replay of that table failed on every pass.
    const api = connectTarget({ url: stack.target.url, serviceRoleKey: stack.target.serviceRoleKey });
    await api.applyUpserts(ref, 'updated_at', [{ id: 5, label: 'alive', note: '', updated_at: t1 }]);
    assert.deepEqual(
      await api.applyDeletes(ref, 'updated_at', [
        { id: 5, _deleted_at: t2 },
        { id: 6, _deleted_at: t2 },
        { id: 5, _deleted_at: t3 },
      ]),
      { deleted: 1 },
    );
    const { rows } = await target().query<{ newest: boolean }>(
      `SELECT deleted_at = $2::timestamptz AS newest FROM public.sync_tombstones WHERE table_name = $1 AND primary_key = '{"id": 5}'`,
      [directName, t3],
    );
    assert.deepEqual(rows, [{ newest: true }], 'one tombstone, the newest delete');
  });

  test('end to end: quick successive updates end at the last version', async () => {
    for (let round = 1; round <= 10; round++) {
      await source().query(`UPDATE public.${versionsName} SET label = $1, updated_at = now() WHERE id = 1`, [
        `v${round}`,
      ]);
      await source().query(
        `UPDATE public.${versionsName} SET label = $1, updated_at = now() WHERE id BETWEEN 2 AND 20`,
        [`v${round}`],
      );
    }
    await waitInSync(versionsName, { timeoutMs: 5000, what: 'after 10 quick updates' });
    assert.equal((await targetRow(versionsName, 1))?.label, 'v10');
    // Reconcile passes and the feed keep running; nothing older comes back.
    await passesComplete(live, versions, 2);
    await waitInSync(versionsName, { timeoutMs: 1000, what: 'after two more passes' });
  });
});

describe('a row deleted on the source never stays in the target', () => {
  test('rows deleted right after an update burst, while passes read them, are gone for good', async () => {
    for (let round = 0; round < 3; round++) {
      await source().query(`UPDATE public.${deletesName} SET label = $1, updated_at = now()`, [
        `burst ${round}`,
      ]);
      await source().query(`DELETE FROM public.${deletesName} WHERE id % 10 = $1`, [round]);
    }
    await waitInSync(deletesName, { timeoutMs: 8000, what: 'after updates and deletes' });
    await passesComplete(live, deletes, 2);
    await waitInSync(deletesName, { timeoutMs: 1000, what: 'after two more passes' });
    const { rows } = await target().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.${deletesName}`,
    );
    assert.equal(rows[0]?.n, 420);
  });

  test('a row re-inserted on the source after its delete comes back', async () => {
    await source().query(`DELETE FROM public.${deletesName} WHERE id = 555`);
    await waitFor(async () => (await targetRow(deletesName, 555)) === undefined, {
      timeoutMs: ARRIVAL_MS,
      message: 'the delete did not arrive',
    });
    await source().query(`INSERT INTO public.${deletesName} (id, label) VALUES (555, 'back again')`);
    await waitFor(async () => (await targetRow(deletesName, 555))?.label === 'back again', {
      timeoutMs: ARRIVAL_MS,
      message: 'the re-inserted row did not arrive',
    });
    await waitInSync(deletesName, { timeoutMs: ARRIVAL_MS, what: 'after the re-insert' });
  });
});

describe('a row that exists on the source is never deleted from the target', () => {
  test('a row deleted and re-inserted in one transaction stays (realtime and ledger replay)', async () => {
    const client: pg.PoolClient = await source().connect();
    try {
      await client.query('BEGIN');
      await client.query(`DELETE FROM public.${deletesName} WHERE id BETWEEN 500 AND 509`);
      await client.query(
        `INSERT INTO public.${deletesName} (id, label) SELECT g, 'replaced in one transaction' FROM generate_series(500, 509) g`,
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await waitFor(async () => (await targetRow(deletesName, 505))?.label === 'replaced in one transaction', {
      timeoutMs: ARRIVAL_MS,
      message: 'the replaced rows did not arrive',
    });
    // The ledger holds deletes for these keys: replaying them must not remove the new rows.
    await passesComplete(live, deletes, 2);
    await waitInSync(deletesName, {
      timeoutMs: ARRIVAL_MS,
      what: 'after delete + re-insert in one transaction',
    });
  });

  test('the same through reconciliation and ledger replay alone (realtime off)', async () => {
    const client: pg.PoolClient = await source().connect();
    try {
      await client.query('BEGIN');
      await client.query(`DELETE FROM public.${ledgerName} WHERE id IN (8, 9)`);
      await client.query(`INSERT INTO public.${ledgerName} (id, label) VALUES (8, 'again'), (9, 'again')`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const first = await reconcileNow(manual, ledger);
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.equal(first.pass?.deletesReplayed, 2);
    assert.equal(first.pass?.deleted, 0);
    const second = await reconcileNow(manual, ledger);
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.equal((await targetRow(ledgerName, 8))?.label, 'again');
    assert.equal((await targetRow(ledgerName, 9))?.label, 'again');
  });
});

describe('a row re-inserted by a transaction that began before the delete', () => {
  // Its updated_at (the transaction's start) is older than the delete: found by the chaos suite.
  async function reinsertAcrossDelete(name: string, id: number): Promise<void> {
    const early: pg.PoolClient = await source().connect();
    try {
      await early.query('BEGIN');
      await early.query('SELECT now()'); // the transaction's now() is fixed here
      await source().query(`DELETE FROM public.${name} WHERE id = $1`, [id]);
      await early.query(`INSERT INTO public.${name} (id, label) VALUES ($1, 'older stamp, newer row')`, [id]);
      await early.query('COMMIT');
    } finally {
      early.release();
    }
  }

  test('arrives through realtime: its commit is newer than the delete', async () => {
    await reinsertAcrossDelete(deletesName, 600);
    await waitFor(async () => (await targetRow(deletesName, 600))?.label === 'older stamp, newer row', {
      timeoutMs: 5000,
      message: 'the re-inserted row was held off the target',
    });
    await waitInSync(deletesName, { timeoutMs: ARRIVAL_MS, what: 'after a re-insert across a delete' });
  });

  test('arrives through reconciliation once the tombstone no longer guards reads in flight', async () => {
    const early: pg.PoolClient = await source().connect();
    try {
      await early.query('BEGIN');
      await early.query('SELECT now()');
      await source().query(`DELETE FROM public.${ledgerName} WHERE id = 6`);
      const first = await reconcileNow(manual, ledger); // replays the delete: a tombstone on the target
      assert.equal(first.pass?.deleted, 1, JSON.stringify(first));
      await early.query(`INSERT INTO public.${ledgerName} (id, label) VALUES (6, 'older stamp, newer row')`);
      await early.query('COMMIT');
    } finally {
      early.release();
    }
    // Within two minutes of the delete the tombstone holds back rows stamped before it.
    const second = await reconcileNow(manual, ledger);
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.equal(await targetRow(ledgerName, 6), undefined);
    // Later, no copy read before the delete can still be in flight: the row is let through.
    await target().query(
      `UPDATE public.sync_tombstones SET recorded_at = recorded_at - interval '3 minutes' WHERE table_name = $1`,
      [ledgerName],
    );
    const third = await reconcileNow(manual, ledger);
    assert.equal(third.ok, true, JSON.stringify(third));
    assert.equal((await targetRow(ledgerName, 6))?.label, 'older stamp, newer row');
  });
});

describe('re-applying what the target already holds writes nothing', () => {
  test('a pass that re-reads unchanged rows leaves them untouched (same xmin)', async () => {
    const before = await targetRow(sameName, 4);
    assert.ok(before);
    const result = await reconcileNow(manual, same);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.pass?.rowsRead, 10);
    assert.equal(result.pass?.written, 0);
    assert.equal(result.pass?.skipped, 10);
    assert.equal((await targetRow(sameName, 4))?.xmin, before.xmin);
  });

  test('applyUpserts of the rows as the source API returns them writes 0', async () => {
    const ref: TableRef = { schema: 'public', table: sameName, primaryKeys: ['id'] };
    const rows = await connectSource({
      url: stack.source.url,
      serviceRoleKey: stack.source.serviceRoleKey,
    }).readByKey(ref, null, 100);
    assert.equal(rows.length, 10);
    const xmins = (
      await target().query<{ x: string }>(`SELECT xmin::text AS x FROM public.${sameName} ORDER BY id`)
    ).rows;
    const api = connectTarget({ url: stack.target.url, serviceRoleKey: stack.target.serviceRoleKey });
    assert.deepEqual(await api.applyUpserts(ref, 'updated_at', rows), { written: 0, skipped: 10 });
    assert.deepEqual(
      (await target().query<{ x: string }>(`SELECT xmin::text AS x FROM public.${sameName} ORDER BY id`))
        .rows,
      xmins,
    );
  });
});

describe("the target holds the source's values exactly", () => {
  test("the target's triggers (stamper, audit, deletion ledger) do not fire for the sync's writes", async () => {
    await waitInSync(triggersName, { timeoutMs: ARRIVAL_MS, what: 'after the first copy' });
    await source().query(
      `INSERT INTO public.${triggersName} (id, label, note) SELECT g, 'new', 'inserted' FROM generate_series(31, 40) g`,
    );
    await source().query(
      `UPDATE public.${triggersName} SET label = 'changed', note = 'updated', updated_at = now() WHERE id <= 10`,
    );
    await source().query(`DELETE FROM public.${triggersName} WHERE id BETWEEN 21 AND 25`);
    await waitInSync(triggersName, { timeoutMs: 5000, what: 'after inserts, updates and deletes' });
    // Reconcile passes ran over the same rows as the feed: still exact.
    await passesComplete(live, triggers, 2);
    await waitInSync(triggersName, { timeoutMs: 1000, what: 'after two more passes' });
    const audit = await target().query(`SELECT * FROM public.${triggersName}_audit`);
    assert.deepEqual(audit.rows, []);
    const ledgerRows = await target().query(`SELECT * FROM public.sync_deletions WHERE table_name = $1`, [
      triggersName,
    ]);
    assert.deepEqual(ledgerRows.rows, []);
    // The triggers do work for the target's own writes (the test would prove nothing otherwise).
    await target().query(`UPDATE public.${triggersName} SET label = 'local' WHERE id = 40`);
    assert.match((await targetRow(triggersName, 40))!.note, /stamped on target/);
    assert.equal((await target().query(`SELECT * FROM public.${triggersName}_audit`)).rowCount, 1);
  });
});

describe('deletion replay', () => {
  test('a delete that commits after a later ledger entry is still replayed', async () => {
    const t1: pg.PoolClient = await source().connect();
    try {
      await t1.query('BEGIN');
      await t1.query(`DELETE FROM public.${ledgerName} WHERE id = 1`);
      // T2 deletes row 2 and commits: its ledger id is greater than T1's.
      await source().query(`DELETE FROM public.${ledgerName} WHERE id = 2`);
      const ids = await t1.query<{ id: string; pk: string }>(
        `SELECT id::text, primary_key->>'id' AS pk FROM public.sync_deletions WHERE table_name = $1 AND processed_at IS NULL ORDER BY id`,
        [ledgerName],
      );
      assert.deepEqual(
        ids.rows.map((r) => r.pk),
        ['1', '2'],
        'T1 sees its own entry and T2 committed one, in id order',
      );

      const first = await reconcileNow(manual, ledger);
      assert.equal(first.ok, true, JSON.stringify(first));
      assert.equal(first.pass?.deletesReplayed, 1);
      assert.equal(await targetRow(ledgerName, 2), undefined);
      assert.ok(await targetRow(ledgerName, 1), 'row 1 is not deleted yet: T1 has not committed');

      await t1.query('COMMIT');
    } catch (error) {
      await t1.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      t1.release();
    }
    const second = await reconcileNow(manual, ledger);
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.equal(second.pass?.deletesReplayed, 1);
    assert.equal(second.pass?.deleted, 1);
    assert.equal(await targetRow(ledgerName, 1), undefined);
    await waitInSync(ledgerName, { timeoutMs: 1000, what: 'after both deletes' });
    const pending = await source().query(
      `SELECT id FROM public.sync_deletions WHERE table_name = $1 AND processed_at IS NULL`,
      [ledgerName],
    );
    assert.equal(pending.rowCount, 0);
  });
});
