/**
 * The feeds' writes of many tables in one request (supabase/migrations/20261208140000_sync_apply_many.sql,
 * src/activities/apply-batches.ts), through the real target adapter on the local stack: the same
 * rows and counts as one call per table on app-shaped tables (a composite key, an enum, an ALWAYS
 * identity column, RLS), the version guard, a unique conflict reported per call, a call the target
 * refuses failing alone with the single call's error, and the writes of a worker's feeds asked
 * together sent as one request. Then a worker of several tables end to end, one of which cannot be
 * written: its status says why and the others keep arriving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplyBatches } from '../../src/activities/apply-batches.js';
import { SyncError, type Row, type TableRef, type TargetProject } from '../../src/contracts/ports.js';
import { connectTarget } from '../../src/supabase/target.js';
import { closeDatabases, db, tableSnapshot, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const notes = Array.from({ length: 4 }, () => uniqueName('am_notes'));
const members = uniqueName('am_members');
const handles = uniqueName('am_handles');
let target: TargetProject;

const ref = (t: string): TableRef => ({ schema: 'public', table: t, primaryKeys: ['id'] });
const membersRef: TableRef = { schema: 'public', table: members, primaryKeys: ['org_id', 'user_id'] };
const handlesRef = ref(handles);
const ORG = '7b0c2a44-52c6-4c59-9d0e-1f6f0f3c6a11';

const notesDdl = (n: string) =>
  `CREATE TABLE public.${n} (id bigint PRIMARY KEY, title text NOT NULL, updated_at timestamptz NOT NULL);
   ALTER TABLE public.${n} ENABLE ROW LEVEL SECURITY;
   CREATE POLICY ${n}_read ON public.${n} FOR SELECT TO authenticated USING (true);
   GRANT SELECT, INSERT, UPDATE, DELETE ON public.${n} TO service_role;`;
const membersDdl = `CREATE TYPE public.${members}_role AS ENUM ('owner', 'member');
  CREATE TABLE public.${members} (org_id uuid, user_id bigint GENERATED ALWAYS AS IDENTITY,
    role public.${members}_role NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (org_id, user_id));
  GRANT SELECT, INSERT, UPDATE, DELETE ON public.${members} TO service_role;`;
const handlesDdl = `CREATE TABLE public.${handles} (id bigint PRIMARY KEY, handle text NOT NULL UNIQUE, updated_at timestamptz NOT NULL);
  GRANT SELECT, INSERT, UPDATE, DELETE ON public.${handles} TO service_role;`;

const note = (id: number, title: string, at: string): Row => ({ id, title, updated_at: at });
const T1 = '2026-12-08T10:00:00.000Z';
const T2 = '2026-12-08T11:00:00.000Z';

before(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    for (const n of notes) await db(url).query(notesDdl(n));
    await db(url).query(membersDdl);
    await db(url).query(handlesDdl);
  }
  target = connectTarget({ url: stack.target.url, serviceRoleKey: stack.target.serviceRoleKey });
});

after(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    for (const n of notes) await db(url).query(`DROP TABLE IF EXISTS public.${n}`);
    await db(url).query(
      `DROP TABLE IF EXISTS public.${members}; DROP TYPE IF EXISTS public.${members}_role; DROP TABLE IF EXISTS public.${handles}`,
    );
  }
  await closeDatabases();
});

describe('sync_apply_upserts_many', () => {
  test('each call written as one call alone would: counts, the version guard, an ALWAYS identity key', async () => {
    await db(stack.target.databaseUrl).query(
      `INSERT INTO public.${notes[1]} (id, title, updated_at) VALUES (1, 'newer on the target', $1)`,
      [T2],
    );
    const results = await target.applyUpsertsMany!([
      { ref: ref(notes[0]!), versionColumn: 'updated_at', rows: [note(1, 'a', T1), note(2, 'b', T1)] },
      { ref: ref(notes[1]!), versionColumn: 'updated_at', rows: [note(1, 'stale', T1), note(2, 'c', T1)] },
      {
        ref: membersRef,
        versionColumn: 'updated_at',
        rows: [{ org_id: ORG, user_id: 41, role: 'owner', updated_at: T1 }],
      },
    ]);
    assert.deepEqual(results, [
      { written: 2, skipped: 0 },
      { written: 1, skipped: 1 },
      { written: 1, skipped: 0 },
    ]);
    const titles = await db(stack.target.databaseUrl).query(
      `SELECT id, title FROM public.${notes[1]} ORDER BY id`,
    );
    assert.deepEqual(titles.rows, [
      { id: '1', title: 'newer on the target' },
      { id: '2', title: 'c' },
    ]);
    const m = await db(stack.target.databaseUrl).query(`SELECT user_id, role::text FROM public.${members}`);
    assert.deepEqual(m.rows, [{ user_id: '41', role: 'owner' }]);
  });

  test('a unique conflict is reported for its call; a refused call fails alone, the others are written', async () => {
    await db(stack.target.databaseUrl).query(
      `INSERT INTO public.${handles} (id, handle, updated_at) VALUES (1, 'ada', $1)`,
      [T1],
    );
    const results = await target.applyUpsertsMany!([
      { ref: handlesRef, versionColumn: 'updated_at', rows: [{ id: 2, handle: 'ada', updated_at: T2 }] },
      {
        ref: ref(notes[2]!),
        versionColumn: 'updated_at',
        rows: [{ id: 1, title: 'x', updated_at: 'not a time' }],
      },
      { ref: ref(notes[3]!), versionColumn: 'updated_at', rows: [note(1, 'kept', T1)] },
    ]);
    assert.equal((results[0] as { conflict?: string }).conflict, `${handles}_handle_key`);
    assert.deepEqual(results[1], { error: '22007' });
    assert.deepEqual(results[2], { written: 1, skipped: 0 });
    assert.equal((await db(stack.target.databaseUrl).query(`SELECT 1 FROM public.${notes[2]}`)).rowCount, 0);
  });
});

describe('ApplyBatches', () => {
  function counted(t: TargetProject) {
    const many: number[] = [];
    const single: string[] = [];
    const spy: Pick<TargetProject, 'applyUpserts' | 'applyUpsertsMany'> = {
      applyUpserts: (r, v, rows) => (single.push(r.table), t.applyUpserts(r, v, rows)),
      applyUpsertsMany: (calls) => (many.push(calls.length), t.applyUpsertsMany!(calls)),
    };
    return { many, single, spy };
  }
  const logger = { info: () => undefined };

  test("the writes of a worker's feeds asked together go as one request, each gets its own result", async () => {
    const c = counted(target);
    const batches = new ApplyBatches(c.spy, logger);
    const tables = notes.map(ref);
    const results = await Promise.all(
      tables.map((t, i) => batches.apply(t, 'updated_at', [note(100 + i, `gathered ${i}`, T2)])),
    );
    assert.deepEqual(c.many, [4]);
    assert.deepEqual(c.single, []);
    assert.deepEqual(
      results,
      tables.map(() => ({ written: 1, skipped: 0 })),
    );
    for (const [i, n] of notes.entries()) {
      const r = await db(stack.target.databaseUrl).query<{ title: string }>(
        `SELECT title FROM public.${n} WHERE id = $1`,
        [100 + i],
      );
      assert.equal(r.rows[0]?.title, `gathered ${i}`);
    }
  });

  test("a refused call is sent again alone and rejects with that call's error; the others resolve", async () => {
    const c = counted(target);
    const batches = new ApplyBatches(c.spy, logger);
    const [ok, bad] = await Promise.allSettled([
      batches.apply(ref(notes[0]!), 'updated_at', [note(200, 'fine', T2)]),
      batches.apply(ref(`${notes[1]}_absent`), 'updated_at', [note(1, 'nowhere', T2)]),
    ]);
    assert.deepEqual(c.many, [2]);
    assert.deepEqual(c.single, [`${notes[1]}_absent`]);
    assert.deepEqual(ok, { status: 'fulfilled', value: { written: 1, skipped: 0 } });
    assert.equal(bad.status, 'rejected');
    assert.ok(bad.reason instanceof SyncError);
    assert.match(bad.reason.message, new RegExp(`table public\\.${notes[1]}_absent does not exist`));
  });

  test('a target without the function: every call alone, said once in the log', async () => {
    const lines: string[] = [];
    const single: string[] = [];
    const batches = new ApplyBatches(
      {
        applyUpserts: (r, v, rows) => (single.push(r.table), target.applyUpserts(r, v, rows)),
        applyUpsertsMany: () =>
          Promise.reject(
            new SyncError('target project: the supabase-sync functions are missing', 'migration'),
          ),
      },
      { info: (line: string) => void lines.push(line) },
    );
    const write = () =>
      Promise.all(
        notes.slice(0, 2).map((n, i) => batches.apply(ref(n), 'updated_at', [note(300 + i, 'x', T2)])),
      );
    await write();
    await write();
    assert.equal(single.length, 4);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /each table's changes in a request of its own: .*functions are missing/);
  });
});

describe('a worker of several tables', () => {
  let sync: RunningSync;
  const live = notes.slice(0, 3).map((n) => table(n));
  const broken = table(notes[3]!);

  after(async () => sync?.close());

  test('changes to all its tables at once arrive; a table the target refuses says why, the others keep going', async () => {
    // The target's copy of the last table has the title as an integer: its writes are refused.
    // What the tests above wrote to the target only goes; the last table's copy there has a check
    // the source's has not (one a schema check does not stop at), so its third round is refused.
    await db(stack.target.databaseUrl).query(
      `TRUNCATE ${notes.map((n) => `public.${n}`).join(', ')};
       ALTER TABLE public.${notes[3]} ADD CONSTRAINT ${notes[3]}_no_round_2 CHECK (title <> 'round 2')`,
    );
    sync = await startSync(testConfig([...live, broken], { reconcile: { intervalMs: 60_000 } }));
    for (const t of live) await waitUntilSyncing(sync, t);
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        notes.map((n) =>
          db(stack.source.databaseUrl).query(
            `INSERT INTO public.${n} (id, title, updated_at) SELECT 1000 + g + $1 * 10, 'round ' || $1, clock_timestamp() FROM generate_series(1, 5) g`,
            [round],
          ),
        ),
      );
    }
    for (const n of notes.slice(0, 3)) {
      await waitFor(
        async () =>
          JSON.stringify(await tableSnapshot(stack.target.databaseUrl, `public.${n}`, ['id'])) ===
          JSON.stringify(await tableSnapshot(stack.source.databaseUrl, `public.${n}`, ['id'])),
        { timeoutMs: 15_000, message: `${n} did not converge` },
      );
    }
    const status = await waitFor(
      async () => {
        const s = await sync.status(broken);
        return s.lastError ? s : undefined;
      },
      { timeoutMs: 20_000, message: `${notes[3]} never said why it cannot sync` },
    );
    assert.match(
      status.lastError!.message,
      new RegExp(`writing rows on public\\.${notes[3]} failed \\(HTTP 400 23514\\)`),
    );
    assert.equal(
      (await db(stack.target.databaseUrl).query(`SELECT 1 FROM public.${notes[3]} WHERE title = 'round 2'`))
        .rowCount,
      0,
    );
  });
});
