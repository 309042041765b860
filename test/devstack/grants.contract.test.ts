/**
 * Contract: new tables get no grants (hosted's default since 2026-10-30), service_role bypasses RLS
 * on what it is granted, and the stack's --legacy-grants mode; through the unmodified supabase-js
 * client and pg as the user's `postgres` role.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createClient } from '@supabase/supabase-js';
import pg from 'pg';
import WebSocket from 'ws';
import { bootstrapDatabase } from '../../devstack/bootstrap.js';
import { startPostgres } from '../../devstack/postgres.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack, testTmpDir } from '../support/stack-env.js';

const stack = testStack();
const target = () => db(stack.target.databaseUrl);
const supabase = createClient(stack.target.url, stack.target.serviceRoleKey, {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: WebSocket as never },
});
const api = () => supabase;

after(closeDatabases);

describe('service_role through supabase-js', () => {
  test('bypasses RLS on a table it is granted (a table with RLS and no policy)', async () => {
    const name = uniqueName('roles_rls');
    await target().query(`CREATE TABLE public.${name} (id int PRIMARY KEY, note text)`);
    await target().query(`ALTER TABLE public.${name} ENABLE ROW LEVEL SECURITY`);
    await target().query(`INSERT INTO public.${name} VALUES (1, 'a'), (2, 'b')`);
    await target().query(`GRANT SELECT ON public.${name} TO service_role`);
    const { data, error } = await api().from(name).select('id, note').order('id');
    assert.equal(error, null);
    assert.deepEqual(data, [
      { id: 1, note: 'a' },
      { id: 2, note: 'b' },
    ]);
  });

  test('a new table has no grants for anon, authenticated or service_role: the API refuses it with 42501', async () => {
    const name = uniqueName('roles_nogrant');
    await target().query(`CREATE TABLE public.${name} (id int PRIMARY KEY)`);
    const { rows } = await target().query<{ r: string; any: boolean }>(
      `SELECT r, has_table_privilege(r, 'public.${name}', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS any
         FROM unnest(ARRAY['anon', 'authenticated', 'service_role']) r ORDER BY 1`,
    );
    assert.deepEqual(rows, [
      { r: 'anon', any: false },
      { r: 'authenticated', any: false },
      { r: 'service_role', any: false },
    ]);
    const { error, status } = await api().from(name).select('id');
    assert.equal(status, 403);
    assert.equal(error?.code, '42501');
    assert.equal(error?.message, `permission denied for table ${name}`);
  });
});

describe('grants on new tables: none by default, the old default privileges with --legacy-grants', () => {
  test('bootstrapping with legacyGrants grants new tables to the API roles; without, a new table gets none again', async () => {
    const database = uniqueName('roles_grants');
    await target().query(`CREATE DATABASE ${database}`);
    const inDatabase = (url: string) => {
      const u = new URL(url);
      u.pathname = `/${database}`;
      return u.toString();
    };
    const grantsOf = async (name: string) => {
      const c = new pg.Client({ connectionString: inDatabase(stack.target.databaseUrl) });
      await c.connect();
      try {
        await c.query(`CREATE TABLE public.${name} (id int PRIMARY KEY)`);
        const { rows } = await c.query<{ g: string }>(
          `SELECT DISTINCT grantee::text AS g FROM information_schema.role_table_grants
            WHERE table_name = $1 AND grantee IN ('anon', 'authenticated', 'service_role') ORDER BY 1`,
          [name],
        );
        return rows.map((r) => r.g);
      } finally {
        await c.end();
      }
    };
    try {
      await bootstrapDatabase({ adminUrl: inDatabase(stack.target.adminDatabaseUrl), legacyGrants: true });
      assert.deepEqual(await grantsOf('legacy'), ['anon', 'authenticated', 'service_role']);
      await bootstrapDatabase({ adminUrl: inDatabase(stack.target.adminDatabaseUrl) });
      assert.deepEqual(await grantsOf('strict'), []);
    } finally {
      await target().query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  });
});

describe('a --persist folder from before hosted roles', () => {
  test('is refused with the command that removes it (its postgres is the bootstrap superuser)', async () => {
    const dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-old-pg-'));
    try {
      await writeFile(path.join(dir, 'PG_VERSION'), '17\n');
      await writeFile(path.join(dir, '.devstack-password'), 'x\n');
      await assert.rejects(startPostgres({ port: 1, dataDir: dir }), {
        message: `${dir} was made by an older local stack whose postgres role is a superuser (hosted projects' is not): remove that folder (rm -rf ${dir}) and start again to get a stack with hosted roles`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
