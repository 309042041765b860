/**
 * A project migrated before the apply functions were split out of
 * 20251120120000_create_sync_deletions_table.sql (test/fixtures/migrations-before-split: the
 * migrations as they were) upgrades with `migrate --apply`: only the files it lacks are applied,
 * the recorded versions stay, and the sync writes to it before and after (through the functions of
 * each version).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startSupabaseApi, type SupabaseApi } from '../../devstack/api.js';
import { bootstrapDatabase } from '../../devstack/bootstrap.js';
import { makeServiceRoleKey, newJwtSecret } from '../../devstack/keys.js';
import { freePort } from '../../devstack/ports.js';
import { applyMigrations, listMigrations } from '../../src/supabase/migrations.js';
import { connectTarget } from '../../src/supabase/target.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';
import { CliEnv, show } from './cli.js';

const stack = testStack();
const database = uniqueName('cli_upgrade');
const beforeSplit = fileURLToPath(new URL('../fixtures/migrations-before-split/', import.meta.url));
const table = { schema: 'public', table: 'orders', primaryKeys: ['id'] };
let cli: CliEnv;
let url: string;
let api: SupabaseApi;
let serviceRoleKey: string;

async function rows(): Promise<Array<{ id: string; note: string }>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (
      await c.query<{ id: string; note: string }>('SELECT id::text, note FROM public.orders ORDER BY id')
    ).rows;
  } finally {
    await c.end();
  }
}

before(async () => {
  cli = await CliEnv.create('unused', ['unused']);
  await db(stack.target.databaseUrl).query(`CREATE DATABASE ${database}`);
  const u = new URL(stack.target.databaseUrl);
  u.pathname = `/${database}`;
  url = u.toString();
  const admin = new URL(stack.target.adminDatabaseUrl);
  admin.pathname = `/${database}`;
  await bootstrapDatabase({ adminUrl: admin.toString() });
  assert.deepEqual(
    (await applyMigrations(url, beforeSplit)).map((m) => m.version),
    ['20251120120000', '20251124120000'],
  );
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(
    'CREATE TABLE public.orders (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL)',
  );
  await c.end();
  const secret = newJwtSecret();
  api = await startSupabaseApi({ databaseUrl: url, jwtSecret: secret, port: await freePort() });
  serviceRoleKey = makeServiceRoleKey(secret);
});

after(async () => {
  await api?.close();
  // The API's sessions (other roles, which postgres may not terminate) end a moment after its pool
  // closed them: the drop is retried until they are gone.
  await waitFor(
    () =>
      db(stack.target.databaseUrl)
        .query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
        .then(() => true),
    { timeoutMs: 15_000, message: `database ${database} could not be dropped` },
  );
  await cli?.remove();
  await closeDatabases();
});

test('migrate --apply on a project migrated before the split applies only the apply functions; writes keep working', async () => {
  const target = connectTarget({ url: api.url, serviceRoleKey });
  const row = (id: number, note: string) => ({ id, note, updated_at: `2026-01-31T12:00:0${id}+00:00` });
  assert.deepEqual(await target.applyUpserts(table, 'updated_at', [row(1, 'before')]), {
    written: 1,
    skipped: 0,
  });

  const upgrade = await cli.run(['migrate', '--apply', '--db-url', url]);
  assert.equal(upgrade.code, 0, show(upgrade));
  const lines = upgrade.stdout.trimEnd().split('\n');
  // The apply functions split out then, and every migration since, in order.
  const since = (await listMigrations())
    .filter((m) => m.version > '20251124120000')
    .map((m) => `${m.version}_${m.name}`);
  assert.equal(since[0], '20251125120000_sync_apply_functions');
  assert.deepEqual(
    lines.slice(0, -1).map((l) => /^applied (\S+) to postgres:\/\/postgres:\*\*\*@/.exec(l)?.[1]),
    since,
    show(upgrade),
  );
  assert.match(lines.at(-1)!, new RegExp(`: ${since.length} migration\\(s\\) applied, 2 already there$`));

  assert.deepEqual(await target.applyUpserts(table, 'updated_at', [row(1, 'after'), row(2, 'new')]), {
    written: 2,
    skipped: 0,
  });
  assert.deepEqual(
    await target.applyDeletes(table, 'updated_at', [{ id: 2, _deleted_at: '2026-01-31T13:00:00Z' }]),
    {
      deleted: 1,
    },
  );
  assert.deepEqual(await rows(), [{ id: '1', note: 'after' }]);

  const again = await cli.run(['migrate', '--apply', '--db-url', url]);
  assert.match(
    again.stdout,
    new RegExp(`: up to date \\(${since.length + 2} migration\\(s\\) already applied\\)\\n$`),
    show(again),
  );
});
