/**
 * The direct path (SYNC_SOURCE_DATABASE_URL and SYNC_TARGET_DATABASE_URL: the projects' `postgres`
 * URLs, as a user gives them): the first copy goes by COPY between the databases, cut into key
 * ranges copied in parallel (small ranges here, so every table is cut). An app's schema copied
 * while the app writes and the feed runs, with a target trigger that stays silent; a newer row on
 * the target kept; a unique conflict sent through the Data API, which resolves it; a composite key
 * (and an enum array, in the text format); `backfill --full` through the merge;
 * a copy that fails midway resumes from its heartbeat without losing or counting a row twice;
 * `verify` through the databases; and without the URLs the Data API copies, as before.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { DirectDatabases, DirectTarget } from '../../src/contracts/direct-ports.js';
import type { TableConfig } from '../../src/contracts/config.js';
import { sendRequest } from '../../src/cli/requests.js';
import type { Target } from '../../src/cli/targets.js';
import { connectDirect } from '../../src/supabase/direct.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import { backfillUpdate } from '../../src/workflows/messages.js';
import { AppChurn, appSchema, createAppSchema } from '../support/app-schema.js';
import { waitInSync } from '../support/compare.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { holdDuringFile } from '../support/resource-lock.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { verifyUntilEqual } from '../support/verify-until-equal.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);

/** The databases as a user configures them (`postgres`, not the superuser), with small ranges. */
function direct(rowsPerRange: number, parallel = 3): DirectDatabases {
  const d = connectDirect({
    sourceDatabaseUrl: stack.source.databaseUrl,
    targetDatabaseUrl: stack.target.databaseUrl,
    directParallel: parallel,
  })!;
  return { ...d, rowsPerRange };
}

/** The worker's log lines that name the path a whole-table read took. */
function pathLines(sync: RunningSync, path: 'direct' | 'api'): string[] {
  return sync.logs.lines.filter((l) => (JSON.parse(l) as { path?: string }).path === path);
}

// The app's seed adds users to auth.users: not while a file compares all of it.
holdDuringFile('auth.users', 'shared');

after(closeDatabases);

describe('an app copied by COPY while it writes and the feed runs', () => {
  const s = appSchema(`dc_${randomBytes(3).toString('hex')}`);
  // In a schema of its own on the target only: no other file's readiness compares it.
  const fireSchema = `fire_${s.suffix}`;
  const fired = `${fireSchema}.fired`;
  let sync: RunningSync;
  let churn: AppChurn;

  before(async () => {
    await createAppSchema(s, [stack.source.databaseUrl, stack.target.databaseUrl]);
    // On the target, a trigger that would record every write it sees: the copy must not fire it.
    await target().query(`CREATE SCHEMA ${fireSchema}; CREATE TABLE ${fired} (at timestamptz DEFAULT now());
      CREATE FUNCTION ${fireSchema}.fire() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO ${fired} DEFAULT VALUES; RETURN NEW; END $$;
      CREATE TRIGGER fire AFTER INSERT OR UPDATE ON ${s.members} FOR EACH ROW EXECUTE FUNCTION ${fireSchema}.fire();
      CREATE TRIGGER fire AFTER INSERT OR UPDATE ON ${s.invoices} FOR EACH ROW EXECUTE FUNCTION ${fireSchema}.fire();`);
    churn = new AppChurn(s, source(), 5);
    await churn.seed(12);
    sync = await startSync(testConfig(s.tables, { logLevel: 'info' }), { direct: direct(7) });
  });

  after(async () => {
    await sync?.close();
    await target().query(`DROP SCHEMA IF EXISTS ${fireSchema} CASCADE`);
  });

  test('every table equals the source, the target trigger never fired, the log names the direct path', async () => {
    // The app keeps writing (swaps, reuses and renames of unique values, cascades) during the copy.
    let copying = true;
    const writes = (async () => {
      while (copying) await churn.step();
    })();
    try {
      for (const t of s.tables) await waitUntilSyncing(sync, t, { timeoutMs: 60_000 });
    } finally {
      copying = false;
      await writes;
    }
    for (const t of s.tables) {
      await waitInSync(t.qualifiedName, { key: s.keys[t.qualifiedName], timeoutMs: 30_000 });
    }
    const { rows } = await target().query<{ n: number }>(`SELECT count(*)::int AS n FROM ${fired}`);
    assert.equal(rows[0]!.n, 0, 'a target trigger fired during the sync');
    assert.equal(pathLines(sync, 'direct').length, s.tables.length, pathLines(sync, 'direct').join('\n'));
    assert.equal(pathLines(sync, 'api').length, 0);
    for (const t of s.tables) {
      const status = await sync.status(t);
      assert.ok(status.initialCopy.rowsCopied > 0 || t.qualifiedName === s.audit, t.qualifiedName);
    }
  });

  test('verify compares through the databases and finds them equal', async () => {
    // The rows are equal already; the sequences the last writes moved follow within seconds.
    await verifyUntilEqual(sync, s.tables, `verify-${s.suffix}`);
  });
});

describe('the guarantees of the API path', () => {
  const notes = table(uniqueName('dc_notes'), { realtime: false });
  const people = table(uniqueName('dc_people'), { realtime: false });
  const pairs = table(uniqueName('dc_pairs'), { realtime: false, primaryKeys: ['tenant', 'n'] });
  let sync: RunningSync;

  before(async () => {
    const notesDdl = `CREATE TABLE public.${notes.table} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`;
    const peopleDdl = `CREATE TABLE public.${people.table} (id int PRIMARY KEY, email text NOT NULL UNIQUE, updated_at timestamptz NOT NULL DEFAULT now())`;
    // An array of an enum: its binary form holds the type's oid, which differs between the two
    // databases, so this table goes in COPY's text format.
    const pairsDdl = `CREATE TYPE public.${pairs.table}_mood AS ENUM ('calm', 'busy');
      CREATE TABLE public.${pairs.table} (tenant text, n int, val numeric, moods public.${pairs.table}_mood[],
        updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant, n))`;
    for (const pool of [source(), target()]) await pool.query(`${notesDdl}; ${peopleDdl}; ${pairsDdl}`);
    await source().query(
      `INSERT INTO public.${notes.table} (id, note) SELECT g, 'row ' || g FROM generate_series(1, 300) g`,
    );
    // Newer on the target than on the source: a copy must not overwrite it.
    await target().query(
      `INSERT INTO public.${notes.table} (id, note, updated_at) VALUES (5, 'newer on the target', now() + interval '1 hour')`,
    );
    // The source gave x@ to 1 and y@ to 2; the target's older copy of 2 still holds x@.
    await source().query(
      `INSERT INTO public.${people.table} (id, email) VALUES (1, 'x@example.com'), (2, 'y@example.com')`,
    );
    await target().query(
      `INSERT INTO public.${people.table} (id, email, updated_at) VALUES (2, 'x@example.com', now() - interval '1 day')`,
    );
    await source().query(
      `INSERT INTO public.${pairs.table} (tenant, n, val, moods)
       SELECT 'tenant-' || (g % 7), g, g * 1.5, ARRAY['calm', 'busy']::public.${pairs.table}_mood[]
         FROM generate_series(1, 500) g`,
    );
    sync = await startSync(testConfig([notes, people, pairs], { realtime: false, logLevel: 'info' }), {
      direct: direct(37),
    });
  });

  after(async () => {
    await sync?.close();
  });

  test('a newer row on the target is not overwritten by the copy', async () => {
    await waitUntilSyncing(sync, notes, { realtime: false, timeoutMs: 30_000 });
    const { rows } = await target().query<{ note: string }>(
      `SELECT note FROM public.${notes.table} WHERE id = 5`,
    );
    assert.equal(rows[0]!.note, 'newer on the target');
    const status = await sync.status(notes);
    assert.equal(status.initialCopy.rowsCopied, 300);
  });

  test('a unique conflict in a copied range goes through the Data API, which resolves it', async () => {
    await waitUntilSyncing(sync, people, { realtime: false, timeoutMs: 30_000 });
    await waitInSync(people.table);
    assert.ok(
      sync.logs.lines.some((l) =>
        l.includes(`unique conflict on ${people.table}_email_key in a copied range`),
      ),
      sync.logs.lines.join('\n'),
    );
  });

  test('a composite key is cut into ranges and copied whole (an enum array: in the text format)', async () => {
    await waitUntilSyncing(sync, pairs, { realtime: false, timeoutMs: 30_000 });
    await waitInSync(pairs.table, { key: ['tenant', 'n'] });
    assert.equal((await sync.status(pairs)).initialCopy.rowsCopied, 500);
  });

  test('backfill --full: the rows the target holds go through the merge; a stale copy there is mended, a newer one kept', async () => {
    await waitUntilSyncing(sync, notes, { realtime: false, timeoutMs: 30_000 });
    // Changed on the target by hand, at an older version than the source's: the backfill mends it.
    await target().query(
      `UPDATE public.${notes.table} SET note = 'stale', updated_at = updated_at - interval '1 day' WHERE id = 7`,
    );
    const t: Target = { name: notes.qualifiedName, workflowId: workflowIdFor(notes) };
    const spec = {
      what: 'backfill',
      update: backfillUpdate.name,
      resultTimeoutMs: 60_000,
      waitingFor: 'the pass',
    };
    await sendRequest(sync.client, t, spec, new AbortController().signal);
    await waitFor(
      async () =>
        (await target().query<{ note: string }>(`SELECT note FROM public.${notes.table} WHERE id = 7`))
          .rows[0]?.note === 'row 7',
      {
        timeoutMs: 30_000,
        message: 'the backfill did not mend the stale row',
      },
    );
    await waitUntilSyncing(sync, notes, { realtime: false, timeoutMs: 30_000 });
    const { rows } = await target().query<{ note: string }>(
      `SELECT note FROM public.${notes.table} WHERE id = 5`,
    );
    assert.equal(rows[0]!.note, 'newer on the target');
    assert.equal((await sync.status(notes)).initialCopy.rowsCopied, 300);
  });
});

describe('a direct copy that fails midway', () => {
  const big = table(uniqueName('dc_retry'), { realtime: false });
  let sync: RunningSync;
  const calls = { copies: 0, failed: false };

  before(async () => {
    await createNotesTable(big.table, 3000);
    // 60 ranges, 2 at once, each slowed to 250 ms (7.5 s at least); once, 6.5 s after the first
    // range began (after the chunk's first heartbeat, 5 s into it), one fails.
    const d = direct(50, 2);
    let started: number | undefined;
    const slow = Object.create(d.target) as DirectTarget;
    slow.copyIn = async (copy) => {
      calls.copies += 1;
      await new Promise((resolve) => setTimeout(resolve, 250));
      started ??= Date.now();
      if (!calls.failed && Date.now() - started > 6500) {
        calls.failed = true;
        throw new Error('the worker died mid-copy (injected)');
      }
      return d.target.copyIn(copy);
    };
    sync = await startSync(testConfig([big], { realtime: false }), { direct: { ...d, target: slow } });
  });

  after(async () => {
    await sync?.close();
  });

  test('the retry resumes from the heartbeat: no row lost, none counted twice, the finished ranges not copied again', async () => {
    await waitUntilSyncing(sync, big, { realtime: false, timeoutMs: 60_000 });
    await waitInSync(big.table);
    assert.ok(calls.failed, `the injected failure did not happen (${calls.copies} range copies)`);
    assert.equal((await sync.status(big)).initialCopy.rowsCopied, 3000);
    // From the start again it would be about 60 + 48 copies.
    assert.ok(calls.copies < 90, `${calls.copies} range copies`);
  });
});

describe('without the database URLs', () => {
  const plain: TableConfig = table(uniqueName('dc_api'), { realtime: false });
  let sync: RunningSync;

  before(async () => {
    await createNotesTable(plain.table, 50);
    sync = await startSync(testConfig([plain], { realtime: false, logLevel: 'debug' }));
  });

  after(async () => {
    await sync?.close();
  });

  test('the Data API copies, as before', async () => {
    await waitUntilSyncing(sync, plain, { realtime: false, timeoutMs: 30_000 });
    await waitInSync(plain.table);
    assert.equal(pathLines(sync, 'direct').length, 0);
    assert.ok(pathLines(sync, 'api').length > 0, 'no log line names the API path');
  });
});
