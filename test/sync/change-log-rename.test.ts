/**
 * The change log of a table without a version column follows a rename: its trigger function names
 * the table it logs for, so turning the log on under the new name writes the triggers again (not
 * "kept" with the old name's function, which would log under a name no feed reads), the old
 * function goes, and so do the entries logged under a name no table has any more.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectSource } from '../../src/supabase/source.js';
import type { SourceProject } from '../../src/contracts/ports.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { table, testConfig } from '../support/sync.js';

const stack = testStack();
const before_ = uniqueName('tags_old');
const renamed = uniqueName('tags_new');
const key = ['post_id', 'tag'];
let source: SourceProject;
const sql = () => db(stack.source.databaseUrl);

before(async () => {
  await sql().query(`CREATE TABLE public.${before_} (post_id bigint, tag text, PRIMARY KEY (post_id, tag))`);
  await sql().query(`GRANT ALL ON public.${before_} TO service_role`);
  source = connectSource(testConfig([table(before_, { primaryKeys: key })]).source);
});

after(async () => {
  await closeDatabases();
});

const logged = async (name: string) =>
  Number(
    (
      await sql().query<{ n: string }>(
        `SELECT count(*) AS n FROM public.sync_changes WHERE schema_name = 'public' AND table_name = $1`,
        [name],
      )
    ).rows[0]!.n,
  );
const logFunctions = async () =>
  (
    await sql().query<{ f: string }>(
      `SELECT DISTINCT p.proname AS f FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE t.tgrelid = $1::regclass AND t.tgname IN ('sync_track_inserts', 'sync_track_updates')`,
      [`public.${renamed}`],
    )
  ).rows.map((r) => r.f);

test('a renamed table: the log is written again under its new name, the old function and entries go', async () => {
  assert.equal(await source.trackChanges(table(before_, { primaryKeys: key }), true), 'created');
  await sql().query(`INSERT INTO public.${before_} VALUES (1, 'a')`);
  assert.equal(await logged(before_), 1);
  const [oldFn] = (
    await sql().query<{ f: string }>(
      `SELECT DISTINCT p.proname AS f FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE t.tgrelid = $1::regclass AND t.tgname = 'sync_track_inserts'`,
      [`public.${before_}`],
    )
  ).rows.map((r) => r.f);
  assert.ok(oldFn);

  await sql().query(`ALTER TABLE public.${before_} RENAME TO ${renamed}`);
  const ref = table(renamed, { primaryKeys: key });
  assert.equal(await source.trackChanges(ref, true), 'created', 'not kept with the old name');
  assert.equal(await source.trackChanges(ref, true), 'kept', 'and kept the next time');
  const fns = await logFunctions();
  assert.equal(fns.length, 1);
  assert.notEqual(fns[0], oldFn);
  const left = await sql().query(`SELECT 1 FROM pg_proc WHERE proname = $1`, [oldFn]);
  assert.equal(left.rowCount, 0, 'the old name’s function is dropped');
  assert.equal(await logged(before_), 0, 'entries under a name no table has are forgotten');

  await sql().query(`INSERT INTO public.${renamed} VALUES (2, 'b')`);
  await sql().query(`UPDATE public.${renamed} SET tag = 'c' WHERE post_id = 2`);
  assert.equal(await logged(renamed), 2, 'an insert and an update logged under the new name');

  assert.equal(await source.trackChanges(ref, false), 'removed');
  assert.deepEqual(await logFunctions(), []);
  await sql().query(`INSERT INTO public.${renamed} VALUES (3, 'd')`);
  assert.equal(await logged(renamed), 0);
});
