/**
 * The bad-input catalogue: for each bad input, what the user sees.
 *
 * - Configuration (in process, through the config module): ONE line naming the variable or file,
 *   the table and field, and how to fix it; never a key or a password.
 * - `npm run sync` as a process (node bin/run.mjs src/sync.ts, what the npm script runs; npm's own
 *   banner is left out): exit code 2 and a single stderr line for bad configuration; exit code 1 and
 *   a single line for a project or Temporal that cannot be used at start.
 * - Runtime problems of one table: that table's status says `failing` with a `lastError` naming the
 *   table and the fix, nothing of it is written half-way, and the other tables keep syncing (a
 *   healthy table in the same worker receives a row afterwards).
 * - Problems of a whole project (wrong key, closed port, migration missing): every table of that
 *   worker reports it in its status.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSupabaseApi, type SupabaseApi } from '../../devstack/api.js';
import { bootstrapDatabase } from '../../devstack/bootstrap.js';
import { makeServiceRoleKey, newJwtSecret } from '../../devstack/keys.js';
import { freePort } from '../../devstack/ports.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { enableDeleteTracking } from '../../src/engine/tables.js';
import { connectSource } from '../../src/supabase/source.js';
import type { TableStatus } from '../../src/contracts/table-sync.js';
import type { TableConfig } from '../../src/contracts/config.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack, testTmpDir } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);

/** Everything a message must never contain. */
const SECRETS = [
  stack.source.serviceRoleKey,
  stack.target.serviceRoleKey,
  new URL(stack.source.databaseUrl).password,
  new URL(stack.target.databaseUrl).password,
].filter((s) => s.length >= 4);

function assertClean(message: string): void {
  assert.doesNotMatch(message, /[\r\n]/, `one line: ${message}`);
  for (const secret of SECRETS) assert.ok(!message.includes(secret), `leaks a secret: ${message}`);
  assert.ok(!message.includes('hunter2'), `leaks a password: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Configuration, through the config module (what `npm run sync` prints before exiting with 2).

const KEY = 'a-service-role-key-that-must-never-be-shown-0123456789';
const GOOD_ENV: Record<string, string> = {
  SYNC_SOURCE_SUPABASE_URL: 'https://primary.supabase.co',
  SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: KEY,
  SYNC_TARGET_SUPABASE_URL: 'https://backup.supabase.co',
  SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: `${KEY}-target`,
};
const GOOD_TABLES = '{"tables": [{"name": "orders"}]}';

interface ConfigCase {
  name: string;
  env?: Record<string, string | undefined>;
  tables?: string | null;
  message: RegExp;
}

const configCases: ConfigCase[] = [
  {
    name: 'source URL missing',
    env: { SYNC_SOURCE_SUPABASE_URL: undefined },
    message:
      /^SYNC_SOURCE_SUPABASE_URL is not set; set it in the environment or create \.env\.sync .*e\.g\. /,
  },
  {
    name: 'a database URL with a password given as the source URL',
    env: { SYNC_SOURCE_SUPABASE_URL: 'postgres://postgres:hunter2@db.primary.supabase.co:5432/postgres' },
    message:
      /^SYNC_SOURCE_SUPABASE_URL="postgres:\/\/\*\*\*@db\.primary\.supabase\.co:5432\/postgres" in the environment: must be an http\(s\) URL like https:\/\//,
  },
  {
    name: 'an https URL with user:password',
    env: { SYNC_TARGET_SUPABASE_URL: 'https://admin:hunter2@backup.supabase.co' },
    message:
      /^SYNC_TARGET_SUPABASE_URL="https:\/\/\*\*\*@backup\.supabase\.co" in the environment: must not contain a user name or password; remove them$/,
  },
  {
    name: 'target URL is the source',
    env: { SYNC_TARGET_SUPABASE_URL: 'https://PRIMARY.supabase.co/' },
    message:
      /^SYNC_TARGET_SUPABASE_URL=.* is the same project as SYNC_SOURCE_SUPABASE_URL; the target must be a different \(backup\) project$/,
  },
  {
    name: 'target key missing',
    env: { SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: undefined },
    message:
      /^SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY is not set; .*e\.g\. SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=<service role key of the backup project>$/,
  },
  {
    name: 'a key pasted with a line break in it',
    env: { SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: `${KEY.slice(0, 20)} ${KEY.slice(20)}` },
    message:
      /^SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY in the environment: contains spaces or line breaks; paste the key again as one line$/,
  },
  {
    name: 'a service role key pasted into the URL variable',
    env: { SYNC_TARGET_SUPABASE_URL: KEY },
    message: /^SYNC_TARGET_SUPABASE_URL="\*\*\*" in the environment: must be an http\(s\) URL/,
  },
  {
    name: 'batch size 0',
    env: { SYNC_RECONCILE_BATCH_SIZE: '0' },
    message: /^SYNC_RECONCILE_BATCH_SIZE="0" in the environment: must be a whole number from 1 to 10000$/,
  },
  {
    name: 'TEMPORAL_ADDRESS with a scheme',
    env: { TEMPORAL_ADDRESS: 'http://localhost:7233' },
    message:
      /^TEMPORAL_ADDRESS="http:\/\/localhost:7233" in the environment: must be host:port, e\.g\. 127\.0\.0\.1:7233/,
  },
  {
    name: 'SYNC_ENV_PATH names a missing file',
    env: { SYNC_ENV_PATH: 'nowhere/.env.sync' },
    message:
      /^SYNC_ENV_PATH="nowhere\/\.env\.sync": file not found \(.*\); create it \(see sync\/env\.sync\.example\) or unset SYNC_ENV_PATH/,
  },
  {
    name: 'tables file missing',
    tables: null,
    message:
      /^sync\/tables\.config\.json: tables file not found \(.*\); copy sync\/tables\.config\.example\.json there or point SYNC_TABLE_CONFIG at your tables file$/,
  },
  {
    name: 'tables file with a trailing comma',
    tables: '{"tables": [{"name": "orders"},]}',
    message:
      /^sync\/tables\.config\.json: invalid JSON: .*""orders"\},\]\}" is not valid JSON; fix the syntax \(JSON allows no comments or trailing commas\)$/,
  },
  {
    name: 'no tables',
    tables: '{"tables": []}',
    message:
      /^sync\/tables\.config\.json: no tables configured; add at least one entry like \{"name": "public\.orders"\}$/,
  },
  {
    name: 'a table listed twice',
    tables: '{"tables": [{"name": "orders"}, {"name": "public.orders"}]}',
    message:
      /^sync\/tables\.config\.json: table "public\.orders" is listed twice \(tables\[0\] and tables\[1\]\); remove one of them$/,
  },
  {
    name: 'empty primaryKeys',
    tables: '{"tables": [{"name": "orders", "primaryKeys": []}]}',
    message:
      /^sync\/tables\.config\.json: table "public\.orders": primaryKeys is empty; list the primary key column\(s\)/,
  },
  {
    name: 'SQL in a primary key column name',
    tables: '{"tables": [{"name": "orders", "primaryKeys": ["id) or 1=1 --"]}]}',
    message:
      /^sync\/tables\.config\.json: table "public\.orders": primaryKeys\[0\] "id\) or 1=1 --" is not a valid column name/,
  },
  {
    name: 'a bad SYNC_PAYLOAD_KEY',
    env: { SYNC_PAYLOAD_KEY: 'c2hvcnQ=' },
    message:
      /^SYNC_PAYLOAD_KEY in the environment: must be 32 random bytes in base64 .*openssl rand -base64 32/,
  },
];

function loadError(c: ConfigCase): string {
  const cwd = fs.mkdtempSync(path.join(testTmpDir(), 'bad-input-config-'));
  try {
    if (c.tables !== null) {
      fs.mkdirSync(path.join(cwd, 'sync'));
      fs.writeFileSync(path.join(cwd, 'sync', 'tables.config.json'), c.tables ?? GOOD_TABLES);
    }
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries({ ...GOOD_ENV, ...c.env })) if (v !== undefined) env[k] = v;
    loadConfig({ env, cwd });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
  return assert.fail('the configuration was accepted');
}

describe('bad configuration (config module)', () => {
  for (const c of configCases) {
    test(c.name, () => {
      const message = loadError(c);
      assert.match(message, c.message);
      assertClean(message);
      assert.ok(!message.includes(KEY), `leaks the key: ${message}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 2. `npm run sync` as a process.

let dir: string;
const procQueue = `bad-input-proc-${randomBytes(4).toString('hex')}`;
const procTable = uniqueName('bad_proc');

interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runSyncProcess(env: Record<string, string>, tables: unknown): Promise<ProcessResult> {
  const caseDir = await mkdtemp(path.join(dir, 'case-'));
  const envFile = path.join(caseDir, 'sync.env');
  const tablesFile = path.join(caseDir, 'tables.json');
  const values: Record<string, string> = {
    SYNC_SOURCE_SUPABASE_URL: stack.source.url,
    SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: stack.source.serviceRoleKey,
    SYNC_TARGET_SUPABASE_URL: stack.target.url,
    SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: stack.target.serviceRoleKey,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_TASK_QUEUE: procQueue,
    SYNC_METRICS_ADDRESS: 'off',
    ...env,
  };
  const lines = Object.entries(values)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`);
  await writeFile(envFile, `${lines.join('\n')}\n`);
  await writeFile(tablesFile, typeof tables === 'string' ? tables : JSON.stringify(tables));
  return new Promise<ProcessResult>((resolve) => {
    const child = spawn(process.execPath, ['bin/run.mjs', 'src/sync.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SYNC_ENV_PATH: envFile,
        SYNC_TABLE_CONFIG: tablesFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A safety net only (these runs end on their own within seconds): never leave a process behind.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    // 'close', not 'exit': the output may still be in the pipes when the process has exited.
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

interface ProcessCase {
  name: string;
  env?: Record<string, string>;
  tables?: unknown;
  code: 1 | 2;
  /** The single line the user reads (stderr for exit 2; the JSON log line's msg for exit 1). */
  line: RegExp | (() => RegExp);
}

const injection = (name: string): ProcessCase => ({
  name: `table name ${JSON.stringify(name)} (SQL or URL injection)`,
  tables: { tables: [{ name }] },
  code: 2,
  line: new RegExp(
    `^supabase-sync: .*tables\\.json: tables\\[0\\]: name ${JSON.stringify(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(is not a valid table name|has too many dots).*letters, digits, _ and \\$`,
  ),
});

const processCases: ProcessCase[] = [
  {
    name: 'env file without the target key',
    env: { SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: '' },
    code: 2,
    line: /^supabase-sync: SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY is not set; set it in .*sync\.env or the environment/,
  },
  {
    name: 'env file with a malformed value',
    env: { SYNC_REALTIME: 'maybe' },
    code: 2,
    line: /^supabase-sync: SYNC_REALTIME="maybe" in .*sync\.env: must be true or false \(1\/0 and yes\/no also work\)$/,
  },
  {
    name: 'tables file that is not JSON',
    tables: 'tables: [orders]',
    code: 2,
    line: /^supabase-sync: .*tables\.json: invalid JSON: .*; fix the syntax/,
  },
  injection('orders;drop'),
  injection('a"b'),
  injection('../x'),
  injection('orders?select=*'),
  {
    name: 'Temporal unreachable (a closed port)',
    env: { TEMPORAL_ADDRESS: 'CLOSED_PORT' },
    code: 1,
    line: /^Temporal is not reachable at 127\.0\.0\.1:\d+ \(.*\): start one \(npm run stack, or temporal server start-dev\) or set TEMPORAL_ADDRESS$/,
  },
  {
    name: 'a wrong source service role key',
    env: { SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: makeServiceRoleKey(newJwtSecret()) },
    tables: { tables: [{ name: procTable }] },
    code: 1,
    line: /^source project \(http:\/\/127\.0\.0\.1:\d+\): enabling delete tracking was refused \(HTTP 401.*\): check SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY is that project's service role key$/,
  },
  {
    name: 'an unreachable source URL (a closed port)',
    env: { SYNC_SOURCE_SUPABASE_URL: 'CLOSED_URL' },
    tables: { tables: [{ name: procTable }] },
    code: 1,
    line: /^source project \(http:\/\/127\.0\.0\.1:\d+\): enabling delete tracking failed, the API is unreachable or failing \(HTTP 0\): .*fetch failed.*: check SYNC_SOURCE_SUPABASE_URL and that the project is up$/,
  },
];

// ---------------------------------------------------------------------------------------------
// 3. Runtime problems of one table, in one worker with a healthy table.

const ddl = (t: string, columns = 'id bigint PRIMARY KEY, note text') =>
  `CREATE TABLE public.${t} (${columns}, updated_at timestamptz NOT NULL DEFAULT now())`;

const healthy = table(uniqueName('bad_healthy'));
const missingOnSource = table(uniqueName('bad_nosrc'));
const missingOnTarget = table(uniqueName('bad_notgt'));
const columnMissing = table(uniqueName('bad_col'));
const typeDiffers = table(uniqueName('bad_type'));
const pkAbsent = table(uniqueName('bad_pkabsent'), { primaryKeys: ['uuid'] });
const pkNotUnique = table(uniqueName('bad_pknotunique'), { primaryKeys: ['note'] });
const noTrigger = table(uniqueName('bad_notrigger'), { realtime: false });
const bigRow = table(uniqueName('bad_bigrow'));

const BIG = 12 * 1024 * 1024;

interface RuntimeCase {
  name: string;
  table: TableConfig;
  /** lastError.message */
  message: () => RegExp;
  /** Rows on the target afterwards: nothing written half-way. */
  targetRows?: number;
}

const runtimeCases: RuntimeCase[] = [
  {
    name: 'a table that does not exist on the source',
    table: missingOnSource,
    message: () =>
      new RegExp(
        `^public\\.${missingOnSource.table}: the table does not exist on the source project: create it there, or fix the name in the tables config$`,
      ),
    targetRows: 0,
  },
  {
    name: 'a table that does not exist on the target',
    table: missingOnTarget,
    message: () =>
      new RegExp(
        `^public\\.${missingOnTarget.table}: schema drift: table public\\.${missingOnTarget.table} is on the source but not on the target; run on the target: CREATE TABLE public\\.${missingOnTarget.table} \\( id bigint NOT NULL, note text, updated_at timestamp with time zone DEFAULT now\\(\\) NOT NULL, PRIMARY KEY \\(id\\) \\);$`,
      ),
  },
  {
    name: 'a column missing on the target',
    table: columnMissing,
    message: () =>
      new RegExp(
        `^public\\.${columnMissing.table}: schema drift: column extra \\(text\\) of public\\.${columnMissing.table} is on the source but not on the target; run on the target: ALTER TABLE public\\.${columnMissing.table} ADD COLUMN extra text;$`,
      ),
    targetRows: 0,
  },
  {
    name: 'a column type that differs (text on the source, integer on the target)',
    table: typeDiffers,
    message: () =>
      new RegExp(
        `^public\\.${typeDiffers.table}: schema drift: column public\\.${typeDiffers.table}\\.code is text on the source but integer on the target; run on the target: ALTER TABLE public\\.${typeDiffers.table} ALTER COLUMN code TYPE text USING code::text;$`,
      ),
    targetRows: 0,
  },
  {
    name: 'the configured primary key column does not exist',
    table: pkAbsent,
    message: () =>
      new RegExp(
        `^public\\.${pkAbsent.table}: primary key column uuid does not exist on the source \\(columns: id, note, updated_at\\): fix primaryKeys in the tables config$`,
      ),
    targetRows: 0,
  },
  {
    name: 'primaryKeys names a column that is not unique',
    table: pkNotUnique,
    message: () =>
      new RegExp(
        `^public\\.${pkNotUnique.table}: primaryKeys \\(note\\) is not the primary key of the table on the source \\(id\\) nor one of its unique constraints: fix primaryKeys in the tables config, e\\.g\\. "primaryKeys": \\["id"\\]$`,
      ),
    targetRows: 0,
  },
];

// ---------------------------------------------------------------------------------------------
// 4. Problems of a whole project: each worker of its own, every table reports it.

let otherApi: SupabaseApi | undefined;
let otherDatabaseUrl: string | undefined;
const otherDatabase = uniqueName('bad_nomigration');

interface ProjectCase {
  name: string;
  /** A table of its own (one workflow id per table in the namespace). */
  table: TableConfig;
  target: () => Promise<{ url: string; serviceRoleKey: string }>;
  message: () => RegExp;
  where: 'prepare' | 'reconcile';
  /** `blocked` until a person fixes it, or `failing` (retried with backoff). */
  state: 'blocked' | 'failing';
}

const projectCases: ProjectCase[] = [
  {
    name: 'a wrong target service role key',
    table: table(uniqueName('bad_tgtkey')),
    where: 'prepare',
    state: 'blocked',
    target: () =>
      Promise.resolve({ url: stack.target.url, serviceRoleKey: makeServiceRoleKey(newJwtSecret()) }),
    message: () =>
      /^target project \(http:\/\/127\.0\.0\.1:\d+\): reading the version of the supabase-sync functions was refused \(HTTP 401.*\): check SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY is that project's service role key$/,
  },
  {
    name: 'an unreachable target URL (a closed port)',
    table: table(uniqueName('bad_tgtclosed')),
    where: 'prepare',
    state: 'failing',
    target: async () => ({
      url: `http://127.0.0.1:${await freePort()}`,
      serviceRoleKey: stack.target.serviceRoleKey,
    }),
    message: () =>
      /^target project \(http:\/\/127\.0\.0\.1:\d+\): reading the version of the supabase-sync functions failed, the API is unreachable or failing \(HTTP 0\): .*: check SYNC_TARGET_SUPABASE_URL and that the project is up$/,
  },
  {
    name: 'the migration missing on the target (a fresh database without the functions)',
    table: table(uniqueName('bad_nomig')),
    // The table is there and readable: preparing it finds the functions missing (before any write).
    where: 'prepare',
    state: 'blocked',
    target: async () => {
      // A new database on the target's Postgres server, bootstrapped like a Supabase project but
      // without supabase/migrations, behind an API of its own. The shared databases are untouched.
      await target().query(`CREATE DATABASE ${otherDatabase}`);
      const url = new URL(stack.target.databaseUrl);
      url.pathname = `/${otherDatabase}`;
      otherDatabaseUrl = url.href;
      const admin = new URL(stack.target.adminDatabaseUrl);
      admin.pathname = `/${otherDatabase}`;
      await bootstrapDatabase({ adminUrl: admin.href });
      await db(otherDatabaseUrl).query(ddl(projectCases[2]!.table.table));
      const secret = newJwtSecret();
      otherApi = await startSupabaseApi({
        databaseUrl: otherDatabaseUrl,
        jwtSecret: secret,
        port: await freePort(),
      });
      return { url: otherApi.url, serviceRoleKey: makeServiceRoleKey(secret) };
    },
    message: () =>
      /^the target project has supabase-sync functions older than 20261202120300, this worker needs those of \d{14}: apply the migrations it lacks \(npx supabase-sync migrate --apply --db-url …, or paste npx supabase-sync migrate into the SQL editor\)$/,
  },
];

// ---------------------------------------------------------------------------------------------

let sync: RunningSync;
const projectSyncs: RunningSync[] = [];

async function rowCount(url: string, t: string): Promise<number> {
  const { rows } = await db(url).query<{ n: string }>(`SELECT count(*) AS n FROM public.${t}`);
  return Number(rows[0]!.n);
}

async function onTarget(t: string, id: number): Promise<boolean> {
  const { rows } = await target().query(`SELECT 1 FROM public.${t} WHERE id = $1`, [id]);
  return rows.length === 1;
}

async function failing(s: RunningSync, t: TableConfig, message: RegExp): Promise<TableStatus> {
  return waitFor(
    async () => {
      const status = await s.status(t);
      // `blocked`: waiting for a person (schema, configuration, migration, key); `failing`: retried with backoff.
      return (status.state === 'failing' || status.state === 'blocked') &&
        status.lastError &&
        message.test(status.lastError.message)
        ? status
        : undefined;
    },
    {
      timeoutMs: 40_000,
      intervalMs: 200,
      message: async () => `no such failure: ${JSON.stringify((await s.status(t)).lastError)}`,
    },
  );
}

before(async () => {
  dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-bad-input-'));
  await Promise.all([
    source().query(ddl(procTable)),
    // Shared by both projects.
    ...[healthy, columnMissing, noTrigger, bigRow, ...projectCases.map((c) => c.table)].map((t) =>
      Promise.all([source().query(ddl(t.table)), target().query(ddl(t.table))]),
    ),
    target().query(ddl(missingOnSource.table)),
    source().query(ddl(missingOnTarget.table)),
    source().query(ddl(typeDiffers.table, 'id bigint PRIMARY KEY, code text')),
    target().query(ddl(typeDiffers.table, 'id bigint PRIMARY KEY, code integer')),
    source().query(ddl(pkAbsent.table)),
    target().query(ddl(pkAbsent.table)),
    source().query(ddl(pkNotUnique.table)),
    target().query(ddl(pkNotUnique.table)),
  ]);
  await source().query(`ALTER TABLE public.${columnMissing.table} ADD COLUMN extra text`);
  for (const t of [healthy, columnMissing, noTrigger, pkAbsent, missingOnTarget]) {
    await source().query(
      `INSERT INTO public.${t.table} (id, note) SELECT g, 'row ' || g FROM generate_series(1, 5) g`,
    );
  }
  for (const c of projectCases) {
    await source().query(`INSERT INTO public.${c.table.table} (id, note) VALUES (1, 'one')`);
  }
  await source().query(
    `INSERT INTO public.${typeDiffers.table} (id, code) VALUES (1, '1'), (2, '2'), (3, 'not-a-number-zz')`,
  );
  await source().query(
    `INSERT INTO public.${pkNotUnique.table} (id, note) VALUES (1, 'same'), (2, 'same'), (3, 'other')`,
  );
  await source().query(
    `INSERT INTO public.${bigRow.table} (id, note) VALUES (1, 'small'), (2, repeat('x', ${BIG})), (3, 'small')`,
  );
  sync = await startSync(
    testConfig([
      healthy,
      missingOnSource,
      missingOnTarget,
      columnMissing,
      typeDiffers,
      pkAbsent,
      pkNotUnique,
      noTrigger,
      bigRow,
    ]),
  );
});

after(async () => {
  await sync?.close();
  for (const s of projectSyncs) await s.close();
  await otherApi?.close();
  if (otherDatabaseUrl) {
    await closeDatabases();
    await target().query(`DROP DATABASE IF EXISTS ${otherDatabase} WITH (FORCE)`);
  }
  await closeDatabases();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run sync refuses to start', { concurrency: true }, () => {
  for (const c of processCases) {
    test(`${c.name}: exit code ${c.code}, one line`, async () => {
      const env = { ...c.env };
      if (env.TEMPORAL_ADDRESS === 'CLOSED_PORT') env.TEMPORAL_ADDRESS = `127.0.0.1:${await freePort()}`;
      if (env.SYNC_SOURCE_SUPABASE_URL === 'CLOSED_URL')
        env.SYNC_SOURCE_SUPABASE_URL = `http://127.0.0.1:${await freePort()}`;
      const result = await runSyncProcess(env, c.tables ?? { tables: [{ name: uniqueName('never') }] });
      const everything = `${result.stdout}${result.stderr}`;
      assert.equal(result.code, c.code, everything);
      const line = typeof c.line === 'function' ? c.line() : c.line;
      if (c.code === 2) {
        assert.equal(result.stdout, '', 'nothing on stdout');
        const lines = result.stderr.trim().split('\n');
        assert.equal(lines.length, 1, result.stderr);
        assert.match(lines[0]!, line);
      } else {
        // Runtime failures are log lines (JSON on stdout): the projects it acts on (the first line
        // of every run), then exactly one, at level error.
        assert.equal(result.stderr, '', 'nothing on stderr');
        const lines = result.stdout.trim().split('\n');
        assert.equal(lines.length, 2, result.stdout);
        const projects = JSON.parse(lines[0]!) as { level: string; msg: string };
        assert.match(projects.msg, /^projects: source http\S+ \(from .+\) → target http\S+ \(from .+\)$/);
        const entry = JSON.parse(lines[1]!) as { level: string; msg: string };
        assert.equal(entry.level, 'error');
        assert.match(entry.msg, line);
      }
      for (const l of everything.trim().split('\n')) assertClean(l);
    });
  }
});

describe('one table fails, the others keep syncing', () => {
  for (const c of runtimeCases) {
    test(c.name, async () => {
      const status = await failing(sync, c.table, c.message());
      assert.equal(status.state, 'blocked', 'a person must fix it');
      assertClean(status.lastError!.message);
      assert.ok(status.lastError!.message.includes(c.table.table), 'names the table');
      assert.ok(!status.lastError!.message.includes('not-a-number-zz'), 'no row data in the status');
      if (c.targetRows !== undefined) {
        assert.equal(
          await rowCount(stack.target.databaseUrl, c.table.table),
          c.targetRows,
          'nothing written',
        );
      }
      // The healthy table in the same worker still receives rows.
      const id = 1000 + runtimeCases.indexOf(c);
      await source().query(`INSERT INTO public.${healthy.table} (id, note) VALUES ($1, 'still syncing')`, [
        id,
      ]);
      await waitFor(() => onTarget(healthy.table, id), {
        timeoutMs: 10_000,
        message: 'the healthy table stopped syncing',
      });
      assert.equal((await sync.status(healthy)).lastError, null);
    });
  }

  test('the delete-tracking trigger dropped on the source after start: deletes are missed silently', async () => {
    await waitUntilSyncing(sync, noTrigger, { realtime: false });
    await source().query(`DROP TRIGGER sync_track_deletes ON public.${noTrigger.table}`);
    await source().query(`DELETE FROM public.${noTrigger.table} WHERE id = 2`);
    const deletedAt = Date.now();
    await source().query(`INSERT INTO public.${noTrigger.table} (id, note) VALUES (100, 'marker')`);
    // A whole pass (reconcile, then deletion replay) that began after the delete has finished.
    const status = await waitFor(
      async () => {
        const s = await sync.status(noTrigger);
        return s.lastPass && s.lastPass.startedAt > deletedAt + 50 && (await onTarget(noTrigger.table, 100))
          ? s
          : undefined;
      },
      { timeoutMs: 15_000, message: 'no pass after the delete' },
    );
    // What the user sees: nothing wrong. The row deleted on the source stays on the target.
    assert.equal(status.state, 'running');
    assert.equal(status.lastError, null);
    assert.equal(status.lastPass!.deletesReplayed, 0);
    assert.equal(await onTarget(noTrigger.table, 2), true, 'the delete was not replayed');
    // The visible hint: the next `npm run sync` start says it had to create the trigger again.
    const [report] = await enableDeleteTracking(connectSource(sync.config.source), {
      ...sync.config,
      tables: [noTrigger],
    });
    assert.match(
      report!.message,
      new RegExp(`delete tracking on public\\.${noTrigger.table}: trigger created`),
    );
    // From then on deletes are replayed again; the one made without the trigger stays missed.
    await source().query(`DELETE FROM public.${noTrigger.table} WHERE id = 3`);
    await waitFor(async () => !(await onTarget(noTrigger.table, 3)), {
      timeoutMs: 15_000,
      message: 'a delete after the trigger was restored was not replayed',
    });
    assert.equal(await onTarget(noTrigger.table, 2), true);
  });

  test('a 12 MB row (larger than one 8 MB upsert request) syncs, by the first copy and by realtime', async () => {
    await waitUntilSyncing(sync, bigRow, { timeoutMs: 60_000 });
    await source().query(`INSERT INTO public.${bigRow.table} (id, note) VALUES (4, repeat('y', ${BIG}))`);
    const digest = async (url: string) =>
      (
        await db(url).query<{ id: string; d: string }>(
          `SELECT id::text, md5(coalesce(note, '')) || ':' || length(note) AS d FROM public.${bigRow.table} ORDER BY id`,
        )
      ).rows;
    await waitFor(
      async () =>
        JSON.stringify(await digest(stack.source.databaseUrl)) ===
        JSON.stringify(await digest(stack.target.databaseUrl)),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        message: async () => `not synced: ${JSON.stringify((await sync.status(bigRow)).lastError)}`,
      },
    );
    const rows = await digest(stack.target.databaseUrl);
    assert.equal(rows.length, 4);
    assert.ok(rows[3]!.d.endsWith(`:${BIG}`));
    const status = await sync.status(bigRow);
    assert.equal(status.lastError, null);
  });
});

describe('a whole project unusable: every table of that worker says why', { concurrency: true }, () => {
  for (const c of projectCases) {
    test(c.name, async () => {
      const config = testConfig([c.table]);
      const s = await startSync({ ...config, target: await c.target() });
      projectSyncs.push(s);
      const status = await failing(s, c.table, c.message());
      assertClean(status.lastError!.message);
      assert.equal(status.lastError!.where, c.where);
      assert.equal(status.state, c.state);
      if (otherDatabaseUrl && c === projectCases[2]) {
        // The table exists there but nothing was written.
        assert.equal(await rowCount(otherDatabaseUrl, c.table.table), 0);
      }
    });
  }
});

test('the catalogue has at least 30 cases', () => {
  const total = configCases.length + processCases.length + runtimeCases.length + 2 + projectCases.length;
  assert.ok(total >= 30, `${total} cases`);
});
