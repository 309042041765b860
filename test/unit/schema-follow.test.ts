/**
 * What `"schema": {"follow": true}` applies by itself (src/core/schema-follow.ts): only what adds —
 * missing tables, columns, policies, functions, indexes, triggers, views, types, grants — never a
 * drop, a revoke of what the target has, a replaced definition, a constraint, row level security,
 * nor what drops data or is left out; and how fingerprints tell which schemas changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppObject } from '../../src/contracts/app-catalog.js';
import type { SchemaDifference } from '../../src/contracts/schema-difference.js';
import { diffAppCatalogs } from '../../src/core/app-catalog-diff.js';
import { changedSchemas } from '../../src/core/app-fingerprint.js';
import { followable, followSteps, onlyAdds } from '../../src/core/schema-follow.js';
import { policy } from './app-objects.js';

const fn = (name: string, body = 'SELECT 1'): AppObject => ({
  kind: 'function',
  schema: 'app',
  name,
  args: '',
  result: 'integer',
  definition: `CREATE OR REPLACE FUNCTION app.${name}()\n RETURNS integer\n LANGUAGE sql\nAS $function$${body}$function$\n`,
});
const grant = (grantee: string, privileges: string[]): AppObject => ({
  kind: 'privileges',
  on: 'table',
  schema: 'app',
  name: 'posts',
  grantee,
  privileges,
});
const index = (schema: string, table: string, name: string): AppObject => ({
  kind: 'index',
  schema,
  table,
  name,
  definition: `CREATE INDEX ${name} ON ${schema}.${table} USING btree (id)`,
});
const constraint: AppObject = {
  kind: 'constraint',
  schema: 'app',
  table: 'posts',
  name: 'short_titles',
  definition: 'CHECK (length(title) <= 100)',
};
const rls = (enabled: boolean): AppObject => ({
  kind: 'rls',
  schema: 'app',
  table: 'posts',
  enabled,
  forced: false,
});

const column = (kind: SchemaDifference['kind'], name: string, sql: string): SchemaDifference => ({
  kind,
  name,
  message: `${kind} ${name}`,
  sql,
  blocking: kind === 'column-missing',
});

test('missing policies, functions and indexes are applied; a function is created with exactly its grants', () => {
  const source = [fn('count_posts'), index('app', 'posts', 'posts_author_idx'), policy('read own')];
  const steps = followSteps([], diffAppCatalogs(source, []));
  assert.deepEqual(
    steps.map((s) => s.object),
    [
      'function app.count_posts()',
      'index app.posts_author_idx on app.posts',
      'policy "read own" on app.posts',
    ],
  );
  const created = steps[0]!;
  assert.match(created.sql[0]!, /^CREATE OR REPLACE FUNCTION app\.count_posts\(\)/);
  // The defaults a new function gets are revoked in the same step: that REVOKE is allowed.
  assert.match(created.sql[1]!, /^REVOKE ALL ON FUNCTION/);
  assert.ok(steps.every(onlyAdds));
});

test('a policy or function that differs, or is only on the target, is not applied', () => {
  const source = [policy('read own', 'author_id = auth.uid()'), fn('count_posts', 'SELECT 2')];
  const target = [policy('read own', 'true'), fn('count_posts', 'SELECT 1'), policy('legacy')];
  const differences = diffAppCatalogs(source, target);
  assert.equal(differences.length, 3, JSON.stringify(differences.map((d) => d.message)));
  assert.deepEqual(followSteps([], differences), []);
  for (const d of differences) assert.equal(followable(d), null, d.message);
});

test('privileges: a missing grant is applied, a revoke on the source is not', () => {
  const source = [grant('authenticated', ['INSERT', 'SELECT']), grant('anon', ['SELECT'])];
  const target = [grant('authenticated', ['DELETE', 'SELECT']), grant('anon', ['SELECT', 'UPDATE'])];
  const steps = followSteps([], diffAppCatalogs(source, target));
  assert.deepEqual(
    steps.map((s) => s.object),
    ['privileges of authenticated on table app.posts'],
  );
  assert.equal(steps[0]!.sql.length, 1);
  assert.match(steps[0]!.sql[0]!, /^GRANT INSERT ON TABLE .*posts.* TO .*authenticated.*;$/);
  // A grantee the target lacks entirely: all of it granted.
  const none = followSteps([], diffAppCatalogs([grant('anon', ['SELECT'])], []));
  assert.equal(none.length, 1);
  assert.match(none[0]!.sql[0]!, /^GRANT SELECT ON TABLE .* TO .*anon/);
});

test('constraints and row level security are left to schema push; so is what hosted projects leave out', () => {
  const differences = diffAppCatalogs(
    [constraint, rls(true), index('auth', 'users', 'users_email_idx')],
    [rls(false)],
  );
  assert.equal(differences.length, 3);
  assert.deepEqual(followSteps([], differences), []);
});

test('tables: a missing table or column is added; a dropped column, a type or default change is not', () => {
  const steps = followSteps(
    [
      {
        table: 'app.posts',
        differences: [
          column('column-missing', 'subtitle', 'ALTER TABLE "app"."posts" ADD COLUMN "subtitle" text;'),
          column('column-extra', 'legacy', 'ALTER TABLE "app"."posts" DROP COLUMN "legacy";'),
          column('type', 'title', 'ALTER TABLE "app"."posts" ALTER COLUMN "title" TYPE varchar(10);'),
          column('default', 'status', 'ALTER TABLE "app"."posts" ALTER COLUMN "status" SET DEFAULT 1;'),
          column(
            'unique-missing',
            'posts_slug',
            'CREATE UNIQUE INDEX IF NOT EXISTS posts_slug ON app.posts (slug);',
          ),
        ],
      },
      {
        table: 'app.tags',
        differences: [
          {
            kind: 'table-missing',
            message: 'missing',
            sql: 'CREATE TABLE "app"."tags" (id int);',
            blocking: true,
          },
        ],
      },
      // Hosted projects do not let postgres change auth's tables.
      {
        table: 'auth.users',
        differences: [column('column-missing', 'x', 'ALTER TABLE auth.users ADD COLUMN x int;')],
      },
    ],
    [],
  );
  assert.deepEqual(
    steps.map((s) => s.object),
    ['app.posts: subtitle', 'table app.tags'],
  );
});

test('a table follow creates comes with its row level security and constraints', () => {
  const tags = (o: AppObject) => ({ ...o, table: 'tags' }) as AppObject;
  const steps = followSteps(
    [
      {
        table: 'app.tags',
        differences: [
          {
            kind: 'table-missing',
            message: 'missing',
            sql: 'CREATE TABLE "app"."tags" (id int);',
            blocking: true,
          },
        ],
      },
    ],
    diffAppCatalogs([tags(rls(true)), tags(constraint), constraint], [rls(true)]),
  );
  assert.deepEqual(
    steps.map((s) => s.object),
    ['table app.tags', 'row level security of app.tags', 'constraint short_titles on app.tags'],
  );
});

test('order: types before the tables, functions before the policies and triggers that use them', () => {
  const enumType: AppObject = { kind: 'enum', schema: 'app', name: 'mood', labels: ['ok'] };
  const steps = followSteps(
    [
      {
        table: 'app.posts',
        differences: [
          column('column-missing', 'mood', 'ALTER TABLE "app"."posts" ADD COLUMN "mood" app.mood;'),
        ],
      },
    ],
    diffAppCatalogs([policy('read own'), fn('f'), enumType, grant('anon', ['SELECT'])], []),
  );
  assert.deepEqual(
    steps.map((s) => s.object),
    [
      'type app.mood',
      'app.posts: mood',
      'function app.f()',
      'policy "read own" on app.posts',
      'privileges of anon on table app.posts',
    ],
  );
});

test('onlyAdds: no drop, truncate or delete; a revoke only where the step creates its object', () => {
  const step = (sql: string[]) => ({ object: 'x', sql, dropsData: false });
  assert.equal(onlyAdds(step(['CREATE POLICY "p" ON app.posts USING (true);'])), true);
  assert.equal(onlyAdds(step(['DROP POLICY "p" ON app.posts;', 'CREATE POLICY "p" ON app.posts;'])), false);
  assert.equal(onlyAdds(step(['REVOKE SELECT ON TABLE app.posts FROM anon;'])), false);
  assert.equal(onlyAdds(step(['  truncate app.posts;'])), false);
  assert.equal(
    onlyAdds(step(['CREATE FUNCTION app.f() …;', 'REVOKE ALL ON FUNCTION app.f() FROM PUBLIC;'])),
    true,
  );
});

test('changedSchemas: every schema at first, then those whose fingerprint changed, appeared or went', () => {
  assert.deepEqual(changedSchemas(undefined, { b: '2', a: '1' }), ['a', 'b']);
  assert.deepEqual(changedSchemas({ a: '1', b: '2' }, { a: '1', b: '2' }), []);
  assert.deepEqual(changedSchemas({ a: '1', b: '2' }, { a: '1', b: '3', c: '4' }), ['b', 'c']);
  assert.deepEqual(changedSchemas({ a: '1', b: '2' }, { b: '2' }), ['a']);
});
