/**
 * `schema diff` over what an app needs besides rows (policies on auth.uid(), grants, functions,
 * triggers, views, types, indexes, the publication) and `schema push`, which makes a bare target
 * match in one transaction, as the non-superuser `postgres`, and never drops data unless asked.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { appAccess, appDdl, bareDdl, runSql } from '../support/app-access.js';
import { CliEnv, show } from './cli.js';

const stack = testStack();
const app = appAccess(uniqueName('sp'));
let cli: CliEnv;

before(async () => {
  await runSql(stack.source.databaseUrl, appDdl(app));
  await runSql(stack.target.databaseUrl, bareDdl(app));
  cli = await CliEnv.create('unused', app.tables);
});

after(async () => {
  await cli?.remove();
  await closeDatabases();
});

function lines(out: string): string[] {
  return out.split('\n');
}

test('a bare target: each missing policy, grant, function, trigger, view, index and type is named; exit 1', async () => {
  const r = await cli.run(['schema', 'diff']);
  assert.equal(r.code, 1, show(r));
  const s = app.schema;
  for (const expected of [
    `table ${app.comments}`,
    `policy "authors read their posts" on ${app.posts} is missing on the target`,
    `policy "no comments on drafts" on ${app.comments} is missing on the target`,
    `row level security of ${app.posts}: enabled on the source, disabled on the target`,
    `privileges of authenticated on table ${app.posts}: INSERT, SELECT, UPDATE on the source, none on the target`,
    `privileges of authenticated on column ${app.comments}.body`,
    `privileges of authenticated on schema ${s}: USAGE on the source, none on the target`,
    `function ${s}.my_post_count() is missing on the target`,
    `schema ${s}_private is missing on the target`,
    `function ${s}_private.owns_post(p_post uuid) is missing on the target`,
    `policy "authors read comments on their posts" on ${app.comments} is missing on the target`,
    `function ${s}.publish(p_post uuid) is missing on the target`,
    `trigger posts_touch on ${app.posts} is missing on the target`,
    `view ${s}.published_posts is missing on the target`,
    `materialized view ${s}.post_counts is missing on the target`,
    `index ${s}.posts_author_idx on ${app.posts} is missing on the target`,
    `constraint comments_post_id_fkey on ${app.comments}`,
    `${app.posts} in publication supabase_realtime is missing on the target`,
  ]) {
    assert.ok(r.stdout.includes(expected), `${expected}\n${show(r)}`);
  }
  // The SQL runs functions before the triggers and policies that call them.
  const sql = r.stdout.slice(r.stdout.indexOf('-- SQL that makes'));
  assert.ok(
    sql.indexOf('CREATE OR REPLACE FUNCTION') < sql.indexOf('CREATE OR REPLACE TRIGGER posts_touch'),
    sql,
  );
  assert.ok(
    sql.indexOf(`CREATE TABLE ${app.comments}`) < sql.indexOf('ADD CONSTRAINT comments_post_id_fkey'),
    sql,
  );
});

test('push --dry-run prints the SQL and applies nothing', async () => {
  const r = await cli.run(['schema', 'push', '--dry-run']);
  assert.equal(r.code, 1, show(r));
  assert.match(r.stdout, /CREATE POLICY "authors read their posts"/);
  const still = await cli.run(['schema', 'diff']);
  assert.equal(still.code, 1, show(still));
});

test('push on the bare target: applied in one transaction, then diff says equal; a second push has nothing to do', async () => {
  const r = await cli.run(['schema', 'push', '--db-url', stack.target.databaseUrl]);
  assert.equal(r.code, 0, show(r));
  assert.ok(lines(r.stdout).includes(`applied: policy "authors read their posts" on ${app.posts}`), show(r));
  assert.match(r.stdout, /the target matches the source/);
  assert.ok(!r.stdout.includes(stack.target.databaseUrl), 'the password stays out of the output');
  const diff = await cli.run(['schema', 'diff']);
  assert.equal(diff.code, 0, show(diff));
  const again = await cli.run(['schema', 'push', '--db-url', stack.target.databaseUrl]);
  assert.equal(again.code, 0, show(again));
  assert.match(again.stdout, /0 change\(s\) applied; the target matches the source/);
});

test('a policy edited on the source is replaced; a column only on the target is kept without --allow-drop', async () => {
  await runSql(
    stack.source.databaseUrl,
    `ALTER POLICY "comments are public" ON ${app.comments} TO authenticated USING (author_id IS NOT NULL)`,
  );
  await runSql(stack.target.databaseUrl, `ALTER TABLE ${app.posts} ADD COLUMN legacy text DEFAULT 'kept'`);
  const diff = await cli.run(['schema', 'diff']);
  assert.equal(diff.code, 1, show(diff));
  assert.match(
    diff.stdout,
    new RegExp(`policy "comments are public" on ${app.comments}: its roles, using differ`),
  );
  const r = await cli.run(['schema', 'push', '--db-url', stack.target.databaseUrl]);
  assert.equal(r.code, 1, show(r));
  assert.ok(lines(r.stdout).includes(`applied: policy "comments are public" on ${app.comments}`), show(r));
  assert.ok(
    lines(r.stdout).includes(
      `not applied: ${app.posts}: legacy: it drops or narrows data (--allow-drop applies it)`,
    ),
    show(r),
  );
  const { rows } = await db(stack.target.databaseUrl).query<{ roles: string[] }>(
    `SELECT policyname, roles::text[] AS roles, qual FROM pg_policies WHERE schemaname = $1 AND policyname = 'comments are public'`,
    [app.schema],
  );
  assert.deepEqual(rows[0]?.roles, ['authenticated']);
  const columns = await db(stack.target.databaseUrl).query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'posts' AND column_name = 'legacy'`,
    [app.schema],
  );
  assert.equal(columns.rowCount, 1, 'the column is still there');
  const dropped = await cli.run(['schema', 'push', '--allow-drop', '--db-url', stack.target.databaseUrl]);
  assert.equal(dropped.code, 0, show(dropped));
});

test('a statement that fails leaves nothing applied and names its object', async () => {
  await runSql(
    stack.source.databaseUrl,
    `CREATE FUNCTION ${app.schema}.word_count(t text) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT array_length(regexp_split_to_array(t, '\\s+'), 1) $$;
     ALTER TABLE ${app.posts} ADD CONSTRAINT short_titles CHECK (length(title) <= 100)`,
  );
  // The target holds a row the new check refuses.
  await runSql(
    stack.target.databaseUrl,
    `INSERT INTO ${app.posts} (author_id, title) VALUES (gen_random_uuid(), repeat('x', 150))`,
  );
  const r = await cli.run(['schema', 'push', '--db-url', stack.target.databaseUrl]);
  assert.equal(r.code, 1, show(r));
  assert.match(
    r.said,
    new RegExp(`constraint short_titles on ${app.posts}: .*violated.*nothing was applied`),
  );
  const { rowCount } = await db(stack.target.databaseUrl).query(
    `SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'word_count'`,
    [app.schema],
  );
  assert.equal(rowCount, 0, 'the function created before it was rolled back');
});

test('the storage policies of a synced bucket are compared and pushed, those of other buckets are not', async () => {
  const bucket = `avatars_${app.schema}`;
  // The row the check of the test before refused goes: the push then has nothing else in its way.
  await runSql(stack.target.databaseUrl, `DELETE FROM ${app.posts} WHERE length(title) > 100`);
  await runSql(
    stack.source.databaseUrl,
    `CREATE POLICY "${bucket} owners read" ON storage.objects FOR SELECT TO authenticated
       USING (bucket_id = '${bucket}' AND owner_id = (SELECT auth.uid())::text);
     CREATE POLICY "${bucket} elsewhere" ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'not_${bucket}')`,
  );
  await writeFile(
    path.join(cli.dir, 'tables.json'),
    JSON.stringify({ tables: app.tables, storage: { buckets: [bucket] } }),
  );
  const diff = await cli.run(['schema', 'diff']);
  assert.equal(diff.code, 1, show(diff));
  assert.match(
    diff.stdout,
    new RegExp(`policy "${bucket} owners read" on storage\\.objects is missing on the target`),
  );
  assert.ok(!diff.stdout.includes(`${bucket} elsewhere`), show(diff));
  const pushed = await cli.run(['schema', 'push', '--allow-drop', '--db-url', stack.target.databaseUrl]);
  assert.ok(
    lines(pushed.stdout).includes(`applied: policy "${bucket} owners read" on storage.objects`),
    show(pushed),
  );
  const { rowCount } = await db(stack.target.databaseUrl).query(
    `SELECT 1 FROM pg_policies WHERE schemaname = 'storage' AND tablename = 'objects' AND policyname = $1`,
    [`${bucket} owners read`],
  );
  assert.equal(rowCount, 1);
});

test('bad usage: one line, exit 2, nothing applied', async () => {
  const none = await cli.run(['schema', 'push']);
  assert.equal(none.code, 2, show(none));
  assert.match(none.said, /^supabase-sync: schema push needs --db-url postgres:\/\/…/);
  const http = await cli.run(['schema', 'push', '--db-url', stack.target.url]);
  assert.equal(http.code, 2, show(http));
  assert.match(http.said, /use a postgres:\/\/ or postgresql:\/\/ URL/);
});
