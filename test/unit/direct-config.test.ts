/**
 * The direct path's configuration: SYNC_SOURCE_DATABASE_URL (a secret: never in a message) with
 * SYNC_TARGET_DATABASE_URL, and SYNC_DIRECT_COPY_PARALLEL. Bad values: one line naming the variable
 * and the fix; the source's URL must be the source's database, not the target's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactedConfig } from '../../src/config/index.js';
import { connectDirect } from '../../src/supabase/direct.js';
import { configLoader, REQUIRED_ENV } from '../support/config-loader.js';

const PASSWORD = 'db-password-secret-0123456789';
const SOURCE_DB = `postgresql://postgres:${PASSWORD}@db.primaryprimaryprimar.supabase.co:5432/postgres`;
const TARGET_DB = `postgresql://postgres:${PASSWORD}@db.backupbackupbackupba.supabase.co:5432/postgres`;

const { load, loadError } = configLoader(REQUIRED_ENV, PASSWORD);

test('both URLs: the direct path, 4 ranges at once by default; the URLs redacted in the printable config', () => {
  const config = load({ SYNC_SOURCE_DATABASE_URL: SOURCE_DB, SYNC_TARGET_DATABASE_URL: TARGET_DB });
  assert.equal(config.sourceDatabaseUrl, SOURCE_DB);
  assert.equal(config.directParallel, 4);
  assert.ok(!JSON.stringify(redactedConfig(config)).includes(PASSWORD));
  const parallel = load({
    SYNC_SOURCE_DATABASE_URL: SOURCE_DB,
    SYNC_TARGET_DATABASE_URL: TARGET_DB,
    SYNC_DIRECT_COPY_PARALLEL: '8',
  });
  assert.equal(parallel.directParallel, 8);
});

test('without SYNC_SOURCE_DATABASE_URL there is no direct path (the target URL alone serves schema follow)', () => {
  const config = load({ SYNC_TARGET_DATABASE_URL: TARGET_DB });
  assert.equal(config.sourceDatabaseUrl, undefined);
  assert.equal(connectDirect(config), undefined);
  assert.equal(connectDirect(load({})), undefined);
});

test('SYNC_SOURCE_DATABASE_URL: not a postgres URL, not a URL', () => {
  assert.equal(
    loadError({
      SYNC_SOURCE_DATABASE_URL: `https://postgres:${PASSWORD}@db.example.com`,
      SYNC_TARGET_DATABASE_URL: TARGET_DB,
    }),
    "SYNC_SOURCE_DATABASE_URL in the environment: must be the source's Postgres connection URL, postgresql://postgres:PASSWORD@db.<primary-ref>.supabase.co:5432/postgres (Dashboard → Connect)",
  );
  assert.equal(
    loadError({
      SYNC_SOURCE_DATABASE_URL: `postgresql://postgres:${PASSWORD}@db.example.com:port/postgres`,
      SYNC_TARGET_DATABASE_URL: TARGET_DB,
    }),
    'SYNC_SOURCE_DATABASE_URL in the environment: is not a valid URL (a password with @, : or / must be percent-encoded)',
  );
});

test('SYNC_SOURCE_DATABASE_URL without SYNC_TARGET_DATABASE_URL: both are needed', () => {
  assert.equal(
    loadError({ SYNC_SOURCE_DATABASE_URL: SOURCE_DB }),
    "SYNC_SOURCE_DATABASE_URL in the environment: is set but SYNC_TARGET_DATABASE_URL is not: the direct copy needs both databases; set SYNC_TARGET_DATABASE_URL to the target's database URL, or unset SYNC_SOURCE_DATABASE_URL",
  );
});

test("SYNC_SOURCE_DATABASE_URL must be the source's database, not the target's", () => {
  const targets =
    "SYNC_SOURCE_DATABASE_URL in the environment: is the target's database; it must be the source's (primary) database: its URL from the source project's Dashboard → Connect";
  // The same database as SYNC_TARGET_DATABASE_URL.
  assert.equal(
    loadError({ SYNC_SOURCE_DATABASE_URL: TARGET_DB, SYNC_TARGET_DATABASE_URL: TARGET_DB }),
    targets,
  );
  // The target project's pooler (its user names the project).
  assert.equal(
    loadError({
      SYNC_SOURCE_DATABASE_URL: `postgresql://postgres.backupbackupbackupba:${PASSWORD}@aws-0-eu-central-1.pooler.supabase.com:5432/postgres`,
      SYNC_TARGET_DATABASE_URL: TARGET_DB,
    }),
    targets,
  );
});

test('SYNC_DIRECT_COPY_PARALLEL: a whole number from 1 to 16', () => {
  assert.equal(
    loadError({
      SYNC_SOURCE_DATABASE_URL: SOURCE_DB,
      SYNC_TARGET_DATABASE_URL: TARGET_DB,
      SYNC_DIRECT_COPY_PARALLEL: '0',
    }),
    'SYNC_DIRECT_COPY_PARALLEL="0" in the environment: must be a whole number of key ranges copied at once from 1 to 16',
  );
});

test("a transaction pooler's URL (port 6543) is refused for either database: no session between statements", () => {
  const pooler = (ref: string) =>
    `postgresql://postgres.${ref}:${PASSWORD}@aws-0-eu-central-1.pooler.supabase.com:6543/postgres`;
  const why =
    "is the transaction pooler (port 6543), which keeps no session between statements; use the session pooler's URL (port 5432) or the direct connection (Dashboard → Connect)";
  assert.equal(
    loadError({
      SYNC_SOURCE_DATABASE_URL: pooler('primaryprimaryprimar'),
      SYNC_TARGET_DATABASE_URL: TARGET_DB,
    }),
    `SYNC_SOURCE_DATABASE_URL in the environment: ${why}`,
  );
  assert.equal(
    loadError({ SYNC_TARGET_DATABASE_URL: pooler('backupbackupbackupba') }),
    `SYNC_TARGET_DATABASE_URL in the environment: ${why}`,
  );
  // The session pooler (5432) is a session.
  const session = pooler('primaryprimaryprimar').replace(':6543/', ':5432/');
  assert.equal(
    load({ SYNC_SOURCE_DATABASE_URL: session, SYNC_TARGET_DATABASE_URL: TARGET_DB }).directParallel,
    4,
  );
});
