/**
 * No secret leaves the worker's config: neither service role key (nor its signature, the part
 * derived from the JWT secret), nor a wrong key a user configured, nor the Postgres passwords
 * appear in the worker's log lines, the workflows' histories, the metrics endpoint or the errors
 * the status query reports — after a sync that worked, one whose target key is wrong, one whose
 * table is missing on the target, and one on the direct path whose target database URL has a wrong
 * password. Log lines about a table carry `table`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeServiceRoleKey, newJwtSecret } from '../../devstack/keys.js';
import { freePort } from '../../devstack/ports.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import type { TableStatus } from '../../src/contracts/table-sync.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { scrape } from '../support/prometheus.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const wrongTargetKey = makeServiceRoleKey(newJwtSecret());
/** The direct path's target URL with a password that is not the target's. */
const wrongDbPassword = `wrong-${newJwtSecret().slice(0, 24)}`;
const wrongTargetDbUrl = (() => {
  const url = new URL(stack.target.databaseUrl);
  url.password = wrongDbPassword;
  return url.toString();
})();

const signature = (jwt: string) => jwt.split('.')[2] ?? '';
const password = (databaseUrl: string) => decodeURIComponent(new URL(databaseUrl).password);

/** What must never appear, by a name that is safe to print. */
const SECRETS: Record<string, string> = {
  'source service role key': stack.source.serviceRoleKey,
  'source key signature (JWT secret part)': signature(stack.source.serviceRoleKey),
  'target service role key': stack.target.serviceRoleKey,
  'target key signature (JWT secret part)': signature(stack.target.serviceRoleKey),
  'the wrong target key': wrongTargetKey,
  'the wrong target key signature': signature(wrongTargetKey),
  'source Postgres password': password(stack.source.databaseUrl),
  'target Postgres password': password(stack.target.databaseUrl),
  'the wrong target database password': wrongDbPassword,
};

function assertNoSecrets(text: string, where: string): void {
  assert.ok(text.length > 0, `${where}: nothing to check`);
  for (const [name, secret] of Object.entries(SECRETS)) {
    assert.ok(secret.length >= 16, `${name} is too short to search for`);
    // Never print the text: it would put the secret in the test output.
    assert.ok(!text.includes(secret), `${name} appears in ${where}`);
    assert.ok(!text.includes(encodeURIComponent(secret)), `${name} (URL-encoded) appears in ${where}`);
  }
}

/** History JSON plus every base64 string in it decoded (payloads are base64 in JSON). */
function historyText(history: unknown): string {
  const json = JSON.stringify(history);
  const decoded: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') {
      if (value.length >= 8 && /^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
        decoded.push(Buffer.from(value, 'base64').toString('utf8'));
      }
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(JSON.parse(json));
  return [json, ...decoded].join('\n');
}

const okName = uniqueName('sec_ok');
const missingName = uniqueName('sec_missing');
const badKeyName = uniqueName('sec_badkey');
const badDbName = uniqueName('sec_baddb');
const ok = table(okName);
const missing = table(missingName);
const badKey = table(badKeyName);
const badDb = table(badDbName);
const ddl = (name: string) =>
  `CREATE TABLE public.${name} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`;

let good: RunningSync;
let wrongKey: RunningSync;
/** The direct path (both database URLs), the target's with a wrong password. */
let wrongDb: RunningSync;
let metricsAddress: string;
const statuses = new Map<string, TableStatus>();

before(async () => {
  const source = db(stack.source.databaseUrl);
  const target = db(stack.target.databaseUrl);
  for (const name of [okName, missingName, badKeyName, badDbName]) {
    await source.query(ddl(name));
    await source.query(
      `INSERT INTO public.${name} (id, note) SELECT g, 'row ' || g FROM generate_series(1, 50) g`,
    );
  }
  for (const name of [okName, badKeyName, badDbName]) await target.query(ddl(name)); // missingName: not on the target

  metricsAddress = `127.0.0.1:${await freePort()}`;
  // Debug level: every line the worker can write is checked.
  const goodConfig = {
    ...testConfig([ok, missing], { metrics: { address: metricsAddress } }),
    logLevel: 'debug',
  };
  good = await startSync(goodConfig);
  const badConfig = testConfig([badKey]);
  wrongKey = await startSync({
    ...badConfig,
    target: { ...badConfig.target, serviceRoleKey: wrongTargetKey },
    logLevel: 'debug',
  });

  wrongDb = await startSync({
    ...testConfig([badDb]),
    sourceDatabaseUrl: stack.source.databaseUrl,
    targetDatabaseUrl: wrongTargetDbUrl,
    logLevel: 'debug',
  });

  await waitUntilSyncing(good, ok);
  await source.query(`INSERT INTO public.${okName} (id, note) VALUES (1001, 'realtime')`);
  await source.query(`DELETE FROM public.${okName} WHERE id = 2`);
  await waitFor(
    async () => {
      const { rows } = await db(stack.target.databaseUrl).query(
        `SELECT count(*)::int AS n FROM public.${okName} WHERE id IN (1001, 2)`,
      );
      return (rows[0] as { n: number }).n === 1;
    },
    { timeoutMs: 5000, message: 'realtime changes did not arrive' },
  );
  for (const [sync, t] of [
    [good, missing],
    [wrongKey, badKey],
    [wrongDb, badDb],
  ] as const) {
    statuses.set(
      t.qualifiedName,
      await waitFor(
        async () => {
          const status = await sync.status(t);
          return status.lastError ? status : undefined;
        },
        { timeoutMs: 20_000, message: `${t.qualifiedName} recorded no error` },
      ),
    );
  }
  statuses.set(ok.qualifiedName, await good.status(ok));
});

after(async () => {
  await wrongDb?.close();
  await wrongKey?.close();
  await good?.close();
  await closeDatabases();
});

describe('secrets stay in the worker config', () => {
  test('the failures really happened, with messages that say what to fix', () => {
    const keyError = statuses.get(badKey.qualifiedName)?.lastError?.message ?? '';
    assert.match(keyError, /SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY/);
    const dbError = statuses.get(badDb.qualifiedName)?.lastError?.message ?? '';
    assert.match(dbError, /SYNC_TARGET_DATABASE_URL/);
    const missingError = statuses.get(missing.qualifiedName)?.lastError?.message ?? '';
    assert.match(missingError, /is on the source but not on the target; run on the target: CREATE TABLE/);
  });

  test('status query errors', () => {
    for (const [name, status] of statuses) assertNoSecrets(JSON.stringify(status), `the status of ${name}`);
  });

  test('workflow histories', async () => {
    for (const [sync, t] of [
      [good, ok],
      [good, missing],
      [wrongKey, badKey],
      [wrongDb, badDb],
    ] as const) {
      const history = await sync.client.workflow.getHandle(workflowIdFor(t)).fetchHistory();
      assert.ok((history.events?.length ?? 0) > 5);
      assertNoSecrets(historyText(history), `the history of ${t.qualifiedName}`);
    }
  });

  test('the metrics endpoint', async () => {
    const text = await waitFor(
      async () => {
        const body = await scrape(metricsAddress);
        return body.includes(`table="public.${badKeyName}"`) ? body : undefined;
      },
      { message: 'no metrics for the failing table yet' },
    );
    assertNoSecrets(text, 'the metrics text');
  });

  test('log lines: JSON, no secrets, `table` on every line about a table', async () => {
    const names = [ok, missing, badKey, badDb].map((t) => t.qualifiedName);
    /** The tables the captured lines are about, each line checked for `table`. */
    const check = () => {
      const aboutTables = new Set<string>();
      for (const line of [...good.logs.lines, ...wrongKey.logs.lines, ...wrongDb.logs.lines]) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        const { table: tableField, ...rest } = entry;
        const text = JSON.stringify(rest);
        for (const name of names) {
          if (!text.includes(name)) continue;
          aboutTables.add(name);
          assert.equal(tableField, name, `a line about ${name} without "table": ${entry.msg as string}`);
        }
      }
      return aboutTables;
    };
    // Workflow log lines reach the logger shortly after the state the status query shows.
    await waitFor(
      () => {
        const about = check();
        return about.has(missing.qualifiedName) && about.has(badKey.qualifiedName);
      },
      { message: () => `log lines about the failing tables missing: ${[...check()].join(', ')}` },
    );
    check();
    assertNoSecrets(
      [...good.logs.lines, ...wrongKey.logs.lines, ...wrongDb.logs.lines].join('\n'),
      'the log lines',
    );
  });
});
