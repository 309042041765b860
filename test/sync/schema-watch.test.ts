/**
 * Drift of the app while `npm run sync` runs (issue 21 item 4): with a 1 s schema watch, a policy
 * added and a grant revoked on the source show within seconds as one log line each with the SQL that
 * makes the target match, in `supabase_sync_schema_differences` and in `status` (plain and --json);
 * fixed on the target, they go. No workflow, activity, signal or query is added per table: the watch
 * is in the worker process (src/engine/schema-watch.ts). Its own schema (`app_<suffix>`), so other
 * test files' objects stay out of its comparison.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '../../devstack/ports.js';
import { CliEnv, show, stopSync, untilLogged, type SyncRun } from '../cli/cli.js';
import { appAccess, appDdl, runSql } from '../support/app-access.js';
import { closeDatabases, uniqueName } from '../support/db.js';
import { metricValue, parsePrometheus, scrape } from '../support/prometheus.js';
import { testStack } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const app = appAccess(uniqueName('sw'));
const METRIC = 'supabase_sync_schema_differences';
/** From the change on the source to its line, metric and status: a few watch intervals. */
const DEADLINE_MS = 20_000;
let cli: CliEnv;
let run: SyncRun | undefined;
let address: string;

async function differences(): Promise<number | undefined> {
  return metricValue(parsePrometheus(await scrape(address)), METRIC);
}

async function metricIs(n: number): Promise<void> {
  let last: number | undefined;
  await waitFor(
    async () => {
      last = await differences();
      return last === n;
    },
    { timeoutMs: DEADLINE_MS, message: () => `${METRIC} = ${last} (want ${n})\n${run?.output()}` },
  );
}

before(async () => {
  // The same app on both projects: nothing differs at first.
  await runSql(stack.source.databaseUrl, appDdl(app));
  await runSql(stack.target.databaseUrl, appDdl(app));
  cli = await CliEnv.create(
    uniqueName('schema-watch'),
    app.tables.map((t) => ({ ...t, realtime: false })),
  );
  address = `127.0.0.1:${await freePort()}`;
  run = cli.startSync([], { SYNC_SCHEMA_WATCH_INTERVAL_MS: '1000', SYNC_METRICS_ADDRESS: address });
  await untilLogged(run, /schema watch: the app's policies, privileges, functions/);
});

after(async () => {
  if (run) await stopSync(run);
  await cli?.remove();
  await closeDatabases();
});

test('a policy added and a grant revoked on the source: a line each with the SQL, the metric, status', async () => {
  await metricIs(0);
  const posts = app.posts;
  await runSql(
    stack.source.databaseUrl,
    `CREATE POLICY "authors delete their posts" ON ${posts} FOR DELETE TO authenticated USING (author_id = (SELECT auth.uid()));
     REVOKE UPDATE ON ${posts} FROM authenticated;`,
  );
  const began = Date.now();
  await untilLogged(
    run!,
    new RegExp(
      `schema drift: policy \\\\"authors delete their posts\\\\" on ${posts} is missing on the target; to make the target match, run on it: CREATE POLICY \\\\"authors delete their posts\\\\" ON ${posts} AS PERMISSIVE FOR DELETE TO authenticated USING`,
    ),
    DEADLINE_MS,
  );
  await untilLogged(
    run!,
    new RegExp(
      `schema drift: privileges of authenticated on table ${posts}: INSERT, SELECT on the source, INSERT, SELECT, UPDATE on the target; to make the target match, run on it: REVOKE UPDATE ON TABLE ${posts} FROM authenticated;`,
    ),
    DEADLINE_MS,
  );
  await metricIs(2);
  assert.ok(Date.now() - began < DEADLINE_MS, `${Date.now() - began} ms`);
  // One line per difference: the next looks say nothing more of them.
  const lines = () =>
    run!
      .output()
      .split('\n')
      .filter((l) => l.includes('authors delete their posts'));
  assert.equal(lines().length, 1, lines().join('\n'));
  assert.ok(lines().every((l) => (JSON.parse(l) as { level: string }).level === 'warn'));

  const status = await cli.run(['status']);
  assert.equal(status.code, 0, show(status));
  const text = status.stdout.split('\n');
  assert.ok(
    text.includes(
      "schema: 2 of the app's objects (policies, privileges, functions, views, triggers, types, indexes) differ on the target:",
    ),
    show(status),
  );
  assert.ok(
    text.includes(`  policy "authors delete their posts" on ${posts} is missing on the target`),
    show(status),
  );
  assert.ok(
    text.includes(
      `  privileges of authenticated on table ${posts}: INSERT, SELECT on the source, INSERT, SELECT, UPDATE on the target`,
    ),
    show(status),
  );
  const json = await cli.run(['status', '--json']);
  assert.equal(json.code, 0, show(json));
  const objects = (
    JSON.parse(json.stdout) as Array<{ object?: string; state: string; sql?: string[] }>
  ).filter((e) => e.state === 'differs');
  assert.deepEqual(objects.map((o) => o.object).sort(), [
    `policy "authors delete their posts" on ${posts}`,
    `privileges of authenticated on table ${posts}`,
  ]);
  assert.deepEqual(objects.find((o) => o.object!.startsWith('privileges'))?.sql, [
    `REVOKE UPDATE ON TABLE ${posts} FROM authenticated;`,
  ]);
});

test('fixed on the target: a line each that it matches again, the metric back to 0, status quiet', async () => {
  await runSql(
    stack.target.databaseUrl,
    `CREATE POLICY "authors delete their posts" ON ${app.posts} FOR DELETE TO authenticated USING (author_id = (SELECT auth.uid()));
     REVOKE UPDATE ON ${app.posts} FROM authenticated;`,
  );
  await untilLogged(
    run!,
    new RegExp(
      `schema drift: policy \\\\"authors delete their posts\\\\" on ${app.posts} matches the source again`,
    ),
    DEADLINE_MS,
  );
  await metricIs(0);
  const status = await cli.run(['status']);
  assert.equal(status.code, 0, show(status));
  assert.ok(!status.stdout.includes("of the app's objects"), show(status));
});
