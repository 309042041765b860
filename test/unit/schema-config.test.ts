/**
 * The schema watch's configuration: SYNC_SCHEMA_WATCH_INTERVAL_MS, SYNC_TARGET_DATABASE_URL (a
 * secret: never in a message) and the tables file's `"schema": {"follow": true}`, which needs it.
 * Bad values: one line naming the file and key or the variable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactedConfig } from '../../src/config/index.js';
import { configLoader, REQUIRED_ENV } from '../support/config-loader.js';

const PASSWORD = 'db-password-secret-0123456789';
const DB_URL = `postgresql://postgres:${PASSWORD}@db.backupbackupbackupba.supabase.co:5432/postgres`;

const { load, loadError } = configLoader(REQUIRED_ENV, PASSWORD);

const follow = (value: unknown) => ({ tables: [{ name: 'orders' }], schema: value });

test('SYNC_SCHEMA_WATCH_INTERVAL_MS: 60 s by default, 0 turns it off, at least 1 s otherwise', () => {
  assert.deepEqual(load({}).schemaWatch, { intervalMs: 60_000 });
  assert.deepEqual(load({ SYNC_SCHEMA_WATCH_INTERVAL_MS: '5000' }).schemaWatch, { intervalMs: 5000 });
  assert.deepEqual(load({ SYNC_SCHEMA_WATCH_INTERVAL_MS: '0' }).schemaWatch, { intervalMs: 0 });
  assert.equal(
    loadError({ SYNC_SCHEMA_WATCH_INTERVAL_MS: '500' }),
    'SYNC_SCHEMA_WATCH_INTERVAL_MS="500" in the environment: must be 0 (off) or at least 1000 milliseconds',
  );
  assert.match(
    loadError({ SYNC_SCHEMA_WATCH_INTERVAL_MS: '1m' }),
    /^SYNC_SCHEMA_WATCH_INTERVAL_MS="1m" in the environment: must be a whole number of milliseconds from 0 to \d+, or 0 to turn the schema watch off$/,
  );
});

test('"schema": {"follow": true} with SYNC_TARGET_DATABASE_URL; the URL is redacted in the printable config', () => {
  const config = load({ SYNC_TARGET_DATABASE_URL: DB_URL }, follow({ follow: true }));
  assert.deepEqual(config.schema, { follow: true });
  assert.equal(config.targetDatabaseUrl, DB_URL);
  assert.ok(!JSON.stringify(redactedConfig(config)).includes(PASSWORD));
  assert.deepEqual(load({}, follow({ follow: false })).schema, { follow: false });
  assert.deepEqual(load({}, follow({})).schema, { follow: false });
  assert.equal(load({}).schema, undefined);
});

test('follow without SYNC_TARGET_DATABASE_URL: one line naming the file, the key and the variable', () => {
  assert.equal(
    loadError({}, follow({ follow: true })),
    `tables.json: schema.follow is true but SYNC_TARGET_DATABASE_URL is not set: set it to the target's database URL (postgresql://postgres:PASSWORD@db.<backup-ref>.supabase.co:5432/postgres), through which the worker applies what the source adds, or leave "schema": {"follow": true} out`,
  );
});

test('bad values of the schema key: one line naming the file and the key', () => {
  assert.equal(
    loadError({}, follow('follow')),
    'tables.json: schema must be an object like {"schema": {"follow": true}} (got a string)',
  );
  assert.equal(
    loadError({}, follow({ follow: 'yes' })),
    'tables.json: schema.follow must be true or false without quotes (got a string "yes"); true applies what the source adds to the target, leave it out for false',
  );
  assert.equal(
    loadError({}, follow({ folow: true })),
    'tables.json: schema: unknown key "folow" (did you mean follow?); allowed keys: follow',
  );
  assert.match(
    loadError({}, { tables: [{ name: 'orders' }], schemas: { follow: true } }),
    /^tables\.json: unknown top-level key "schemas" \(did you mean schema\?\)/,
  );
});

test('SYNC_TARGET_DATABASE_URL: a postgres URL of the target, its value never shown', () => {
  assert.equal(
    loadError({ SYNC_TARGET_DATABASE_URL: `https://postgres:${PASSWORD}@db.example.com` }),
    "SYNC_TARGET_DATABASE_URL in the environment: must be the target's Postgres connection URL, postgresql://postgres:PASSWORD@db.<backup-ref>.supabase.co:5432/postgres (Dashboard → Connect)",
  );
  assert.equal(
    loadError(
      {
        SYNC_TARGET_DATABASE_URL: `postgresql://postgres:${PASSWORD}@db.primaryprimaryprimar.supabase.co:5432/postgres`,
      },
      follow({ follow: true }),
    ),
    "SYNC_TARGET_DATABASE_URL is the source project's database (primaryprimaryprimar); it must be the target's (backup) database",
  );
});
