/**
 * `supabase-sync migrate`: prints supabase/migrations in order; `--apply --db-url` applies them to
 * a fresh database, records them as the Supabase CLI does, applies nothing the second time, and
 * never prints the password.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { listMigrations } from '../../src/supabase/migrations.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { CliEnv, show } from './cli.js';

const stack = testStack();
const database = uniqueName('cli_migrate');
let cli: CliEnv;
let url: string;

before(async () => {
  cli = await CliEnv.create('unused', ['unused']);
  await db(stack.source.databaseUrl).query(`CREATE DATABASE ${database}`);
  const u = new URL(stack.source.databaseUrl);
  u.pathname = `/${database}`;
  url = u.toString();
});

/** Queries the scratch database on a connection that is fully closed before the database is dropped. */
async function scratch<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

after(async () => {
  await db(stack.source.databaseUrl).query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await cli?.remove();
  await closeDatabases();
});

describe('supabase-sync migrate', () => {
  test('prints every migration in order, each under its file name', async () => {
    const r = await cli.run(['migrate']);
    assert.equal(r.code, 0, show(r));
    const migrations = await listMigrations();
    assert.ok(migrations.length >= 1);
    let expected = '';
    for (const m of migrations) {
      const sql = await readFile(m.file, 'utf8');
      expected += `-- supabase/migrations/${path.basename(m.file)}\n${sql}${sql.endsWith('\n') ? '' : '\n'}\n`;
    }
    assert.equal(r.stdout, expected);
    assert.match(r.stdout, /^-- supabase\/migrations\/20251120120000_create_sync_deletions_table\.sql\n/);
    assert.equal(r.said, '');
  });

  test('--apply --db-url: applies to a fresh database, records it, then is up to date; no password shown', async () => {
    const password = decodeURIComponent(new URL(url).password);
    const migrations = await listMigrations();
    const first = await cli.run(['migrate', '--apply', '--db-url', url]);
    assert.equal(first.code, 0, show(first));
    const lines = first.stdout.trimEnd().split('\n');
    assert.deepEqual(
      lines.slice(0, -1),
      migrations.map(
        (m) =>
          `applied ${m.version}_${m.name} to ${url.replace(`:${encodeURIComponent(password)}@`, ':***@')}`,
      ),
    );
    assert.match(
      lines.at(-1)!,
      new RegExp(`: ${migrations.length} migration\\(s\\) applied, 0 already there$`),
    );
    if (password) assert.ok(!first.stdout.includes(password) && !first.stderr.includes(password));

    const recorded = await scratch<{ version: string; name: string }>(
      'SELECT version, name FROM supabase_migrations.schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      recorded,
      migrations.map((m) => ({ version: m.version, name: m.name })),
    );
    const ledger = await scratch<{ t: string }>(`SELECT to_regclass('public.sync_deletions')::text AS t`);
    assert.equal(ledger[0]!.t, 'sync_deletions');

    const second = await cli.run(['migrate', '--apply', '--db-url', url]);
    assert.equal(second.code, 0, show(second));
    assert.match(
      second.stdout,
      new RegExp(
        `^postgres://postgres:\\*\\*\\*@.*: up to date \\(${migrations.length} migration\\(s\\) already applied\\)\\n$`,
      ),
    );
  });

  test('errors: one line, non-zero exit, password redacted', async () => {
    const badDb = new URL(url);
    badDb.pathname = '/no_such_database_here';
    badDb.password = 's3cret-pass';
    const unreachable = new URL(url);
    unreachable.port = '1';
    unreachable.password = 's3cret-pass';
    const cases: Array<[string[], number, RegExp]> = [
      [['migrate', '--apply'], 2, /^supabase-sync: --apply needs --db-url postgres:\/\/…\n$/],
      [['migrate', '--db-url', url], 2, /^supabase-sync: --db-url is used with --apply\n$/],
      [
        ['migrate', '--apply', '--db-url', 'mysql://u:s3cret-pass@h/db'],
        2,
        /^supabase-sync: --db-url mysql:\/\/u:\*\*\*@h\/db: use a postgres:\/\/ or postgresql:\/\/ URL\n$/,
      ],
      [
        ['migrate', '--apply', '--db-url', unreachable.toString()],
        1,
        /^supabase-sync: could not connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/.*ECONNREFUSED/,
      ],
      [
        ['migrate', '--apply', '--db-url', badDb.toString()],
        1,
        /^supabase-sync: (could not connect to )?postgres:\/\/postgres:\*\*\*@.*no_such_database_here/,
      ],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await cli.run(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${show(r)}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, show(r));
      assert.match(r.said, pattern);
      assert.ok(!r.stderr.includes('s3cret-pass'));
    }
  });
});
