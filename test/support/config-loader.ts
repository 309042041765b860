/**
 * Loads the configuration as a user's env file and tables file would give it (a tables file
 * written to a temporary folder), for the configuration's unit tests: `load` returns it,
 * `loadError` the one-line ConfigError message, checked to be one line without `secret` in it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import type { SyncConfig } from '../../src/contracts/config.js';
import { testTmpDir } from './stack-env.js';

/** The four variables every configuration needs (hosted-shaped project URLs, fake keys). */
export const REQUIRED_ENV: Record<string, string> = {
  SYNC_SOURCE_SUPABASE_URL: 'https://primaryprimaryprimar.supabase.co',
  SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: 'source-secret-service-role-key-0123456789',
  SYNC_TARGET_SUPABASE_URL: 'https://backupbackupbackupba.supabase.co',
  SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: 'target-secret-service-role-key-9876543210',
};

export function configLoader(required: Record<string, string>, secret: string) {
  const load = (
    env: Record<string, string>,
    tables: unknown = { tables: [{ name: 'orders' }] },
  ): SyncConfig => {
    const cwd = fs.mkdtempSync(path.join(testTmpDir(), 'config-test-'));
    try {
      fs.writeFileSync(path.join(cwd, 'tables.json'), JSON.stringify(tables));
      return loadConfig({ env: { ...required, SYNC_TABLE_CONFIG: 'tables.json', ...env }, cwd });
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  };
  const loadError = (env: Record<string, string>, tables?: unknown): string => {
    try {
      load(env, tables);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.doesNotMatch(error.message, /[\r\n]/);
      assert.ok(!error.message.includes(secret), `the secret is shown: ${error.message}`);
      return error.message;
    }
    assert.fail('expected a ConfigError');
  };
  return { load, loadError };
}
