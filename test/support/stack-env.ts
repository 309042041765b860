import os from 'node:os';

/** The stack the harness (test/run.ts) started for this run, read from the environment. */
export interface TestProject {
  url: string;
  serviceRoleKey: string;
  /** The project's anon key: REST requests with it alone run as `anon`. */
  anonKey: string;
  /** Signs the project's keys and its users' tokens (devstack/keys.ts `userAccessToken`). */
  jwtSecret: string;
  /** As `postgres`, NOT a superuser (as on hosted projects): what a user's SQL runs as. */
  databaseUrl: string;
  /** As the superuser `supabase_admin`, for setup a hosted project never allows its users. */
  adminDatabaseUrl: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run tests through the harness (npm test, or npx tsx test/run.ts FILE)`,
    );
  return value;
}

export function testStack(): {
  source: TestProject;
  target: TestProject;
  temporal: { address: string; namespace: string };
} {
  return {
    source: {
      url: required('SYNC_SOURCE_SUPABASE_URL'),
      serviceRoleKey: required('SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY'),
      anonKey: required('STACK_SOURCE_ANON_KEY'),
      jwtSecret: required('STACK_SOURCE_JWT_SECRET'),
      databaseUrl: required('STACK_SOURCE_DATABASE_URL'),
      adminDatabaseUrl: required('STACK_SOURCE_ADMIN_DATABASE_URL'),
    },
    target: {
      url: required('SYNC_TARGET_SUPABASE_URL'),
      serviceRoleKey: required('SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY'),
      anonKey: required('STACK_TARGET_ANON_KEY'),
      jwtSecret: required('STACK_TARGET_JWT_SECRET'),
      databaseUrl: required('STACK_TARGET_DATABASE_URL'),
      adminDatabaseUrl: required('STACK_TARGET_ADMIN_DATABASE_URL'),
    },
    temporal: {
      address: required('TEMPORAL_ADDRESS'),
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    },
  };
}

/** An env file, as a user writes it, pointing `npm run sync` and the CLI at this stack and task queue. */
export function envFileText(taskQueue: string, extra: string[] = []): string {
  const stack = testStack();
  return [
    `SYNC_SOURCE_SUPABASE_URL=${stack.source.url}`,
    `SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY=${stack.source.serviceRoleKey}`,
    `SYNC_TARGET_SUPABASE_URL=${stack.target.url}`,
    `SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=${stack.target.serviceRoleKey}`,
    `TEMPORAL_ADDRESS=${stack.temporal.address}`,
    `TEMPORAL_NAMESPACE=${stack.temporal.namespace}`,
    `TEMPORAL_TASK_QUEUE=${taskQueue}`,
    'SYNC_RECONCILE_INTERVAL_MS=1000',
    // The schema watch is off unless a test turns it on (schema-watch, schema-follow): in the shared
    // test databases other files' objects change the watched schemas all the time.
    'SYNC_SCHEMA_WATCH_INTERVAL_MS=0',
    ...extra,
    '',
  ].join('\n');
}

/**
 * Where a test makes its temporary folders: the harness's run folder (TEST_TMP_DIR), removed by
 * its guard however the run ends, even when a test file's process is killed before its `after`.
 */
export function testTmpDir(): string {
  return process.env.TEST_TMP_DIR ?? os.tmpdir();
}
