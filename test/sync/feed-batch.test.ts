/**
 * The feeds' gap checks of many tables in one call (supabase/migrations/20261202160000_sync_feed_batch.sql,
 * src/activities/realtime-versions.ts), through the real source adapter on the local stack: the
 * same keys and versions as one read per table, a shared row budget, a table that cannot be read
 * failing alone, and concurrent checks of a worker's feeds sent as one request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VersionReads } from '../../src/activities/realtime-versions.js';
import type { SourceProject, TableRef, VersionsRequest } from '../../src/contracts/ports.js';
import { connectSource } from '../../src/supabase/source.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';

const stack = testStack();
const notes = Array.from({ length: 3 }, () => uniqueName('fb'));
const members = uniqueName('fb_members');
let source: SourceProject;

const ref = (table: string): TableRef => ({ schema: 'public', table, primaryKeys: ['id'] });
const membersRef: TableRef = { schema: 'public', table: members, primaryKeys: ['org_id', 'user_id'] };
const request = (r: TableRef, limit = 1000, from: string | null = null): VersionsRequest => ({
  ref: r,
  versionColumn: 'updated_at',
  from,
  until: null,
  limit,
});

before(async () => {
  for (const n of notes) await createNotesTable(n, 30);
  const sql = db(stack.source.databaseUrl);
  await sql.query(
    `CREATE TYPE public.${members}_role AS ENUM ('owner', 'member');
     CREATE TABLE public.${members} (org_id uuid, user_id bigint GENERATED ALWAYS AS IDENTITY,
       role public.${members}_role NOT NULL, updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
       PRIMARY KEY (org_id, user_id));
     ALTER TABLE public.${members} ENABLE ROW LEVEL SECURITY;
     INSERT INTO public.${members} (org_id, role)
       SELECT gen_random_uuid(), (ARRAY['owner', 'member'])[1 + g % 2]::public.${members}_role FROM generate_series(1, 12) g;`,
  );
  // Versions that differ row by row.
  for (const n of notes)
    await sql.query(`UPDATE public.${n} SET updated_at = now() - make_interval(secs => id)`);
  source = connectSource({ url: stack.source.url, serviceRoleKey: stack.source.serviceRoleKey });
});

after(async () => {
  const sql = db(stack.source.databaseUrl);
  for (const n of notes) await sql.query(`DROP TABLE IF EXISTS public.${n}`);
  await sql.query(`DROP TABLE IF EXISTS public.${members}; DROP TYPE IF EXISTS public.${members}_role`);
  for (const n of notes) await db(stack.target.databaseUrl).query(`DROP TABLE IF EXISTS public.${n}`);
  await closeDatabases();
});

describe('sync_read_versions_many', () => {
  test('the same keys and versions as one read per table, composite keys included', async () => {
    const tables = [...notes.map(ref), membersRef];
    const many = await source.readVersionsMany(
      tables.map((t) => request(t)),
      10_000,
    );
    for (const [i, t] of tables.entries()) {
      const one = await source.readVersions(t, 'updated_at', null, null, 1000);
      assert.deepEqual(many[i], { versions: one, limit: 1000 }, t.table);
    }
    assert.equal((many[3] as { versions: unknown[] }).versions.length, 12);
    const from = (await source.readVersions(ref(notes[0]!), 'updated_at', null, null, 1000))[20]!.version;
    const [tail] = await source.readVersionsMany([request(ref(notes[0]!), 1000, from)], 10_000);
    assert.equal((tail as { versions: unknown[] }).versions.length, 10);
  });

  test('the budget caps the rows of the whole call: later tables get what is left, then nothing', async () => {
    const answer = await source.readVersionsMany(
      notes.map((n) => request(ref(n), 30)),
      40,
    );
    assert.deepEqual(
      answer.map((a) => ('error' in a ? a.error : [a.versions.length, a.limit])),
      [
        [30, 30],
        [10, 10],
        [0, 0],
      ],
    );
  });

  test('a table that cannot be read fails alone, with the reason', async () => {
    const answer = await source.readVersionsMany(
      [request(ref(notes[0]!)), request(ref(`${notes[1]}_absent`)), request(ref(notes[2]!))],
      10_000,
    );
    assert.equal('versions' in answer[0]! && answer[0].versions.length, 30);
    assert.ok('error' in answer[1]!, JSON.stringify(answer[1]));
    assert.match(answer[1].error, /does not exist/);
    assert.equal('versions' in answer[2]! && answer[2].versions.length, 30);
  });
});

describe('VersionReads', () => {
  /** The real adapter, counting its calls. */
  function counted(): { calls: number[]; source: Pick<SourceProject, 'readVersionsMany'> } {
    const calls: number[] = [];
    return {
      calls,
      source: {
        readVersionsMany: (requests, budget) => {
          calls.push(requests.length);
          return source.readVersionsMany(requests, budget);
        },
      },
    };
  }

  test("the checks of a worker's feeds asked together go as one request, each gets its own listing", async () => {
    const spy = counted();
    const reads = new VersionReads(spy.source);
    const tables = [...notes.map(ref), membersRef];
    const listings = await Promise.all([...tables, ...tables].map((t) => reads.read(request(t))));
    assert.deepEqual(spy.calls, [8]);
    for (const [i, t] of [...tables, ...tables].entries())
      assert.deepEqual(listings[i]!.versions, await source.readVersions(t, 'updated_at', null, null, 1000));
  });

  test('a table the budget did not reach is asked first the next time', async () => {
    const spy = counted();
    const reads = new VersionReads(spy.source, 5, 30);
    const first = await Promise.all(notes.map((n) => reads.read(request(ref(n), 30))));
    assert.deepEqual(
      first.map((l) => l.limit),
      [30, 0, 0],
    );
    const second = await Promise.all(notes.map((n) => reads.read(request(ref(n), 30))));
    assert.deepEqual(
      second.map((l) => l.limit),
      [0, 30, 0],
    );
  });

  test('an unreadable table rejects its own read only', async () => {
    const reads = new VersionReads(source);
    const [ok, bad] = await Promise.allSettled([
      reads.read(request(ref(notes[0]!))),
      reads.read(request(ref(`${notes[0]}_absent`))),
    ]);
    assert.equal(ok.status, 'fulfilled');
    assert.equal(bad.status, 'rejected');
    assert.match(String(bad.reason), /_absent/);
  });
});
