/**
 * Auth users (`"auth": true`): auth.users and auth.identities on the local stack's auth schema (as
 * hosted) are kept in sync like tables: ids, emails, password hashes, metadata, confirmation and
 * ban state, updates and deletes; a profiles table referencing auth.users holds on the target.
 * No email or password hash appears in the worker's logs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { withAuthTables } from '../../src/config/tables-extras.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { waitInSync } from '../support/compare.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { holdDuringFile } from '../support/resource-lock.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);
const profilesName = uniqueName('auth_profiles');
const profiles = table(profilesName, { realtime: false });
const tag = uniqueName('u');
const users = Array.from({ length: 5 }, (_, i) => ({
  id: randomUUID(),
  email: `${tag}-${i}@example.test`,
  // A bcrypt hash as GoTrue stores it.
  hash: `$2a$10$${tag}${String(i).padStart(2, '0')}abcdefghijklmnopqrstuvwxyzABCDEF`.slice(0, 60),
}));
let sync: RunningSync;

/** The rows of this test's users (other tests may add users), as text. */
async function authRows(url: string): Promise<string[]> {
  const { rows } = await db(url).query<{ row: string }>(
    `SELECT to_jsonb(u)::text AS row FROM auth.users u WHERE u.email LIKE $1 ORDER BY u.id`,
    [`${tag}-%`],
  );
  const ids = await db(url).query<{ row: string }>(
    `SELECT to_jsonb(i)::text AS row FROM auth.identities i WHERE i.provider_id LIKE $1 ORDER BY i.id`,
    [`${tag}-%`],
  );
  return [...rows.map((r) => r.row), ...ids.rows.map((r) => r.row)];
}

async function waitAuthInSync(timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [s, t] = await Promise.all([
      authRows(stack.source.databaseUrl),
      authRows(stack.target.databaseUrl),
    ]);
    if (JSON.stringify(s) === JSON.stringify(t)) return;
    if (Date.now() > deadline) assert.deepEqual(t, s, 'auth rows differ');
    await new Promise((r) => setTimeout(r, 100));
  }
}

// It compares auth users on both projects: no other file may add any meanwhile (test/support/resource-lock.ts).
holdDuringFile('auth.users', 'exclusive');

before(async () => {
  for (const pool of [source(), target()]) {
    await pool.query(
      `CREATE TABLE public.${profilesName} (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, name text, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await pool.query(`GRANT ALL ON public.${profilesName} TO service_role`);
  }
  for (const [i, u] of users.entries()) {
    await source().query(
      `INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until)
       VALUES ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, $3, $4, '{"provider":"email","providers":["email"]}', $5, now(), now(), $6)`,
      [
        u.id,
        u.email,
        u.hash,
        i % 2 === 0 ? new Date() : null,
        { name: `user ${i}` },
        i === 4 ? '2999-01-01' : null,
      ],
    );
    await source().query(
      `INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
       VALUES ($1, $2, $3, 'email', now(), now())`,
      [`${tag}-${i}`, u.id, { sub: u.id, email: u.email, email_verified: i % 2 === 0 }],
    );
    await source().query(`INSERT INTO public.${profilesName} (id, name) VALUES ($1, $2)`, [
      u.id,
      `profile ${i}`,
    ]);
  }
  const config = testConfig(withAuthTables([profiles]));
  sync = await startSync(config);
  for (const t of config.tables) await waitUntilSyncing(sync, t, { realtime: false, timeoutMs: 30_000 });
});

after(async () => {
  await sync?.close();
  await closeDatabases();
});

describe('auth users', () => {
  test('users, identities and the rows that reference them are on the target, hashes included', async () => {
    await waitAuthInSync();
    await waitInSync(profilesName);
    const { rows } = await target().query<{ encrypted_password: string; banned_until: Date | null }>(
      `SELECT encrypted_password, banned_until FROM auth.users WHERE id = $1`,
      [users[4]!.id],
    );
    assert.equal(rows[0]?.encrypted_password, users[4]!.hash);
    assert.ok(rows[0]?.banned_until, 'the ban is kept');
  });

  test('a changed password, a confirmation and a delete reach the target', async () => {
    await source().query(`UPDATE auth.users SET encrypted_password = $2, updated_at = now() WHERE id = $1`, [
      users[0]!.id,
      `${users[0]!.hash.slice(0, 50)}CHANGED123`,
    ]);
    await source().query(
      `UPDATE auth.users SET email_confirmed_at = now(), updated_at = now() WHERE id = $1`,
      [users[1]!.id],
    );
    await source().query(`DELETE FROM auth.users WHERE id = $1`, [users[3]!.id]);
    await waitAuthInSync();
    await waitInSync(profilesName);
    const gone = await target().query(`SELECT 1 FROM auth.users WHERE id = $1`, [users[3]!.id]);
    assert.equal(gone.rowCount, 0);
  });

  test('no email or password hash in the worker logs', () => {
    const logs = sync.logs.lines.join('\n');
    for (const u of users) {
      assert.ok(!logs.includes(u.email), 'an email is in the logs');
      assert.ok(!logs.includes(u.hash.slice(7)), 'a password hash is in the logs');
    }
  });
});
