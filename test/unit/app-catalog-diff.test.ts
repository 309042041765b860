/**
 * The comparison of the app's objects (src/core/app-catalog-diff.ts) and the order of the SQL that
 * makes the target match (src/core/schema-plan.ts), without a server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AppObject } from '../../src/contracts/app-catalog.js';
import { diffAppCatalogs } from '../../src/core/app-catalog-diff.js';
import { schemaPlan } from '../../src/core/schema-plan.js';

const policy: AppObject = {
  kind: 'policy',
  schema: 'public',
  table: 'posts',
  name: 'own rows',
  permissive: true,
  command: 'SELECT',
  roles: ['authenticated'],
  using: '(author_id = auth.uid())',
  check: null,
};
const fn: AppObject = {
  kind: 'function',
  schema: 'public',
  name: 'touch',
  args: '',
  result: 'trigger',
  definition:
    'CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$BEGIN RETURN NEW; END$function$\n',
};
const trigger: AppObject = {
  kind: 'trigger',
  schema: 'public',
  table: 'posts',
  name: 'posts_touch',
  definition:
    'CREATE TRIGGER posts_touch BEFORE UPDATE ON public.posts FOR EACH ROW EXECUTE FUNCTION touch()',
  enabled: 'O',
};
const grant = (grantee: string, privileges: string[]): AppObject => ({
  kind: 'privileges',
  on: 'table',
  schema: 'public',
  name: 'posts',
  grantee,
  privileges,
});
const status: AppObject = { kind: 'enum', schema: 'public', name: 'status', labels: ['draft', 'published'] };

describe('the app objects compared by identity', () => {
  test('equal catalogs: no difference', () => {
    assert.deepEqual(
      diffAppCatalogs([policy, fn, grant('anon', ['SELECT'])], [grant('anon', ['SELECT']), fn, policy]),
      [],
    );
  });

  test('missing objects come in dependency order: types, functions, policies, triggers, grants', () => {
    const d = diffAppCatalogs([grant('authenticated', ['SELECT']), trigger, policy, fn, status], []);
    assert.deepEqual(
      d.map((x) => x.object),
      [
        'type public.status',
        'function public.touch()',
        'policy "own rows" on public.posts',
        'trigger posts_touch on public.posts',
        'privileges of authenticated on table public.posts',
      ],
    );
    assert.ok(d.every((x) => x.change === 'missing' && !x.dropsData));
    assert.match(
      d[2]!.sql[0]!,
      /^CREATE POLICY "own rows" ON public\.posts AS PERMISSIVE FOR SELECT TO authenticated USING \(\(author_id = auth\.uid\(\)\)\);$/,
    );
    assert.match(d[3]!.sql[0]!, /^CREATE OR REPLACE TRIGGER posts_touch BEFORE UPDATE/);
  });

  test('a new function starts with exactly the source privileges: its defaults revoked, then granted', () => {
    const execute: AppObject = {
      kind: 'privileges',
      on: 'function',
      schema: 'public',
      name: 'touch',
      args: '',
      grantee: 'authenticated',
      privileges: ['EXECUTE'],
    };
    const d = diffAppCatalogs([fn, execute], []);
    assert.deepEqual(d[0]!.sql.slice(-1), [
      'REVOKE ALL ON FUNCTION public.touch() FROM PUBLIC, anon, authenticated, service_role;',
    ]);
    assert.deepEqual(d[1]!.sql, ['GRANT EXECUTE ON FUNCTION public.touch() TO authenticated;']);
  });

  test('a changed policy is replaced; grants differ by privilege; an extra policy is dropped before what it uses', () => {
    const changed = { ...policy, using: 'true' } as AppObject;
    const extra = { ...policy, name: 'old rule' } as AppObject;
    const d = diffAppCatalogs(
      [policy, grant('anon', ['SELECT'])],
      [changed, extra, grant('anon', ['DELETE', 'SELECT'])],
    );
    assert.deepEqual(
      d.map((x) => [x.change, x.object]),
      [
        ['extra', 'policy "old rule" on public.posts'],
        ['different', 'policy "own rows" on public.posts'],
        ['different', 'privileges of anon on table public.posts'],
      ],
    );
    assert.equal(d[1]!.message, 'policy "own rows" on public.posts: its using differs');
    assert.deepEqual(
      d[1]!.sql.map((s) => s.split(' ')[0]),
      ['DROP', 'CREATE'],
    );
    assert.deepEqual(d[2]!.sql, ['REVOKE DELETE ON TABLE public.posts FROM anon;']);
  });

  test('an enum gains values in place; values only on the target drop data', () => {
    const d = diffAppCatalogs([{ ...status, labels: ['draft', 'review', 'published'] }], [status]);
    assert.deepEqual(d[0]!.sql, ["ALTER TYPE public.status ADD VALUE IF NOT EXISTS 'review' AFTER 'draft';"]);
    assert.equal(d[0]!.dropsData, false);
    const narrower = diffAppCatalogs([status], [{ ...status, labels: ['draft', 'published', 'archived'] }]);
    assert.equal(narrower[0]!.dropsData, true);
  });

  test('the structure of auth and storage tables is left out; their policies and triggers are not', () => {
    const authIndex: AppObject = {
      kind: 'index',
      schema: 'auth',
      table: 'users',
      name: 'users_x',
      definition: 'CREATE INDEX users_x ON auth.users USING btree (email)',
    };
    const storagePolicy = { ...policy, schema: 'storage', table: 'objects', name: 'avatars' } as AppObject;
    const d = diffAppCatalogs([authIndex, storagePolicy], []);
    assert.match(
      d.find((x) => x.kind === 'index')!.leftOut ?? '',
      /hosted projects do not let postgres change the structure of auth\.users/,
    );
    assert.equal(d.find((x) => x.kind === 'policy')!.leftOut, undefined);
  });

  test('the plan: drops, then types, then tables, then the rest; a dropped column drops data', () => {
    const objects = diffAppCatalogs([status, policy], [{ ...policy, name: 'old rule' }]);
    const plan = schemaPlan(
      [
        {
          table: 'public.posts',
          differences: [
            {
              kind: 'column-extra',
              name: 'legacy',
              message: '',
              sql: 'ALTER TABLE public.posts DROP COLUMN legacy;',
              blocking: false,
            },
          ],
        },
      ],
      objects,
    );
    assert.deepEqual(
      plan.map((s) => [s.object, s.dropsData]),
      [
        ['policy "old rule" on public.posts', false],
        ['type public.status', false],
        ['public.posts: legacy', true],
        ['policy "own rows" on public.posts', false],
      ],
    );
  });
});
