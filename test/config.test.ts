import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  DEFAULT_CODEC_CORS_ORIGINS,
  isValidIdentifier,
  loadCodecServerEnv,
  loadConfig,
  loadEnv,
  parseTablesConfig,
  parseTablesFile,
  selectedByPatterns,
  redactedConfig,
} from '../src/config/index.js';
import type { SyncConfig } from '../src/contracts/config.js';
import { resolveFromListing } from '../src/engine/resolve-tables.js';
import { syncSettings } from '../src/config/settings.js';
import { temporalConnectionOptions } from '../src/temporal/connection.js';
import { testTmpDir } from './support/stack-env.js';

const SOURCE_KEY = 'source-secret-service-role-key-0123456789';
const TARGET_KEY = 'target-secret-service-role-key-9876543210';

const REQUIRED: Record<string, string> = {
  SYNC_SOURCE_SUPABASE_URL: 'https://primary.supabase.co',
  SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: SOURCE_KEY,
  SYNC_TARGET_SUPABASE_URL: 'https://backup.supabase.co',
  SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: TARGET_KEY,
};

const API_KEY = 'temporal-cloud-api-key-secret-abcdef012345';
const FAKE_CERT = '-----BEGIN CERTIFICATE-----\nMIIBfakecert\n-----END CERTIFICATE-----\n';
const FAKE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEfakekey\n-----END PRIVATE KEY-----\n';

const MINIMAL_TABLES = '{"tables": [{"name": "orders"}]}';

interface Setup {
  /** Real environment (undefined values are dropped). */
  env?: Record<string, string | undefined>;
  /** Contents of <cwd>/.env.sync; not written when undefined. */
  envFile?: string;
  /** Contents of <cwd>/sync/tables.config.json (raw text); not written when null. */
  tables?: string | null;
  /** Extra files, relative to cwd. */
  files?: Record<string, string>;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(testTmpDir(), 'sync-config-test-'));
}

function setup({ env = REQUIRED, envFile, tables = MINIMAL_TABLES, files = {} }: Setup = {}) {
  const cwd = tempDir();
  if (envFile !== undefined) fs.writeFileSync(path.join(cwd, '.env.sync'), envFile);
  if (tables !== null) {
    fs.mkdirSync(path.join(cwd, 'sync'), { recursive: true });
    fs.writeFileSync(path.join(cwd, 'sync', 'tables.config.json'), tables);
  }
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(cwd, name)), { recursive: true });
    fs.writeFileSync(path.join(cwd, name), text);
  }
  const realEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) realEnv[k] = v;
  return { cwd, env: realEnv };
}

function load(s: Setup = {}): SyncConfig {
  const { cwd, env } = setup(s);
  try {
    return loadConfig({ env, cwd });
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

function loadError(s: Setup): string {
  try {
    load(s);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    assert.doesNotMatch(err.message, /[\r\n]/, 'message must be one line');
    assert.ok(!err.message.includes(SOURCE_KEY), 'message leaks the source key');
    assert.ok(!err.message.includes(TARGET_KEY), 'message leaks the target key');
    assert.ok(!err.message.includes(API_KEY), 'message leaks the Temporal API key');
    assert.ok(!err.message.includes('MIIEfakekey'), 'message leaks the TLS key');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

const envLines = (vars: Record<string, string>) =>
  Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

const withEnv = (over: Record<string, string | undefined>) => ({ ...REQUIRED, ...over });
const tablesJson = (tables: unknown) => JSON.stringify({ tables });

// ---------------------------------------------------------------------------------------------

void test('minimal config: required variables only, every default applied', () => {
  const { cwd, env } = setup();
  try {
    const config = loadConfig({ env, cwd });
    assert.deepEqual(config, {
      source: { url: 'https://primary.supabase.co', serviceRoleKey: SOURCE_KEY },
      target: { url: 'https://backup.supabase.co', serviceRoleKey: TARGET_KEY },
      reconcile: {
        intervalMs: 30000,
        liveIntervalMs: 300000,
        lookbackMs: 300000,
        batchSize: 500,
        initialBackfillMs: undefined,
      },
      discovery: { intervalMs: 60_000 },
      failover: { afterMs: 4000 },
      schemaWatch: { intervalMs: 60_000 },
      mode: 'default',
      realtime: true,
      loop: true,
      temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'supabase-sync' },
      metrics: { address: '127.0.0.1:9464' },
      logLevel: 'info',
      envFile: undefined,
      tableConfigFile: path.join(cwd, 'sync', 'tables.config.json'),
      tables: [
        {
          schema: 'public',
          table: 'orders',
          qualifiedName: 'public.orders',
          // Not given: `id` until the worker reads the key from the source's catalog.
          primaryKeys: ['id'],
          primaryKeysFromCatalog: true,
          incrementalFields: ['updated_at', 'created_at'],
          realtime: true,
          reconcile: true,
        },
      ],
    } satisfies SyncConfig);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

void test('full config from an env file, every field set', () => {
  const { cwd, env } = setup({
    env: {},
    envFile: [
      '# comment',
      'SYNC_SOURCE_SUPABASE_URL=http://127.0.0.1:54321/',
      `SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY="${SOURCE_KEY}"`,
      'SYNC_TARGET_SUPABASE_URL=http://127.0.0.1:54322',
      `SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=${TARGET_KEY}`,
      'SYNC_RECONCILE_INTERVAL_MS=1000',
      'SYNC_RECONCILE_INTERVAL_LIVE_MS=600000',
      'SYNC_RECONCILE_LOOKBACK_MS=0',
      'SYNC_RECONCILE_BATCH_SIZE=10000',
      'SYNC_INITIAL_BACKFILL_MS=86400000',
      'SYNC_TABLE_CONFIG=conf/my-tables.json',
      'SYNC_MODE=Reconcile',
      'SYNC_REALTIME=no',
      'SYNC_LOOP=0',
      'TEMPORAL_ADDRESS=temporal.internal:7233',
      'TEMPORAL_NAMESPACE=prod',
      'TEMPORAL_TASK_QUEUE=sync-q',
      `TEMPORAL_API_KEY=${API_KEY}`,
      'TEMPORAL_TLS_CERT_PATH=certs/client.pem',
      'TEMPORAL_TLS_KEY_PATH=certs/client.key',
      'SYNC_METRICS_ADDRESS=0.0.0.0:9100',
      'SYNC_LOG_LEVEL=DEBUG',
    ].join('\n'),
    tables: null,
    files: {
      'certs/client.pem': FAKE_CERT,
      'certs/client.key': FAKE_KEY,
      'conf/my-tables.json': JSON.stringify([
        {
          name: 'billing.invoices',
          primaryKeys: ['tenant_id', 'invoice_no'],
          incrementalFields: ['modified_at'],
          realtime: false,
          reconcile: true,
        },
        { name: 'Profiles', reconcile: false },
      ]),
    },
  });
  try {
    const config = loadConfig({ env, cwd });
    assert.deepEqual(config, {
      source: { url: 'http://127.0.0.1:54321', serviceRoleKey: SOURCE_KEY },
      target: { url: 'http://127.0.0.1:54322', serviceRoleKey: TARGET_KEY },
      reconcile: {
        intervalMs: 1000,
        liveIntervalMs: 600000,
        lookbackMs: 0,
        batchSize: 10000,
        initialBackfillMs: 86400000,
      },
      discovery: { intervalMs: 60_000 },
      failover: { afterMs: 4000 },
      schemaWatch: { intervalMs: 60_000 },
      mode: 'reconcile',
      realtime: false,
      loop: false,
      temporal: {
        address: 'temporal.internal:7233',
        namespace: 'prod',
        taskQueue: 'sync-q',
        apiKey: API_KEY,
        tls: {
          certPath: path.join(cwd, 'certs', 'client.pem'),
          keyPath: path.join(cwd, 'certs', 'client.key'),
        },
      },
      metrics: { address: '0.0.0.0:9100' },
      logLevel: 'debug',
      envFile: path.join(cwd, '.env.sync'),
      tableConfigFile: path.join(cwd, 'conf', 'my-tables.json'),
      tables: [
        {
          schema: 'billing',
          table: 'invoices',
          qualifiedName: 'billing.invoices',
          primaryKeys: ['tenant_id', 'invoice_no'],
          incrementalFields: ['modified_at'],
          realtime: false,
          reconcile: true,
        },
        {
          schema: 'public',
          table: 'Profiles',
          qualifiedName: 'public.Profiles',
          primaryKeys: ['id'],
          primaryKeysFromCatalog: true,
          incrementalFields: ['updated_at', 'created_at'],
          realtime: true,
          reconcile: false,
        },
      ],
    } satisfies SyncConfig);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

void test('the shipped examples load', () => {
  const cwd = tempDir();
  try {
    const root = path.resolve(import.meta.dirname, '..');
    fs.copyFileSync(path.join(root, 'sync', 'env.sync.example'), path.join(cwd, '.env.sync'));
    fs.mkdirSync(path.join(cwd, 'sync'));
    fs.copyFileSync(
      path.join(root, 'sync', 'tables.config.example.json'),
      path.join(cwd, 'sync', 'tables.config.json'),
    );
    const config = loadConfig({ env: {}, cwd });
    assert.equal(config.reconcile.initialBackfillMs, undefined);
    assert.equal(config.source.serviceRoleKey, 'your-service-role-key');
    assert.deepEqual(
      config.tables.map((t) => [t.qualifiedName, t.primaryKeys, t.incrementalFields]),
      [
        ['public.orders', ['id'], ['updated_at', 'created_at']],
        ['public.order_items', ['order_id', 'line_no'], ['updated_at', 'created_at']],
      ],
    );
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

void test('real environment overrides the env file; empty values count as unset', () => {
  const config = load({
    env: {
      SYNC_TARGET_SUPABASE_URL: 'https://from-env.supabase.co',
      SYNC_RECONCILE_BATCH_SIZE: '200',
      SYNC_MODE: '',
    },
    envFile: envLines({
      ...REQUIRED,
      SYNC_TARGET_SUPABASE_URL: 'https://from-file.supabase.co',
      SYNC_RECONCILE_BATCH_SIZE: '100',
      SYNC_RECONCILE_INTERVAL_MS: '5000',
      SYNC_MODE: 'reconcile',
      SYNC_INITIAL_BACKFILL_MS: '',
    }),
  });
  assert.equal(config.target.url, 'https://from-env.supabase.co');
  assert.equal(config.reconcile.batchSize, 200);
  assert.equal(config.reconcile.intervalMs, 5000);
  assert.equal(config.mode, 'reconcile');
  assert.equal(config.reconcile.initialBackfillMs, undefined);
});

void test('SYNC_RECONCILE_INTERVAL_LIVE_MS: 0 (the same as the base interval) is accepted as is', () => {
  const config = load({ env: withEnv({ SYNC_RECONCILE_INTERVAL_LIVE_MS: '0' }) });
  assert.equal(config.reconcile.liveIntervalMs, 0);
  assert.equal(syncSettings(config).liveIntervalMs, 0);
  assert.equal(
    syncSettings({ ...config, reconcile: { ...config.reconcile, liveIntervalMs: undefined } }).liveIntervalMs,
    300_000,
  );
});

void test('loading never modifies the environment object or process.env', () => {
  const { cwd, env } = setup({ env: {}, envFile: envLines({ ...REQUIRED, SYNC_LOG_LEVEL: 'warn' }) });
  try {
    const before = { ...process.env };
    const config = loadConfig({ env, cwd });
    assert.equal(config.logLevel, 'warn');
    assert.deepEqual(env, {});
    assert.deepEqual({ ...process.env }, before);
    assert.equal(process.env.SYNC_SOURCE_SUPABASE_URL, before.SYNC_SOURCE_SUPABASE_URL);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

void test('SYNC_ENV_PATH picks another env file (relative to cwd or absolute)', () => {
  const { cwd } = setup({
    envFile: envLines({ ...REQUIRED, SYNC_LOG_LEVEL: 'error' }),
    files: { 'conf/prod.env': envLines({ ...REQUIRED, SYNC_LOG_LEVEL: 'trace' }) },
  });
  try {
    const relative = loadConfig({ env: { SYNC_ENV_PATH: 'conf/prod.env' }, cwd });
    assert.equal(relative.logLevel, 'trace');
    assert.equal(relative.envFile, path.join(cwd, 'conf', 'prod.env'));
    const absolute = loadEnv({
      env: { SYNC_ENV_PATH: path.join(cwd, 'conf', 'prod.env') },
      cwd: testTmpDir(),
    });
    assert.equal(absolute.logLevel, 'trace');
    const byDefault = loadConfig({ env: {}, cwd });
    assert.equal(byDefault.logLevel, 'error');
    assert.equal(byDefault.envFile, path.join(cwd, '.env.sync'));
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

void test('boolean variables accept true/false/1/0/yes/no in any case', () => {
  const cases: [string, boolean][] = [
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['Yes', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['NO', false],
  ];
  for (const [value, expected] of cases) {
    const config = load({ env: withEnv({ SYNC_REALTIME: value, SYNC_LOOP: value }) });
    assert.equal(config.realtime, expected, `SYNC_REALTIME=${value}`);
    assert.equal(config.loop, expected, `SYNC_LOOP=${value}`);
  }
});

void test('the tables file may be a bare array or {"tables": [...]}', () => {
  const tables = [{ name: 'public.orders' }, { name: 'order_items', primaryKeys: ['order_id', 'line_no'] }];
  const fromArray = parseTablesConfig(tables, 'x.json');
  const fromObject = parseTablesConfig({ tables }, 'x.json');
  assert.deepEqual(fromArray, fromObject);
  assert.deepEqual(
    fromArray.map((t) => t.qualifiedName),
    ['public.orders', 'public.order_items'],
  );
  assert.deepEqual(fromArray[1]?.primaryKeys, ['order_id', 'line_no']);
});

void test('tables file: "sequences" and "auth"; bad values are one line naming the file', () => {
  const file = parseTablesFile(
    {
      tables: [{ name: 'orders' }],
      sequences: ['public.invoice_no', 'counter', 'public.invoice_no'],
      auth: true,
    },
    'x.json',
  );
  assert.deepEqual(file.sequences, ['public.invoice_no', 'public.counter']);
  assert.equal(file.auth, true);
  assert.deepEqual(
    parseTablesFile({ auth: true }, 'x.json').tables.map((t) => [t.qualifiedName, t.realtime]),
    [
      ['auth.users', false],
      ['auth.identities', false],
    ],
    'auth alone is a tables file',
  );
  assert.deepEqual(
    file.tables.map((t) => t.qualifiedName),
    ['public.orders', 'auth.users', 'auth.identities'],
  );
  assert.equal(parseTablesFile({ tables: [{ name: 'orders' }] }, 'x.json').auth, undefined);
  assert.throws(
    () => parseTablesFile({ tables: [{ name: 'orders' }], auth: 'yes' }, 'x.json'),
    new ConfigError(
      'x.json: auth must be true or false without quotes (got a string); true syncs auth.users and auth.identities, leave auth out for false',
    ),
  );
  assert.throws(
    () => parseTablesFile({ tables: [{ name: 'orders' }], sequences: 'public.x' }, 'x.json'),
    new ConfigError(
      'x.json: sequences must be an array of sequence names, e.g. ["public.orders_id_seq"] (got a string); leave sequences out for none',
    ),
  );
  assert.throws(
    () => parseTablesFile({ tables: [{ name: 'orders' }], sequences: ['a.b.c'] }, 'x.json'),
    /x\.json: sequences\[0\] "a\.b\.c" has too many dots/,
  );
});

void test('table patterns: include/exclude with * and ?, entries override and add; bad patterns are one line', () => {
  const file = parseTablesFile(
    {
      include: ['public.*', 'private.audit_?'],
      exclude: ['public.tmp_*'],
      tables: [{ name: 'orders', realtime: false }],
    },
    'x.json',
  );
  assert.deepEqual(file.patterns, { include: ['public.*', 'private.audit_?'], exclude: ['public.tmp_*'] });
  assert.equal(file.tables[0]?.realtime, false);
  assert.equal(file.tables[0]?.primaryKeysFromCatalog, true);
  for (const [name, selected] of [
    ['public.orders', true],
    ['public.tmp_1', false],
    ['private.audit_1', true],
    ['private.audit_12', false],
    ['other.orders', false],
  ] as const) {
    assert.equal(selectedByPatterns(file.patterns ?? { include: [], exclude: [] }, name), selected, name);
  }
  assert.deepEqual(parseTablesFile({ include: ['*'] }, 'x.json').tables, []);
  assert.throws(
    () => parseTablesFile({ include: ['public.or;ders'] }, 'x.json'),
    new ConfigError(
      'x.json: include[0] "public.or;ders" is not a table pattern: write "schema.table" with letters, digits, _ and $, and * or ? as wildcards, e.g. "public.*"',
    ),
  );
  assert.throws(() => parseTablesFile({ include: [] }, 'x.json'), /no tables configured/);
  assert.throws(() => parseTablesFile({ exclude: ['a'] }, 'x.json'), /no tables configured/);
});

void test('resolving the tables against the source: keys from the catalog, patterns, overrides, the rest listed', () => {
  const listing = [
    { schema: 'public', table: 'orders', kind: 'table' as const, primaryKey: ['order_id'] },
    { schema: 'public', table: 'lines', kind: 'table' as const, primaryKey: ['order_id', 'line'] },
    { schema: 'public', table: 'nokey', kind: 'table' as const, primaryKey: null },
    { schema: 'public', table: 'tmp_x', kind: 'table' as const, primaryKey: ['id'] },
    { schema: 'private', table: 'secrets', kind: 'table' as const, primaryKey: ['id'] },
  ];
  const file = parseTablesFile(
    {
      include: ['public.*'],
      exclude: ['public.tmp_*'],
      tables: [{ name: 'orders', realtime: false }, { name: 'gone' }],
    },
    'x.json',
  );
  const resolved = resolveFromListing({ tables: file.tables, tablePatterns: file.patterns }, listing);
  assert.deepEqual(
    resolved.tables.map((t) => [t.qualifiedName, t.primaryKeys, t.realtime]),
    [
      ['public.orders', ['order_id'], false],
      ['public.gone', ['id'], true],
      ['public.lines', ['order_id', 'line'], true],
    ],
  );
  assert.deepEqual(resolved.unsynced, ['public.tmp_x', 'private.secrets']);
  assert.match(
    resolved.skipped[0]!.reason,
    /^public\.nokey has no primary key: add one, or give "primaryKeys"/,
  );
  // A file without patterns keeps its entries; a given key is kept as given.
  const plain = resolveFromListing(
    { tables: parseTablesConfig([{ name: 'orders', primaryKeys: ['id'] }], 'x') },
    listing,
  );
  assert.deepEqual(
    plain.tables.map((t) => t.primaryKeys),
    [['id']],
  );
  assert.equal(plain.unsynced.length, 4);
});

void test('isValidIdentifier', () => {
  const cases: [string, boolean][] = [
    ['orders', true],
    ['_private', true],
    ['Order_Items2', true],
    ['price$usd', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['', false],
    ['2fa', false],
    ['id;drop', false],
    ['"orders"', false],
    ['public.orders', false],
    ['order items', false],
    ['a,b', false],
    ['count(*)', false],
    ['é', false],
  ];
  for (const [name, expected] of cases) assert.equal(isValidIdentifier(name), expected, name);
});

void test('redactedConfig hides both service role keys', () => {
  const config = load();
  const printed = JSON.stringify(redactedConfig(config));
  assert.ok(!printed.includes(SOURCE_KEY));
  assert.ok(!printed.includes(TARGET_KEY));
  assert.match(printed, /"serviceRoleKey":"\*\*\*"/);
  assert.equal(config.source.serviceRoleKey, SOURCE_KEY, 'the original is not modified');
});

void test('redactedConfig hides the Temporal API key', () => {
  const config = load({ env: withEnv({ TEMPORAL_API_KEY: API_KEY }) });
  assert.equal(config.temporal.apiKey, API_KEY);
  const printed = JSON.stringify(redactedConfig(config));
  assert.ok(!printed.includes(API_KEY));
  assert.match(printed, /"apiKey":"\*\*\*"/);
});

void test('SYNC_METRICS_ADDRESS: ip:port (IPv4 or IPv6) or off', () => {
  const address = (value: string) => load({ env: withEnv({ SYNC_METRICS_ADDRESS: value }) }).metrics.address;
  assert.equal(address('0.0.0.0:9464'), '0.0.0.0:9464');
  assert.equal(address('127.0.0.1:19100'), '127.0.0.1:19100');
  assert.equal(address('[::1]:9464'), '[::1]:9464');
  assert.equal(address('off'), null);
  assert.equal(address('OFF'), null);
  assert.equal(load({ env: withEnv({ SYNC_METRICS_ADDRESS: '  ' }) }).metrics.address, '127.0.0.1:9464');
});

void test('SYNC_DASHBOARD_ADDRESS: off by default; a port is on 127.0.0.1; ip:port; TEMPORAL_UI_URL', () => {
  const dashboard = (env: Record<string, string>) => load({ env: withEnv(env) }).dashboard;
  assert.equal(dashboard({}), undefined);
  assert.equal(dashboard({ SYNC_DASHBOARD_ADDRESS: 'off' }), undefined);
  assert.deepEqual(dashboard({ SYNC_DASHBOARD_ADDRESS: '9470' }), { address: '127.0.0.1:9470' });
  assert.deepEqual(dashboard({ SYNC_DASHBOARD_ADDRESS: '0.0.0.0:9470', SYNC_DASHBOARD_TOKEN: 'tok' }), {
    address: '0.0.0.0:9470',
    token: 'tok',
  });
  assert.throws(() => dashboard({ SYNC_DASHBOARD_ADDRESS: 'localhost:9470' }), /SYNC_DASHBOARD_ADDRESS/);
  const ui = load({ env: withEnv({ TEMPORAL_UI_URL: 'https://ui.example/' }) }).temporalUi;
  assert.equal(ui, 'https://ui.example');
});

void test('Temporal connection options: plain, API key (TLS on), mTLS certificate pair', () => {
  const base = { address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', taskQueue: 'q' };
  assert.deepEqual(temporalConnectionOptions(base), { address: base.address });
  assert.deepEqual(temporalConnectionOptions({ ...base, apiKey: API_KEY }), {
    address: base.address,
    tls: true,
    apiKey: API_KEY,
  });
  const { cwd, env } = setup({
    env: withEnv({ TEMPORAL_TLS_CERT_PATH: 'c.pem', TEMPORAL_TLS_KEY_PATH: 'c.key' }),
    files: { 'c.pem': FAKE_CERT, 'c.key': FAKE_KEY },
  });
  try {
    const config = loadConfig({ env, cwd });
    const options = temporalConnectionOptions(config.temporal);
    assert.equal(options.apiKey, undefined);
    assert.ok(typeof options.tls === 'object');
    assert.equal(Buffer.from(options.tls.clientCertPair!.crt).toString('utf8'), FAKE_CERT);
    assert.equal(Buffer.from(options.tls.clientCertPair!.key).toString('utf8'), FAKE_KEY);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------

const F = 'sync/tables.config.json';
const ID_RULE = '(letters, digits, _ and $; must not start with a digit)';

const badInputs: { name: string; setup: Setup; message: string | RegExp }[] = [
  {
    name: 'missing source URL, no env file',
    setup: { env: withEnv({ SYNC_SOURCE_SUPABASE_URL: undefined }) },
    message:
      'SYNC_SOURCE_SUPABASE_URL is not set; set it in the environment or create .env.sync (see sync/env.sync.example), e.g. SYNC_SOURCE_SUPABASE_URL=https://<primary-ref>.supabase.co',
  },
  {
    name: 'missing source URL, with an env file',
    setup: {
      env: {},
      envFile: envLines(withEnv({ SYNC_SOURCE_SUPABASE_URL: '' }) as Record<string, string>),
    },
    message:
      'SYNC_SOURCE_SUPABASE_URL is not set; set it in .env.sync or the environment, e.g. SYNC_SOURCE_SUPABASE_URL=https://<primary-ref>.supabase.co',
  },
  {
    name: 'target URL is not a URL',
    setup: { env: withEnv({ SYNC_TARGET_SUPABASE_URL: 'backup.supabase.co' }) },
    message:
      'SYNC_TARGET_SUPABASE_URL="backup.supabase.co" in the environment: must be an http(s) URL like https://<project-ref>.supabase.co or http://127.0.0.1:54321',
  },
  {
    name: 'source URL with another scheme',
    setup: { env: {}, envFile: envLines({ ...REQUIRED, SYNC_SOURCE_SUPABASE_URL: 'postgres://db:5432' }) },
    message:
      'SYNC_SOURCE_SUPABASE_URL="postgres://db:5432" in .env.sync: must be an http(s) URL like https://<project-ref>.supabase.co or http://127.0.0.1:54321',
  },
  {
    name: 'source and target are the same URL',
    setup: { env: withEnv({ SYNC_TARGET_SUPABASE_URL: 'https://PRIMARY.supabase.co/' }) },
    message:
      'SYNC_TARGET_SUPABASE_URL="https://PRIMARY.supabase.co/" in the environment: is the same project as SYNC_SOURCE_SUPABASE_URL; the target must be a different (backup) project',
  },
  {
    name: 'missing service role key',
    setup: { env: withEnv({ SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: '   ' }) },
    message:
      'SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY is not set; set it in the environment or create .env.sync (see sync/env.sync.example), e.g. SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=<service role key of the backup project>',
  },
  {
    name: 'service role key with a space (value never shown)',
    setup: { env: withEnv({ SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: `${SOURCE_KEY} ${SOURCE_KEY}` }) },
    message:
      'SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY in the environment: contains spaces or line breaks; paste the key again as one line',
  },
  {
    name: 'batch size is not a number',
    setup: { env: {}, envFile: envLines({ ...REQUIRED, SYNC_RECONCILE_BATCH_SIZE: 'abc' }) },
    message: 'SYNC_RECONCILE_BATCH_SIZE="abc" in .env.sync: must be a whole number from 1 to 10000',
  },
  {
    name: 'batch size 0',
    setup: { env: withEnv({ SYNC_RECONCILE_BATCH_SIZE: '0' }) },
    message: 'SYNC_RECONCILE_BATCH_SIZE="0" in the environment: must be a whole number from 1 to 10000',
  },
  {
    name: 'batch size too big',
    setup: { env: withEnv({ SYNC_RECONCILE_BATCH_SIZE: '10001' }) },
    message: 'SYNC_RECONCILE_BATCH_SIZE="10001" in the environment: must be a whole number from 1 to 10000',
  },
  {
    name: 'interval is a fraction',
    setup: { env: withEnv({ SYNC_RECONCILE_INTERVAL_MS: '1.5' }) },
    message:
      'SYNC_RECONCILE_INTERVAL_MS="1.5" in the environment: must be a whole number of milliseconds from 1 to 2147483647',
  },
  {
    name: 'live interval with a unit',
    setup: { env: {}, envFile: envLines({ ...REQUIRED, SYNC_RECONCILE_INTERVAL_LIVE_MS: '5m' }) },
    message:
      'SYNC_RECONCILE_INTERVAL_LIVE_MS="5m" in .env.sync: must be a whole number of milliseconds from 0 to 2147483647, or 0 for the same as SYNC_RECONCILE_INTERVAL_MS',
  },
  {
    name: 'live interval beyond a timer',
    setup: { env: withEnv({ SYNC_RECONCILE_INTERVAL_LIVE_MS: '2147483648' }) },
    message:
      'SYNC_RECONCILE_INTERVAL_LIVE_MS="2147483648" in the environment: must be a whole number of milliseconds from 0 to 2147483647, or 0 for the same as SYNC_RECONCILE_INTERVAL_MS',
  },
  {
    name: 'negative backfill',
    setup: { env: withEnv({ SYNC_INITIAL_BACKFILL_MS: '-1' }) },
    message:
      'SYNC_INITIAL_BACKFILL_MS="-1" in the environment: must be a whole number of milliseconds from 0 to 9007199254740991, or unset to copy the whole table on the first run',
  },
  {
    name: 'bad SYNC_MODE',
    setup: { env: withEnv({ SYNC_MODE: 'full' }) },
    message: 'SYNC_MODE="full" in the environment: must be "default" or "reconcile"',
  },
  {
    name: 'bad boolean',
    setup: { env: {}, envFile: envLines({ ...REQUIRED, SYNC_LOOP: 'maybe' }) },
    message: 'SYNC_LOOP="maybe" in .env.sync: must be true or false (1/0 and yes/no also work)',
  },
  {
    name: 'TEMPORAL_ADDRESS with a scheme',
    setup: { env: withEnv({ TEMPORAL_ADDRESS: 'http://localhost:7233' }) },
    message:
      'TEMPORAL_ADDRESS="http://localhost:7233" in the environment: must be host:port, e.g. 127.0.0.1:7233 (no scheme, no spaces)',
  },
  {
    name: 'bad log level',
    setup: { env: withEnv({ SYNC_LOG_LEVEL: 'verbose' }) },
    message:
      'SYNC_LOG_LEVEL="verbose" in the environment: must be one of fatal, error, warn, info, debug, trace, silent',
  },
  {
    name: 'a key pasted into the wrong variable is still not shown',
    setup: { env: withEnv({ SYNC_MODE: TARGET_KEY }) },
    message: 'SYNC_MODE="***" in the environment: must be "default" or "reconcile"',
  },
  {
    name: 'metrics address with a host name',
    setup: { env: withEnv({ SYNC_METRICS_ADDRESS: 'localhost:9464' }) },
    message:
      'SYNC_METRICS_ADDRESS="localhost:9464" in the environment: must be ip:port to serve Prometheus metrics on (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 for every interface; an IP address, not a host name), or off',
  },
  {
    name: 'metrics address without a port',
    setup: { env: {}, envFile: envLines({ ...REQUIRED, SYNC_METRICS_ADDRESS: '0.0.0.0' }) },
    message:
      'SYNC_METRICS_ADDRESS="0.0.0.0" in .env.sync: must be ip:port to serve Prometheus metrics on (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 for every interface; an IP address, not a host name), or off',
  },
  {
    name: 'metrics port out of range',
    setup: { env: withEnv({ SYNC_METRICS_ADDRESS: '127.0.0.1:70000' }) },
    message: /^SYNC_METRICS_ADDRESS="127\.0\.0\.1:70000" in the environment: must be ip:port /,
  },
  {
    name: 'TLS certificate without its key',
    setup: { env: withEnv({ TEMPORAL_TLS_CERT_PATH: 'c.pem' }), files: { 'c.pem': FAKE_CERT } },
    message:
      'TEMPORAL_TLS_KEY_PATH must be set together with TEMPORAL_TLS_CERT_PATH (mTLS needs the client certificate and its private key, PEM files); set it in the environment or create .env.sync (see sync/env.sync.example), e.g. TEMPORAL_TLS_KEY_PATH=/etc/supabase-sync/client.key',
  },
  {
    name: 'TLS key without its certificate',
    setup: { env: withEnv({ TEMPORAL_TLS_KEY_PATH: 'c.key' }), files: { 'c.key': FAKE_KEY } },
    message:
      'TEMPORAL_TLS_CERT_PATH must be set together with TEMPORAL_TLS_KEY_PATH (mTLS needs the client certificate and its private key, PEM files); set it in the environment or create .env.sync (see sync/env.sync.example), e.g. TEMPORAL_TLS_CERT_PATH=/etc/supabase-sync/client.pem',
  },
  {
    name: 'TLS certificate file missing',
    setup: {
      env: withEnv({ TEMPORAL_TLS_CERT_PATH: 'certs/missing.pem', TEMPORAL_TLS_KEY_PATH: 'c.key' }),
      files: { 'c.key': FAKE_KEY },
    },
    message:
      /^TEMPORAL_TLS_CERT_PATH="certs\/missing\.pem" in the environment: file not found \(\/.*\/certs\/missing\.pem\); point it at the client certificate \(a PEM file\)$/,
  },
  {
    name: 'TLS key file is not PEM (contents never shown)',
    setup: {
      env: withEnv({ TEMPORAL_TLS_CERT_PATH: 'c.pem', TEMPORAL_TLS_KEY_PATH: 'c.key' }),
      files: { 'c.pem': FAKE_CERT, 'c.key': 'MIIEfakekey' },
    },
    message:
      /^TEMPORAL_TLS_KEY_PATH="c\.key" in the environment: is not a PEM file \(no "-----BEGIN" line in \/.*\/c\.key\); point it at the client certificate's private key \(a PEM file\)$/,
  },
  {
    name: 'Temporal API key with a space (value never shown)',
    setup: { env: withEnv({ TEMPORAL_API_KEY: `${API_KEY} x` }) },
    message:
      'TEMPORAL_API_KEY in the environment: contains spaces or line breaks; paste the key again as one line',
  },
  {
    name: 'SYNC_ENV_PATH names a missing file',
    setup: { env: withEnv({ SYNC_ENV_PATH: 'conf/missing.env' }) },
    message:
      /^SYNC_ENV_PATH="conf\/missing\.env": file not found \(\/.*\/conf\/missing\.env\); create it \(see sync\/env\.sync\.example\) or unset SYNC_ENV_PATH to use \.env\.sync$/,
  },
  {
    name: 'tables file missing',
    setup: { tables: null },
    message:
      /^sync\/tables\.config\.json: tables file not found \(\/.*\/sync\/tables\.config\.json\); copy sync\/tables\.config\.example\.json there or point SYNC_TABLE_CONFIG at your tables file$/,
  },
  {
    name: 'invalid JSON',
    setup: { tables: '{\n  "tables": [\n    {"name": "orders",}\n  ]\n}' },
    message:
      /^sync\/tables\.config\.json: invalid JSON: .*position \d+.*line 3,? column \d+.*; fix the syntax \(JSON allows no comments or trailing commas\)$/,
  },
  {
    name: 'top level is neither an array nor an object',
    setup: { tables: '"orders"' },
    message: `${F}: must be a JSON array of tables or {"tables": [...]} (got a string); see sync/tables.config.example.json`,
  },
  {
    name: 'misspelt top-level key',
    setup: { tables: '{"table": [{"name": "orders"}]}' },
    message: `${F}: unknown top-level key "table" (did you mean tables?); allowed keys: tables, include, exclude, storage, schema, sequences, auth; expected {"tables": [...]}`,
  },
  {
    name: 'empty tables',
    setup: { tables: '{"tables": []}' },
    message: `${F}: no tables configured; add at least one entry like {"name": "public.orders"}`,
  },
  {
    name: 'empty bare array',
    setup: { tables: '[]' },
    message: `${F}: no tables configured; add at least one entry like {"name": "public.orders"}`,
  },
  {
    name: 'duplicate table (schema defaults to public)',
    setup: { tables: tablesJson([{ name: 'orders' }, { name: 'items' }, { name: 'public.orders' }]) },
    message: `${F}: table "public.orders" is listed twice (tables[0] and tables[2]); remove one of them`,
  },
  {
    name: 'table entry is not an object',
    setup: { tables: tablesJson([{ name: 'orders' }, 'items']) },
    message: `${F}: tables[1] must be an object like {"name": "public.orders"} (got a string)`,
  },
  {
    name: 'table name missing',
    setup: { tables: tablesJson([{ primaryKeys: ['id'] }]) },
    message: `${F}: tables[0]: name is missing; add "name": "public.orders" (or just "orders" for schema public)`,
  },
  {
    name: 'table name is not a string',
    setup: { tables: tablesJson([{ name: 42 }]) },
    message: `${F}: tables[0]: name must be a string like "public.orders" (got a number)`,
  },
  {
    name: 'table name with a semicolon',
    setup: { tables: tablesJson([{ name: 'orders;drop table x' }]) },
    message: `${F}: tables[0]: name "orders;drop table x" is not a valid table name ${ID_RULE}`,
  },
  {
    name: 'table name with quotes',
    setup: { tables: tablesJson([{ name: 'public."Orders"' }]) },
    message: `${F}: tables[0]: name "public.\\"Orders\\"": table "\\"Orders\\"" is not a valid table name ${ID_RULE}`,
  },
  {
    name: 'schema name with a space',
    setup: { tables: tablesJson([{ name: 'my schema.orders' }]) },
    message: `${F}: tables[0]: name "my schema.orders": schema "my schema" is not a valid schema name ${ID_RULE}`,
  },
  {
    name: 'table name with a dot too many',
    setup: { tables: tablesJson([{ name: 'db.public.orders' }]) },
    message: `${F}: tables[0]: name "db.public.orders" has too many dots; write "table" or "schema.table" ${ID_RULE}`,
  },
  {
    name: 'table name too long',
    setup: { tables: tablesJson([{ name: 't'.repeat(64) }]) },
    message: `${F}: tables[0]: name "${'t'.repeat(64)}" is too long for a table name (64 bytes; at most 63)`,
  },
  {
    name: 'primary key with a comma',
    setup: { tables: tablesJson([{ name: 'public.orders', primaryKeys: ['tenant_id', 'id,name'] }]) },
    message: `${F}: table "public.orders": primaryKeys[1] "id,name" is not a valid column name ${ID_RULE}`,
  },
  {
    name: 'primary key with SQL in it',
    setup: { tables: tablesJson([{ name: 'public.orders', primaryKeys: ['id', 'id;drop'] }]) },
    message: `${F}: table "public.orders": primaryKeys[1] "id;drop" is not a valid column name ${ID_RULE}`,
  },
  {
    name: 'primaryKeys empty',
    setup: { tables: tablesJson([{ name: 'orders', primaryKeys: [] }]) },
    message: `${F}: table "public.orders": primaryKeys is empty; list the primary key column(s), e.g. ["id"], or leave primaryKeys out to use the default`,
  },
  {
    name: 'primaryKeys is a string',
    setup: { tables: tablesJson([{ name: 'orders', primaryKeys: 'id' }]) },
    message: `${F}: table "public.orders": primaryKeys must be a non-empty array of column names, e.g. ["id"] (got a string)`,
  },
  {
    name: 'primary key column listed twice',
    setup: { tables: tablesJson([{ name: 'orders', primaryKeys: ['id', 'id'] }]) },
    message: `${F}: table "public.orders": primaryKeys[1] "id" is listed twice; remove the duplicate`,
  },
  {
    name: 'primary key column is a number',
    setup: { tables: tablesJson([{ name: 'orders', primaryKeys: [1] }]) },
    message: `${F}: table "public.orders": primaryKeys[0] must be a column name string (got a number)`,
  },
  {
    name: 'unknown key primaryKey',
    setup: { tables: tablesJson([{ name: 'public.orders', primaryKey: 'order_id' }]) },
    message: `${F}: table "public.orders": unknown key "primaryKey" (did you mean primaryKeys?); allowed keys: name, primaryKeys, incrementalFields, realtime, reconcile`,
  },
  {
    name: 'unknown key in snake case',
    setup: { tables: tablesJson([{ name: 'orders', incremental_fields: ['updated_at'] }]) },
    message: `${F}: table "public.orders": unknown key "incremental_fields" (did you mean incrementalFields?); allowed keys: name, primaryKeys, incrementalFields, realtime, reconcile`,
  },
  {
    name: 'unknown key with no close match',
    setup: { tables: tablesJson([{ name: 'orders', filter: 'x > 1' }]) },
    message: `${F}: table "public.orders": unknown key "filter"; allowed keys: name, primaryKeys, incrementalFields, realtime, reconcile`,
  },
  {
    name: 'incrementalFields not an array',
    setup: { tables: tablesJson([{ name: 'orders', incrementalFields: 'updated_at' }]) },
    message: `${F}: table "public.orders": incrementalFields must be a non-empty array of column names, e.g. ["updated_at", "created_at"] (got a string)`,
  },
  {
    name: 'incrementalFields with an expression',
    setup: {
      tables: tablesJson([{ name: 'orders', incrementalFields: ['coalesce(updated_at, created_at)'] }]),
    },
    message: `${F}: table "public.orders": incrementalFields[0] "coalesce(updated_at, created_at)" is not a valid column name ${ID_RULE}`,
  },
  {
    name: 'realtime is a string',
    setup: { tables: tablesJson([{ name: 'orders' }, { name: 'items', realtime: 'yes' }]) },
    message: `${F}: table "public.items": realtime must be true or false without quotes (got a string "yes"); leave realtime out to use the default true`,
  },
  {
    name: 'bare-array file names entries by index',
    setup: { tables: JSON.stringify([{ name: 'orders' }, { name: 7 }]) },
    message: `${F}: [1]: name must be a string like "public.orders" (got a number)`,
  },
  {
    name: 'custom SYNC_TABLE_CONFIG path is named in messages',
    setup: {
      env: withEnv({ SYNC_TABLE_CONFIG: 'conf/t.json' }),
      files: { 'conf/t.json': '{"tables": [{"name": "orders", "reconcile": null}]}' },
    },
    message:
      'conf/t.json: table "public.orders": reconcile must be true or false without quotes (got null); leave reconcile out to use the default true',
  },
];

for (const { name, setup: s, message } of badInputs) {
  void test(`bad input: ${name}`, () => {
    const actual = loadError(s);
    if (typeof message === 'string') assert.equal(actual, message);
    else assert.match(actual, message);
  });
}

void test('at least 15 bad inputs are covered', () => {
  assert.ok(badInputs.length >= 15);
});

// ---------------------------------------------------------------------------------------------
// SYNC_PAYLOAD_KEY: optional encryption of what enters Temporal history (src/temporal/codec.ts).

const PAYLOAD_KEY = Buffer.alloc(32, 7).toString('base64');

void test('SYNC_PAYLOAD_KEY enables payload encryption; SYNC_PAYLOAD_KEY_ID defaults to "default"', () => {
  assert.deepEqual(load({ env: withEnv({ SYNC_PAYLOAD_KEY: PAYLOAD_KEY }) }).payloadEncryption, {
    key: PAYLOAD_KEY,
    keyId: 'default',
  });
  const urlSafe = Buffer.alloc(32, 0xfb).toString('base64url');
  const config = load({ env: withEnv({ SYNC_PAYLOAD_KEY: urlSafe, SYNC_PAYLOAD_KEY_ID: '2026-01' }) });
  assert.deepEqual(config.payloadEncryption, {
    key: Buffer.alloc(32, 0xfb).toString('base64'),
    keyId: '2026-01',
  });
  assert.equal(redactedConfig(config).payloadEncryption?.key, '***');
  assert.equal(load().payloadEncryption, undefined);
});

const payloadKeyCases: Array<{ name: string; env: Record<string, string>; message: string | RegExp }> = [
  {
    name: 'not base64',
    env: { SYNC_PAYLOAD_KEY: 'not a key!' },
    message:
      /^SYNC_PAYLOAD_KEY in the environment: must be 32 random bytes in base64 \(44 characters; this is not base64\): generate one with `openssl rand -base64 32`/,
  },
  {
    name: '16 bytes (AES-128 size)',
    env: { SYNC_PAYLOAD_KEY: Buffer.alloc(16, 1).toString('base64') },
    message:
      /^SYNC_PAYLOAD_KEY in the environment: must be 32 random bytes in base64 \(44 characters; this decodes to 16 bytes\)/,
  },
  {
    name: 'a hex key of 64 characters',
    env: { SYNC_PAYLOAD_KEY: 'ab'.repeat(32) },
    message:
      /^SYNC_PAYLOAD_KEY in the environment: must be 32 random bytes in base64 .*this decodes to 48 bytes/,
  },
  {
    name: 'key id without a key',
    env: { SYNC_PAYLOAD_KEY_ID: 'k1' },
    message:
      /^SYNC_PAYLOAD_KEY_ID="k1" in the environment: is set but SYNC_PAYLOAD_KEY is not: set SYNC_PAYLOAD_KEY/,
  },
  {
    name: 'key id with spaces',
    env: { SYNC_PAYLOAD_KEY: PAYLOAD_KEY, SYNC_PAYLOAD_KEY_ID: 'my key' },
    message: /^SYNC_PAYLOAD_KEY_ID="my key" in the environment: must be a short name for the key/,
  },
];

for (const { name, env, message } of payloadKeyCases) {
  void test(`bad SYNC_PAYLOAD_KEY: ${name}`, () => {
    const actual = loadError({ env: withEnv(env) });
    assert.match(actual, message instanceof RegExp ? message : new RegExp(message));
    if (env.SYNC_PAYLOAD_KEY) assert.ok(!actual.includes(env.SYNC_PAYLOAD_KEY), 'the key is not shown');
  });
}

void test('a bad SYNC_PAYLOAD_KEY from the env file names the file, not the value', () => {
  const bad = Buffer.alloc(31, 9).toString('base64');
  const actual = loadError({ env: {}, envFile: envLines({ ...REQUIRED, SYNC_PAYLOAD_KEY: bad }) });
  assert.match(actual, /^SYNC_PAYLOAD_KEY in \.env\.sync: must be 32 random bytes in base64 .*31 bytes/);
  assert.ok(!actual.includes(bad));
});

void test('the codec server configuration: key required, address and UI origins', () => {
  const { cwd } = setup({ tables: null });
  try {
    const env = loadCodecServerEnv({ env: { SYNC_PAYLOAD_KEY: PAYLOAD_KEY }, cwd });
    assert.deepEqual(env, {
      payloadEncryption: { key: PAYLOAD_KEY, keyId: 'default' },
      host: '127.0.0.1',
      port: 8888,
      corsOrigins: [...DEFAULT_CODEC_CORS_ORIGINS],
    });
    const custom = loadCodecServerEnv({
      env: {
        SYNC_PAYLOAD_KEY: PAYLOAD_KEY,
        SYNC_CODEC_ADDRESS: '0.0.0.0:9999',
        SYNC_CODEC_CORS_ORIGINS: 'https://temporal.example.com/, http://localhost:8233',
      },
      cwd,
    });
    assert.deepEqual(
      [custom.host, custom.port, custom.corsOrigins],
      ['0.0.0.0', 9999, ['https://temporal.example.com', 'http://localhost:8233']],
    );
    const error = (env: Record<string, string>) => {
      try {
        loadCodecServerEnv({ env, cwd });
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        assert.doesNotMatch(err.message, /[\r\n]/);
        return err.message;
      }
      return assert.fail('expected a ConfigError');
    };
    assert.match(
      error({}),
      /^SYNC_PAYLOAD_KEY is not set; set it in the environment or create \.env\.sync .*openssl rand -base64 32/,
    );
    assert.match(
      error({ SYNC_PAYLOAD_KEY: PAYLOAD_KEY, SYNC_CODEC_ADDRESS: 'http://localhost:8888' }),
      /^SYNC_CODEC_ADDRESS="http:\/\/localhost:8888" in the environment: must be host:port to listen on/,
    );
    assert.match(
      error({ SYNC_PAYLOAD_KEY: PAYLOAD_KEY, SYNC_CODEC_CORS_ORIGINS: 'localhost:8233' }),
      /^SYNC_CODEC_CORS_ORIGINS="localhost:8233" in the environment: .*must be a comma-separated list of origins/,
    );
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
