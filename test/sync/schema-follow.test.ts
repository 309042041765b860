/**
 * `"schema": {"follow": true}` (issue 21 item 4): while `npm run sync` runs, a policy, a function and
 * a column added on the source reach the target by themselves (through SYNC_TARGET_DATABASE_URL, as
 * the non-superuser `postgres`), and rows with the new column follow; a policy dropped and a grant
 * revoked on the source are NOT applied: they stay differences, in the log and in `status`. Follow
 * without the database URL is a one-line configuration error. Its own schema (`app_<suffix>`).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CliEnv, show, stopSync, untilLogged, type SyncRun } from '../cli/cli.js';
import { appAccess, appDdl, runSql } from '../support/app-access.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const app = appAccess(uniqueName('sf'));
const DEADLINE_MS = 20_000;
let cli: CliEnv;
let run: SyncRun | undefined;

const target = () => db(stack.target.databaseUrl);

async function exists(sql: string, params: unknown[]): Promise<boolean> {
  return ((await target().query(sql, params)).rowCount ?? 0) > 0;
}

const policyOnTarget = (table: string, name: string) =>
  exists('SELECT 1 FROM pg_policies WHERE schemaname = $1 AND tablename = $2 AND policyname = $3', [
    app.schema,
    table,
    name,
  ]);

before(async () => {
  await runSql(stack.source.databaseUrl, appDdl(app));
  await runSql(stack.target.databaseUrl, appDdl(app));
  cli = await CliEnv.create(uniqueName('schema-follow'), []);
  await writeFile(
    path.join(cli.dir, 'tables.json'),
    JSON.stringify({ tables: app.tables.map((t) => ({ ...t, realtime: false })), schema: { follow: true } }),
  );
});

after(async () => {
  if (run) await stopSync(run);
  await cli?.remove();
  await closeDatabases();
});

test('follow without SYNC_TARGET_DATABASE_URL: one line naming the key and the variable, exit 2', async () => {
  const refused = cli.startSync();
  const code = await refused.exited;
  assert.equal(code, 2, refused.output());
  const lines = refused.output().trim().split('\n');
  assert.equal(lines.length, 1, refused.output());
  assert.match(
    lines[0]!,
    /^supabase-sync: .*tables\.json: schema\.follow is true but SYNC_TARGET_DATABASE_URL is not set: set it to the target's database URL/,
  );
});

test('a policy, a function and a column added on the source reach the target; a drop and a revoke do not', async () => {
  run = cli.startSync([], {
    SYNC_SCHEMA_WATCH_INTERVAL_MS: '1000',
    SYNC_TARGET_DATABASE_URL: stack.target.databaseUrl,
  });
  await untilLogged(run, /schema\.follow applies what the source adds/);
  const s = app.schema;
  await runSql(
    stack.source.databaseUrl,
    `CREATE POLICY "authors delete their posts" ON ${app.posts} FOR DELETE TO authenticated USING (author_id = (SELECT auth.uid()));
     CREATE FUNCTION ${s}.title_length(p_post uuid) RETURNS integer LANGUAGE sql STABLE SET search_path = '' AS $$
       SELECT length(title) FROM ${app.posts} WHERE id = p_post
     $$;
     ALTER TABLE ${app.posts} ADD COLUMN subtitle text;
     DROP POLICY "comments are public" ON ${app.comments};
     REVOKE UPDATE ON ${app.posts} FROM authenticated;`,
  );
  await waitFor(
    async () =>
      (await policyOnTarget('posts', 'authors delete their posts')) &&
      (await exists(
        'SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2',
        [s, 'title_length'],
      )) &&
      (await exists(
        'SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3',
        [s, 'posts', 'subtitle'],
      )),
    { timeoutMs: DEADLINE_MS, message: () => run!.output() },
  );
  for (const applied of [
    `policy \\\\"authors delete their posts\\\\" on ${app.posts}: CREATE POLICY`,
    `function ${s}.title_length\\(p_post uuid\\): CREATE OR REPLACE FUNCTION`,
    `${app.posts}: subtitle: ALTER TABLE ${app.posts} ADD COLUMN subtitle text;`,
  ]) {
    await untilLogged(run, new RegExp(`schema follow: applied to the target: ${applied}`), DEADLINE_MS);
  }
  // Never a drop, never a revoke: the policy and the grant stay on the target, as differences.
  assert.equal(await policyOnTarget('comments', 'comments are public'), true);
  const { rows } = await target().query<{ ok: boolean }>(
    `SELECT has_table_privilege('authenticated', $1, 'UPDATE') AS ok`,
    [app.posts],
  );
  assert.equal(rows[0]?.ok, true);
  await untilLogged(
    run,
    new RegExp(
      `schema drift: policy \\\\"comments are public\\\\" on ${app.comments} is only on the target; to make the target match, run on it: DROP POLICY .*schema\\.follow applies only what is missing on the target`,
    ),
    DEADLINE_MS,
  );
  const password = decodeURIComponent(new URL(stack.target.databaseUrl).password);
  if (password) assert.ok(!run.output().includes(password), 'the database password is never logged');

  // What is left: exactly the drop and the revoke (the function came with its grants).
  const json = await cli.run(['status', '--json'], { SYNC_TARGET_DATABASE_URL: stack.target.databaseUrl });
  assert.equal(json.code, 0, show(json));
  const objects = (JSON.parse(json.stdout) as Array<{ object?: string; state: string }>)
    .filter((e) => e.state === 'differs')
    .map((e) => e.object)
    .sort();
  assert.deepEqual(objects, [
    `policy "comments are public" on ${app.comments}`,
    `privileges of authenticated on table ${app.posts}`,
  ]);
});

test('rows with the new column reach the target', async () => {
  await runSql(
    stack.source.databaseUrl,
    `INSERT INTO ${app.posts} (author_id, title, subtitle) VALUES (gen_random_uuid(), 'followed', 'by its column')`,
  );
  await waitFor(
    async () =>
      (
        await target().query(
          `SELECT 1 FROM ${app.posts} WHERE title = 'followed' AND subtitle = 'by its column'`,
        )
      ).rowCount === 1,
    { timeoutMs: 30_000, message: () => run!.output() },
  );
});
