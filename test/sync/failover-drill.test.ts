/**
 * The failover drill (issue 14, docs/failover.md), end to end on the local stack. The source is
 * reached through a proxy, so that it can be "switched off" without stopping the shared stack:
 * an application writes users, their profiles and orders to the source; `failover check` says not
 * ready while the schema differs, then ready; the source goes away; `failover promote` refuses
 * without --force, then promotes (final pass skipped with a warning, the sync stopped, sequences
 * past the source with a margin); the application writes to the promoted project with default ids
 * and the same users (same password hashes); the old primary comes back (with one write it took
 * after the promote); `failover reverse` reports that row and starts the sync the other way; once
 * that row is merged by hand, both projects are equal.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SyncConfig } from '../../src/contracts/config.js';
import { withAuthTables } from '../../src/config/tables-extras.js';
import { FaultProxy } from '../chaos/proxy.js';
import { CliEnv, show } from '../cli/cli.js';
import { closeDatabases, createTestSchema, db, tableSnapshot, uniqueName } from '../support/db.js';
import { envFileText, testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { holdDuringFile } from '../support/resource-lock.js';

const stack = testStack();
const primaryDb = () => db(stack.source.databaseUrl);
const backupDb = () => db(stack.target.databaseUrl);
// A schema of its own: the readiness check compares every function and view of the tables' schema.
const ns = uniqueName('drill');
const profilesName = uniqueName('drill_profiles');
const ordersName = uniqueName('drill_orders');
const tag = uniqueName('drill');
const tables = withAuthTables([
  table(`${ns}.${profilesName}`, { realtime: false }),
  table(`${ns}.${ordersName}`, { realtime: false }),
]);
const users = Array.from({ length: 3 }, (_, i) => ({
  id: randomUUID(),
  email: `${tag}-${i}@example.test`,
  hash: `$2a$10$${`${tag}${i}`.padEnd(53, 'x')}`,
}));

let proxy: FaultProxy;
let proxyPort = 0;
let forward: RunningSync;
let backward: RunningSync | undefined;
let cli: CliEnv;

async function addUser(pool: ReturnType<typeof db>, u: { id: string; email: string; hash: string }) {
  await pool.query(
    `INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
     VALUES ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, $3, now(), '{"provider":"email"}', '{}', now(), now())`,
    [u.id, u.email, u.hash],
  );
  await pool.query(
    `INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at) VALUES ($1, $2, $3, 'email', now(), now())`,
    [u.id, u.id, { sub: u.id, email: u.email }],
  );
  await pool.query(`INSERT INTO ${ns}.${profilesName} (id, name) VALUES ($1, $2)`, [
    u.id,
    `name of ${u.email}`,
  ]);
}

/** This drill's rows on one project (auth rows of its users only: other tests share auth.users). */
async function everything(url: string): Promise<string[]> {
  const pool = db(url);
  const auth = await pool.query<{ row: string }>(
    `SELECT to_jsonb(u)::text AS row FROM auth.users u WHERE u.email LIKE $1 ORDER BY u.id`,
    [`${tag}-%`],
  );
  const identities = await pool.query<{ row: string }>(
    `SELECT to_jsonb(i)::text AS row FROM auth.identities i JOIN auth.users u ON u.id = i.user_id WHERE u.email LIKE $1 ORDER BY i.id`,
    [`${tag}-%`],
  );
  return [
    ...auth.rows.map((r) => r.row),
    ...identities.rows.map((r) => r.row),
    ...(await tableSnapshot(url, `${ns}.${profilesName}`, ['id'])),
    ...(await tableSnapshot(url, `${ns}.${ordersName}`, ['id'])),
  ];
}

async function waitEqual(what: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () =>
      JSON.stringify(await everything(stack.source.databaseUrl)) ===
      JSON.stringify(await everything(stack.target.databaseUrl)),
    {
      timeoutMs,
      message: async () => {
        const [a, b] = [
          await everything(stack.source.databaseUrl),
          await everything(stack.target.databaseUrl),
        ];
        return `${what}: ${a.length} rows on the primary, ${b.length} on the backup; first difference: ${a.find((r) => !b.includes(r)) ?? b.find((r) => !a.includes(r))}`;
      },
    },
  );
}

/** The env file of the CLI: source and target as given (URLs and keys). */
async function writeEnv(source: { url: string; key: string }, target: { url: string; key: string }) {
  const text = envFileText(cli.taskQueue)
    .replace(`SYNC_SOURCE_SUPABASE_URL=${stack.source.url}`, `SYNC_SOURCE_SUPABASE_URL=${source.url}`)
    .replace(
      `SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY=${stack.source.serviceRoleKey}`,
      `SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY=${source.key}`,
    )
    .replace(`SYNC_TARGET_SUPABASE_URL=${stack.target.url}`, `SYNC_TARGET_SUPABASE_URL=${target.url}`)
    .replace(
      `SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=${stack.target.serviceRoleKey}`,
      `SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=${target.key}`,
    );
  await writeFile(path.join(cli.dir, 'sync.env'), text);
}

// Its readiness check compares all of auth.users on both projects, and it syncs auth.users: alone (test/support/resource-lock.ts).
holdDuringFile('auth.users', 'exclusive');

before(async () => {
  await createTestSchema(ns, [stack.source.databaseUrl, stack.target.databaseUrl]);
  for (const pool of [primaryDb(), backupDb()]) {
    await pool.query(
      `CREATE TABLE ${ns}.${profilesName} (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, name text, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await pool.query(
      `CREATE TABLE ${ns}.${ordersName} (id bigserial PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id), amount int NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await pool.query(`GRANT ALL ON ${ns}.${profilesName}, ${ns}.${ordersName} TO service_role`);
  }
  for (const u of users) await addUser(primaryDb(), u);
  await primaryDb().query(
    `INSERT INTO ${ns}.${ordersName} (user_id, amount) SELECT (ARRAY[$1, $2, $3]::uuid[])[1 + g % 3], g FROM generate_series(1, 30) g`,
    users.map((u) => u.id),
  );
  proxy = new FaultProxy(stack.source.url, 'primary');
  await proxy.listen();
  proxyPort = Number(new URL(proxy.url).port);
  const base = testConfig(tables, { realtime: false });
  const config: SyncConfig = { ...base, source: { ...base.source, url: proxy.url }, auth: true };
  forward = await startSync(config);
  for (const t of tables) await waitUntilSyncing(forward, t, { realtime: false, timeoutMs: 30_000 });
  cli = await CliEnv.create(config.temporal.taskQueue, []);
  await writeFile(
    path.join(cli.dir, 'tables.json'),
    JSON.stringify({
      tables: [profilesName, ordersName].map((name) => ({ name: `${ns}.${name}`, realtime: false })),
      auth: true,
    }),
  );
  await writeEnv(
    { url: proxy.url, key: stack.source.serviceRoleKey },
    { url: stack.target.url, key: stack.target.serviceRoleKey },
  );
});

after(async () => {
  await backward?.close();
  await forward?.close();
  await proxy?.close();
  await cli?.remove();
  await closeDatabases();
});

describe('failover drill', () => {
  test('check: not ready while the schema differs, ready once it is equal', async () => {
    await waitEqual('the first copy');
    await backupDb().query(`ALTER TABLE ${ns}.${ordersName} ADD COLUMN note text`);
    const notReady = await cli.run(['failover', 'check']);
    assert.equal(notReady.code, 1, show(notReady));
    assert.match(notReady.stdout, /overall: NOT READY/);
    assert.match(notReady.stderr, new RegExp(`${ns}\\.${ordersName}: schema: `));
    await backupDb().query(`ALTER TABLE ${ns}.${ordersName} DROP COLUMN note`);
    const ready = await waitFor(
      async () => {
        const r = await cli.run(['failover', 'check', '--json']);
        return r.code === 0 ? r : undefined;
      },
      { timeoutMs: 30_000, message: async () => show(await cli.run(['failover', 'check'])) },
    );
    const json = JSON.parse(ready.stdout) as {
      ready: boolean;
      tables: Array<{ table: string; ready: boolean }>;
    };
    assert.equal(json.ready, true);
    assert.deepEqual(
      json.tables.map((t) => t.table),
      [`${ns}.${profilesName}`, `${ns}.${ordersName}`, 'auth.users', 'auth.identities'],
    );
  });

  test('the source goes away: promote refuses without --force, then promotes', async () => {
    await proxy.close();
    const refused = await cli.run(['failover', 'promote']);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /refusing to promote, the backup is not ready: .*the source/);
    const promoted = await cli.run(['failover', 'promote', '--force', '--sequence-margin', '1000']);
    assert.equal(promoted.code, 0, show(promoted));
    assert.match(promoted.stderr, /skipped: the source cannot be reached/);
    assert.match(promoted.stdout, new RegExp(`${ns}\\.${ordersName}: (stopped|terminated)`));
    assert.match(promoted.stdout, new RegExp(`${ns}\\.${ordersName}_id_seq: next \\d+ → \\d+`));
    assert.match(promoted.stdout, /point the application at/);
    // Nothing syncs into the promoted project any more; the worker is stopped as the runbook says.
    await forward.stopWorker();
    const again = await cli.run(['failover', 'promote', '--force']);
    assert.equal(again.code, 0, `promote is idempotent: ${show(again)}`);
    assert.match(again.stdout, /already recorded/);
    // A worker started again with the old configuration refuses to sync into the promoted project.
    const restarted = cli.startSync();
    const code = await restarted.exited;
    assert.equal(code, 1, restarted.output());
    assert.match(
      restarted.output(),
      /was promoted to primary at .*syncing into it would overwrite what the application wrote there since; .*failover reverse/,
    );
  });

  test('the application writes to the promoted project: default ids, the same users', async () => {
    const { rows } = await backupDb().query<{ id: string }>(
      `INSERT INTO ${ns}.${ordersName} (user_id, amount) VALUES ($1, 500), ($2, 501) RETURNING id`,
      [users[0]!.id, users[1]!.id],
    );
    assert.ok(
      rows.every((r) => BigInt(r.id) > 1000n),
      `default ids ${rows.map((r) => r.id).join(', ')}`,
    );
    const hashes = await backupDb().query<{ id: string; encrypted_password: string }>(
      `SELECT id, encrypted_password FROM auth.users WHERE email LIKE $1`,
      [`${tag}-%`],
    );
    assert.deepEqual(
      new Map(hashes.rows.map((r) => [r.id, r.encrypted_password])),
      new Map(users.map((u) => [u.id, u.hash])),
    );
    const newcomer = { id: randomUUID(), email: `${tag}-new@example.test`, hash: `$2a$10$${'n'.repeat(53)}` };
    await addUser(backupDb(), newcomer);
    await backupDb().query(`DELETE FROM ${ns}.${ordersName} WHERE id = 1`);
    await backupDb().query(
      `UPDATE ${ns}.${profilesName} SET name = 'renamed', updated_at = now() WHERE id = $1`,
      [users[2]!.id],
    );
  });

  test('the old primary is back: reverse reports its late write, then both are equal', async () => {
    // A write the old primary took after the promote (an application instance not yet switched).
    await primaryDb().query(`INSERT INTO ${ns}.${ordersName} (id, user_id, amount) VALUES (999999, $1, 7)`, [
      users[0]!.id,
    ]);
    proxy = new FaultProxy(stack.source.url, 'primary');
    await proxy.listen(proxyPort);
    await writeEnv(
      { url: stack.target.url, key: stack.target.serviceRoleKey },
      { url: proxy.url, key: stack.source.serviceRoleKey },
    );
    const reversed = await cli.run(['failover', 'reverse']);
    assert.equal(reversed.code, 0, show(reversed));
    assert.match(
      reversed.stderr,
      new RegExp(`${ns}\\.${ordersName}: 1 row\\(s\\) changed there after the promote.*keys 999999`),
    );
    assert.match(reversed.stdout, /started \(a first copy/);
    const base = testConfig(tables, { realtime: false });
    backward = await startSync(
      {
        ...base,
        source: { url: stack.target.url, serviceRoleKey: stack.target.serviceRoleKey },
        target: { url: proxy.url, serviceRoleKey: stack.source.serviceRoleKey },
        temporal: { ...base.temporal, taskQueue: cli.taskQueue },
        auth: true,
      },
      { startWorkflows: false },
    );
    // The late write is kept on the old primary, not overwritten nor deleted; merged by hand:
    await waitFor(
      async () =>
        (await primaryDb().query(`SELECT 1 FROM ${ns}.${ordersName} WHERE amount = 500`)).rowCount === 1,
      { timeoutMs: 60_000, message: 'the promoted project writes did not reach the old primary' },
    );
    const kept = await primaryDb().query<{ amount: number }>(
      `SELECT amount FROM ${ns}.${ordersName} WHERE id = 999999`,
    );
    assert.equal(kept.rows[0]?.amount, 7);
    await backupDb().query(`INSERT INTO ${ns}.${ordersName} (id, user_id, amount) VALUES (999999, $1, 7)`, [
      users[0]!.id,
    ]);
    await waitEqual('after the failback');
    const again = await cli.run(['failover', 'reverse']);
    assert.equal(again.code, 0, `reverse is idempotent: ${show(again)}`);
    assert.match(again.stdout, /already reversed/);
    assert.match(again.stdout, new RegExp(`${ns}\\.${ordersName}: already running \\(kept\\)`));
    const gone = await primaryDb().query(`SELECT 1 FROM ${ns}.${ordersName} WHERE id = 1`);
    assert.equal(gone.rowCount, 0, 'the delete on the promoted project reached the old primary');
  });
});
