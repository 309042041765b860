/**
 * Contract: what the user's `postgres` role may do to the platform's tables in auth and storage, as on
 * a hosted project (supautils' policy_grants and drop_trigger_grants for postgres; no membership in
 * supabase_auth_admin / supabase_storage_admin since 2025-04-21; devstack/supautils.sql): policies and
 * triggers yes, the tables' structure no, with hosted's errors. Statements run in transactions rolled
 * back, so other test files never see a policy or trigger of this one.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type pg from 'pg';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';

const stack = testStack();
const postgres = () => db(stack.target.databaseUrl);
const admin = () => db(stack.target.adminDatabaseUrl);

after(closeDatabases);

/** Runs statements as postgres in one transaction, then rolls it back. */
async function rolledBack<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await postgres().connect();
  try {
    await client.query('BEGIN');
    return await run(client);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

async function refused(sql: string, message: string): Promise<void> {
  await rolledBack((client) =>
    assert.rejects(client.query(sql), (e: { code?: string; message?: string }) => {
      assert.deepEqual({ code: e.code, message: e.message }, { code: '42501', message }, sql);
      return true;
    }),
  );
}

/** Whether postgres holds (directly or through another role) the privileges of an admin role. */
async function postgresHasAdminPrivileges(client: pg.ClientBase | pg.Pool): Promise<boolean> {
  const { rows } = await client.query<{ any: boolean }>(
    `SELECT pg_has_role('postgres', 'supabase_storage_admin', 'USAGE')
         OR pg_has_role('postgres', 'supabase_auth_admin', 'USAGE') AS any`,
  );
  return rows[0]!.any;
}

describe('postgres and the platform tables, as hosted (supautils)', () => {
  test('creates, alters, comments on and drops policies on storage.objects, storage.buckets, auth.users and auth.identities', async () => {
    const policy = uniqueName('p');
    await rolledBack(async (client) => {
      for (const table of ['storage.objects', 'storage.buckets', 'auth.users', 'auth.identities']) {
        await client.query(`CREATE POLICY "${policy}" ON ${table} FOR SELECT TO authenticated USING (true)`);
        await client.query(`ALTER POLICY "${policy}" ON ${table} TO authenticated, anon USING (false)`);
        await client.query(`COMMENT ON POLICY "${policy}" ON ${table} IS 'rules'`);
        const { rows } = await client.query<{ roles: string[] }>(
          `SELECT roles::text[] AS roles FROM pg_policies WHERE schemaname || '.' || tablename = $1 AND policyname = $2`,
          [table, policy],
        );
        assert.deepEqual(rows, [{ roles: ['anon', 'authenticated'] }], table);
        await client.query(`DROP POLICY "${policy}" ON ${table}`);
      }
      assert.equal(await postgresHasAdminPrivileges(client), false);
    });
  });

  test('a storage policy as every app writes it, committed, then dropped; postgres keeps no admin privileges', async () => {
    const policy = uniqueName('avatars');
    await postgres().query(
      `CREATE POLICY "${policy}" ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'avatars')`,
    );
    try {
      const { rows } = await admin().query<{ qual: string }>(
        `SELECT qual FROM pg_policies WHERE schemaname = 'storage' AND tablename = 'objects' AND policyname = $1`,
        [policy],
      );
      assert.deepEqual(rows, [{ qual: "(bucket_id = 'avatars'::text)" }]);
      assert.equal(await postgresHasAdminPrivileges(postgres()), false);
    } finally {
      await postgres().query(`DROP POLICY "${policy}" ON storage.objects`);
    }
    assert.equal(await postgresHasAdminPrivileges(postgres()), false);
  });

  test('creates and drops triggers on auth.users and storage.objects, also with session_replication_role = replica', async () => {
    const fn = uniqueName('platform_ddl_noop');
    await rolledBack(async (client) => {
      await client.query(
        `CREATE FUNCTION public.${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
      );
      for (const table of ['auth.users', 'storage.objects']) {
        await client.query(
          `CREATE TRIGGER t AFTER INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION public.${fn}()`,
        );
        await client.query(
          `CREATE OR REPLACE TRIGGER t AFTER UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION public.${fn}()`,
        );
        await client.query(`DROP TRIGGER t ON ${table}`);
      }
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`CREATE POLICY r ON storage.objects USING (true)`);
      await client.query(`DROP POLICY r ON storage.objects`);
    });
  });

  test('may not change those tables: structure, indexes, owner, RLS, enabling triggers, renaming, comments (hosted: must be owner)', async () => {
    const refusals: Array<[string, string]> = [
      ['ALTER TABLE storage.objects ADD COLUMN x int', 'must be owner of table objects'],
      ['ALTER TABLE storage.objects DROP COLUMN version', 'must be owner of table objects'],
      ['ALTER TABLE auth.users ALTER COLUMN email SET NOT NULL', 'must be owner of table users'],
      ['CREATE INDEX ON storage.objects (owner)', 'must be owner of table objects'],
      ['DROP TABLE storage.buckets', 'must be owner of table buckets'],
      ['ALTER TABLE auth.identities OWNER TO postgres', 'must be owner of table identities'],
      ['ALTER TABLE storage.objects DISABLE ROW LEVEL SECURITY', 'must be owner of table objects'],
      [
        'ALTER TABLE storage.objects DISABLE TRIGGER update_objects_updated_at',
        'must be owner of table objects',
      ],
      ['ALTER TABLE auth.users ENABLE TRIGGER ALL', 'must be owner of table users'],
      [
        'ALTER TRIGGER update_objects_updated_at ON storage.objects RENAME TO x',
        'must be owner of table objects',
      ],
      [
        'COMMENT ON TRIGGER update_objects_updated_at ON storage.objects IS NULL',
        'must be owner of relation objects',
      ],
      ['COMMENT ON TABLE auth.users IS NULL', 'must be owner of table users'],
      ['COMMENT ON COLUMN storage.objects.name IS NULL', 'must be owner of relation objects'],
      [
        'COMMENT ON FUNCTION storage.foldername(text) IS NULL',
        'must be owner of function storage.foldername',
      ],
      ['COMMENT ON SCHEMA auth IS NULL', 'must be owner of schema auth'],
      ['CREATE TABLE auth.x (id int)', 'permission denied for schema auth'],
      ['CREATE TABLE storage.x (id int)', 'permission denied for schema storage'],
      [
        'CREATE FUNCTION storage.x() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
        'permission denied for schema storage',
      ],
      [
        'CREATE FUNCTION auth.x() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
        'permission denied for schema auth',
      ],
      ['ALTER FUNCTION auth.uid() SECURITY DEFINER', 'must be owner of function auth.uid'],
    ];
    for (const [sql, message] of refusals) await refused(sql, message);
  });

  test('ALTER POLICY … RENAME stays the owner’s (supautils lets through only ALTER POLICY’s other forms)', async () => {
    await rolledBack(async (client) => {
      await client.query(`CREATE POLICY a ON storage.objects USING (true)`);
      await client.query('SAVEPOINT s');
      await assert.rejects(client.query(`ALTER POLICY a ON storage.objects RENAME TO b`), {
        code: '42501',
        message: 'must be owner of table objects',
      });
      await client.query('ROLLBACK TO SAVEPOINT s');
      await client.query(`ALTER POLICY a ON storage.objects USING (false)`);
    });
  });

  test('policies and triggers only on the tables hosted lists: not on another table of the admin roles', async () => {
    const table = uniqueName('platform_other');
    await admin()
      .query(`CREATE TABLE storage.${table} (id int); ALTER TABLE storage.${table} OWNER TO supabase_storage_admin;
      GRANT ALL ON storage.${table} TO postgres;
      CREATE POLICY p ON storage.${table} USING (true);
      CREATE TRIGGER t BEFORE INSERT ON storage.${table} FOR EACH ROW EXECUTE FUNCTION storage.update_updated_at_column()`);
    try {
      await refused(`CREATE POLICY q ON storage.${table} USING (true)`, `must be owner of table ${table}`);
      await refused(`ALTER POLICY p ON storage.${table} USING (false)`, `must be owner of table ${table}`);
      await refused(`COMMENT ON POLICY p ON storage.${table} IS 'x'`, `must be owner of relation ${table}`);
      await refused(`DROP POLICY p ON storage.${table}`, `must be owner of relation ${table}`);
      await refused(`DROP TRIGGER t ON storage.${table}`, `must be owner of relation ${table}`);
    } finally {
      await admin().query(`DROP TABLE storage.${table}`);
    }
  });

  test('may not become or grant the admin roles (hosted: supautils reserved roles)', async () => {
    for (const role of ['supabase_storage_admin', 'supabase_auth_admin']) {
      await refused(`SET ROLE ${role}`, `permission denied to set role "${role}"`);
      await rolledBack((client) =>
        assert.rejects(client.query(`GRANT ${role} TO postgres`), { code: '42501' }),
      );
      await rolledBack((client) =>
        assert.rejects(client.query(`ALTER ROLE ${role} PASSWORD 'x'`), { code: '42501' }),
      );
    }
    await refused(
      `SET ROLE devstack_supautils_bridge_0`,
      'permission denied to set role "devstack_supautils_bridge_0"',
    );
  });

  test('GRANT on storage.objects works (hosted: WITH GRANT OPTION); on auth.users it grants nothing', async () => {
    const role = uniqueName('platform_grantee');
    await rolledBack(async (client) => {
      await client.query(`CREATE ROLE ${role} NOLOGIN`);
      await client.query(`GRANT SELECT ON storage.objects TO ${role}`);
      await client.query(`GRANT SELECT ON auth.users TO ${role}`);
      const { rows } = await client.query<{ objects: boolean; users: boolean }>(
        `SELECT has_table_privilege($1, 'storage.objects', 'SELECT') AS objects,
                has_table_privilege($1, 'auth.users', 'SELECT') AS users`,
        [role],
      );
      assert.deepEqual(rows[0], { objects: true, users: false });
    });
  });

  test('sessions creating policies at once do not wait for each other', async () => {
    const [a, b] = [uniqueName('platform_a'), uniqueName('platform_b')];
    await postgres().query(`CREATE TABLE public.${a} (id int); CREATE TABLE public.${b} (id int)`);
    const holder = await postgres().connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`CREATE POLICY p ON public.${a} USING (true)`);
      await holder.query(`CREATE POLICY p ON storage.objects USING (true)`);
      await rolledBack(async (client) => {
        await client.query(`SET LOCAL lock_timeout = '2s'`);
        await client.query(`CREATE POLICY p ON public.${b} USING (true)`);
        await client.query(`CREATE POLICY "${b}" ON storage.buckets USING (true)`);
      });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
      await postgres().query(`DROP TABLE public.${a}, public.${b}`);
    }
  });
});
