/**
 * `supabase-sync schema diff [TABLE…]`: the configured tables compared on both projects, with the
 * SQL that makes the target match; exit 0 when equal, 1 when not. No worker needed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { closeDatabases, createTestSchema, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { CliEnv, show } from './cli.js';

const stack = testStack();
const equal = uniqueName('sd_equal');
const drifted = uniqueName('sd_drift');
const missing = uniqueName('sd_missing');
let cli: CliEnv;
const ns = uniqueName('sd');

before(async () => {
  await createTestSchema(ns, [stack.source.databaseUrl, stack.target.databaseUrl]);
  const base = (t: string) =>
    `CREATE TABLE ${ns}.${t} (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, note text, updated_at timestamptz NOT NULL DEFAULT now())`;
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    await db(url).query(base(equal));
    await db(url).query(base(drifted));
  }
  await db(stack.source.databaseUrl).query(base(missing));
  // Drift: a column added on the source, a type changed there, a unique index the target lacks.
  await db(stack.source.databaseUrl).query(
    `ALTER TABLE ${ns}.${drifted} ADD COLUMN plan text NOT NULL DEFAULT 'free'`,
  );
  await db(stack.source.databaseUrl).query(
    `ALTER TABLE ${ns}.${drifted} ALTER COLUMN note TYPE varchar(200)`,
  );
  await db(stack.target.databaseUrl).query(
    `ALTER TABLE ${ns}.${drifted} DROP CONSTRAINT ${drifted}_email_key`,
  );
  cli = await CliEnv.create(
    'unused',
    [equal, drifted, missing].map((t) => `${ns}.${t}`),
  );
});

after(async () => {
  await cli?.remove();
  await closeDatabases();
});

test('equal tables: "equal", exit 0', async () => {
  const r = await cli.run(['schema', 'diff', `${ns}.${equal}`]);
  assert.equal(r.code, 0, show(r));
  assert.equal(
    r.stdout,
    `${ns}.${equal}: equal\npolicies, privileges, functions, views, triggers, types: equal\n`,
  );
});

test('drifted and missing tables: each difference, then the SQL for the target; exit 1; applying it makes them equal', async () => {
  const r = await cli.run(['schema', 'diff']);
  assert.equal(r.code, 1, show(r));
  const out = r.stdout;
  assert.match(out, new RegExp(`${ns}\\.${drifted}: 3 difference\\(s\\), 2 stopping the sync of the table`));
  assert.match(
    out,
    new RegExp(`! column plan \\(text\\) of ${ns}\\.${drifted} is on the source but not on the target`),
  );
  assert.match(
    out,
    new RegExp(
      `! column ${ns}\\.${drifted}\\.note is character varying\\(200\\) on the source but text on the target`,
    ),
  );
  assert.match(
    out,
    new RegExp(
      `- unique constraint ${drifted}_email_key \\(email\\) of ${ns}\\.${drifted} is on the source but not on the target`,
    ),
  );
  assert.match(out, new RegExp(`${ns}\\.${missing}: 1 difference\\(s\\), 1 stopping the sync of the table`));
  const sql = out.split(/-- SQL that makes the target match the source \(run it on the target.*\n/)[1]!;
  assert.ok(sql, show(r));
  // The SQL is what it says: run on the target, the projects are equal.
  const c = new pg.Client({ connectionString: stack.target.databaseUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
  const again = await cli.run(['schema', 'diff', `${ns}.${drifted}`, `${ns}.${missing}`, '--json']);
  assert.equal(again.code, 0, show(again));
  const json = JSON.parse(again.stdout) as {
    tables: Array<{ table: string; differences: unknown[] }>;
    objects: unknown[];
    sql: string[];
  };
  assert.deepEqual(json.objects, []);
  assert.deepEqual(json.sql, []);
  assert.deepEqual(
    json.tables.map((t) => [t.table, t.differences.length]),
    [
      [`${ns}.${drifted}`, 0],
      [`${ns}.${missing}`, 0],
    ],
  );
});

test('a table not in the tables file: one line, exit 2 (usage)', async () => {
  const r = await cli.run(['schema', 'diff', 'nope']);
  assert.equal(r.code, 2, show(r));
  assert.match(r.said, /^supabase-sync: table "nope" is not in .*tables\.json/);
});
