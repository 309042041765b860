/**
 * Contract: the local stack's roles and grants are those of a hosted Supabase project
 * (../shared/reference/hosted-supabase.md, "Roles and privileges"), seen through the unmodified
 * supabase-js client and through pg as the user's `postgres` role.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);
const admin = () => db(stack.target.adminDatabaseUrl);
const api = (p: { url: string; serviceRoleKey: string }) =>
  createClient(p.url, p.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });

after(closeDatabases);

type RpcResult = { data: unknown; error: unknown };

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolcanlogin: boolean;
  rolinherit: boolean;
}

async function role(name: string): Promise<RoleRow> {
  const { rows } = await target().query<RoleRow>(
    `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin, rolinherit
       FROM pg_roles WHERE rolname = $1`,
    [name],
  );
  assert.ok(rows[0], `role ${name} exists`);
  return rows[0];
}

/** The installed functions of public whose source calls set_config('session_replication_role', …). */
const setConfigScan = `
  SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = 'public' AND p.proname LIKE 'sync\\_%'
     AND p.prosrc ~* 'set_config\\s*\\(\\s*''session_replication_role'''
   ORDER BY 1`;

describe('roles as on hosted Supabase', () => {
  test('postgres is not a superuser, with the attributes hosted gives it; supabase_admin is the superuser', async () => {
    const postgres = await role('postgres');
    assert.deepEqual(
      { ...postgres, rolinherit: undefined },
      {
        rolname: 'postgres',
        rolsuper: false,
        rolcreaterole: true,
        rolcreatedb: true,
        rolreplication: true,
        rolbypassrls: true,
        rolcanlogin: true,
        rolinherit: undefined,
      },
    );
    assert.equal((await role('supabase_admin')).rolsuper, true);
    const { rows } = await source().query<{ user: string; su: string }>(
      `SELECT current_user AS user, current_setting('is_superuser') AS su`,
    );
    assert.deepEqual(rows[0], { user: 'postgres', su: 'off' });
  });

  test('service_role is a non-superuser with BYPASSRLS; authenticator logs in, NOINHERIT, and may become each API role', async () => {
    const service = await role('service_role');
    assert.equal(service.rolsuper, false);
    assert.equal(service.rolbypassrls, true);
    assert.equal(service.rolcanlogin, false);
    const authenticator = await role('authenticator');
    assert.equal(authenticator.rolsuper, false);
    assert.equal(authenticator.rolcanlogin, true);
    assert.equal(authenticator.rolinherit, false);
    const { rows } = await target().query<{ r: string }>(
      `SELECT r FROM unnest(ARRAY['anon', 'authenticated', 'service_role']) r
        WHERE pg_has_role('authenticator', r, 'MEMBER') ORDER BY 1`,
    );
    assert.deepEqual(
      rows.map((x) => x.r),
      ['anon', 'authenticated', 'service_role'],
    );
  });

  test('the REST API logs in as authenticator and Storage as supabase_storage_admin, neither a superuser', async () => {
    // A request makes each API hold a connection.
    const { error } = await api(stack.target).rpc('sync_functions_version');
    assert.equal(error, null);
    await api(stack.target).storage.listBuckets();
    const { rows } = await admin().query<{ application_name: string; usename: string }>(
      `SELECT DISTINCT application_name, usename::text FROM pg_stat_activity
        WHERE datname = current_database() AND usename IN ('authenticator', 'supabase_storage_admin')`,
    );
    const users = new Set(rows.map((r) => r.usename));
    assert.ok(users.has('authenticator'), JSON.stringify(rows));
    assert.ok(users.has('supabase_storage_admin'), JSON.stringify(rows));
    assert.equal((await role('supabase_storage_admin')).rolsuper, false);
  });

  test('a REST request runs as service_role in a session of authenticator, as PostgREST switches roles', async () => {
    const fn = uniqueName('roles_whoami');
    await target().query(`CREATE FUNCTION public.${fn}() RETURNS jsonb LANGUAGE sql STABLE AS
      $$ SELECT jsonb_build_object('current_user', current_user, 'session_user', session_user) $$`);
    await target().query(`NOTIFY pgrst, 'reload schema'`);
    const result = (await api(stack.target).rpc(fn)) as RpcResult;
    assert.equal(result.error, null, JSON.stringify(result.error));
    assert.deepEqual(result.data, { current_user: 'service_role', session_user: 'authenticator' });
  });

  test('the supabase-sync functions are owned by postgres (migrations applied as postgres)', async () => {
    const { rows } = await target().query<{ owner: string; n: string }>(
      `SELECT pg_get_userbyid(p.proowner) AS owner, count(*) AS n FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.proname LIKE 'sync\\_%' GROUP BY 1`,
    );
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0]!.owner, 'postgres');
    assert.ok(Number(rows[0]!.n) > 10);
  });

  test('postgres may not do what only a superuser may: an event trigger, ALTER SYSTEM, altering storage tables', async () => {
    await assert.rejects(
      target().query(
        `CREATE EVENT TRIGGER ${uniqueName('et')} ON ddl_command_end EXECUTE FUNCTION extensions.pgrst_ddl_watch()`,
      ),
      /permission denied to create event trigger/,
    );
    await assert.rejects(target().query(`ALTER SYSTEM SET work_mem = '8MB'`), /permission denied/);
    await assert.rejects(
      target().query('ALTER TABLE storage.objects ADD COLUMN x int'),
      /must be owner of table objects/,
    );
  });
});

describe('session_replication_role: only through SET, as hosted (supautils)', () => {
  test('no installed supabase-sync function calls set_config(session_replication_role); the apply functions use SET LOCAL', async () => {
    for (const database of [source(), target()]) {
      const { rows } = await database.query<{ proname: string }>(setConfigScan);
      assert.deepEqual(
        rows.map((r) => r.proname),
        [],
        'hosted Postgres refuses set_config(session_replication_role) to postgres: use SET LOCAL',
      );
      const { rows: setLocal } = await database.query<{ proname: string }>(
        `SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public' AND p.prosrc ~* 'SET\\s+LOCAL\\s+session_replication_role\\s*=\\s*replica'
          ORDER BY 1`,
      );
      assert.deepEqual(
        setLocal.map((r) => r.proname),
        ['sync_apply_deletes', 'sync_apply_resolve', 'sync_apply_upserts'],
      );
    }
  });

  test('the scan catches a function that calls set_config(session_replication_role)', async () => {
    const client = await target().connect();
    try {
      await client.query('BEGIN');
      await client.query(`CREATE FUNCTION public.sync_bad_example() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN PERFORM set_config('session_replication_role', 'replica', true); END $$`);
      const { rows } = await client.query<{ proname: string }>(setConfigScan);
      assert.deepEqual(
        rows.map((r) => r.proname),
        ['sync_bad_example'],
      );
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  test('the API roles may not set it at all, by SET or set_config()', async () => {
    const client = await target().connect();
    try {
      for (const statement of [
        'SET LOCAL session_replication_role = replica',
        `SELECT set_config('session_replication_role', 'replica', true)`,
      ]) {
        await client.query('BEGIN');
        await client.query('SET LOCAL ROLE service_role');
        await assert.rejects(
          client.query(statement),
          /permission denied to set parameter "session_replication_role"/,
        );
        await client.query('ROLLBACK');
      }
    } finally {
      client.release();
    }
  });
});

describe('writes on a target as hosted allows them', () => {
  test('sync_apply_upserts (SECURITY DEFINER, owned by postgres) writes to a table without grants, its triggers silenced', async () => {
    const name = uniqueName('roles_apply');
    await target().query(
      `CREATE TABLE public.${name} (id int PRIMARY KEY, note text, updated_at timestamptz NOT NULL)`,
    );
    // An application trigger that would refuse every write the sync makes.
    await target().query(`CREATE FUNCTION public.${name}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'application trigger fired'; END $$`);
    await target().query(
      `CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON public.${name} FOR EACH ROW EXECUTE FUNCTION public.${name}_refuse()`,
    );
    await assert.rejects(
      target().query(`INSERT INTO public.${name} VALUES (9, 'x', now())`),
      /application trigger fired/,
    );
    const rows = [
      { id: 1, note: 'one', updated_at: '2026-12-01T10:00:00+00:00' },
      { id: 2, note: 'two', updated_at: '2026-12-01T10:00:01+00:00' },
    ];
    const upserted = (await api(stack.target).rpc('sync_apply_upserts', {
      p_schema: 'public',
      p_table: name,
      p_primary_keys: ['id'],
      p_version_column: 'updated_at',
      p_rows: rows,
    })) as RpcResult;
    assert.equal(upserted.error, null);
    assert.deepEqual(upserted.data, { written: 2, skipped: 0 });
    const { rows: written } = await target().query<{ id: number; note: string }>(
      `SELECT id, note FROM public.${name} ORDER BY id`,
    );
    assert.deepEqual(written, [
      { id: 1, note: 'one' },
      { id: 2, note: 'two' },
    ]);
    const deleted = (await api(stack.target).rpc('sync_apply_deletes', {
      p_schema: 'public',
      p_table: name,
      p_primary_keys: ['id'],
      p_version_column: 'updated_at',
      p_keys: [{ id: 1 }],
    })) as RpcResult;
    assert.equal(deleted.error, null, JSON.stringify(deleted.error));
    assert.ok(deleted.data !== null);
    const { rows: left } = await target().query<{ id: number }>(`SELECT id FROM public.${name} ORDER BY id`);
    assert.deepEqual(left, [{ id: 2 }]);
  });
});
