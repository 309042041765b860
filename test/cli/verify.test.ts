/**
 * `supabase-sync verify`: the target is corrupted by hand (rows deleted, extra rows, changed values,
 * one with a newer-looking version, and a composite-key table); `verify` reports exact counts and
 * changes nothing; `verify --repair` fixes it; `verify` again is OK and both databases hold the same
 * rows. Also --json, --schedule and one-line errors.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, db, tableSnapshot, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, type RunningSync } from '../support/sync.js';
import type { ScheduleReportJson } from '../../src/cli/schedule.js';
import type { VerifyTablesResult } from '../../src/workflows/verify.js';
import { CliEnv, show } from './cli.js';

const stack = testStack();
const a = uniqueName('cli_verify_a');
const b = uniqueName('cli_verify_b');
const c = uniqueName('cli_verify_c');
const scheduleId = `test-verify-${randomBytes(4).toString('hex')}`;
let sync: RunningSync;
let cli: CliEnv;

const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);

async function snapshots(url: string) {
  return {
    a: await tableSnapshot(url, `public.${a}`, ['id']),
    b: await tableSnapshot(url, `public.${b}`, ['tenant', 'code']),
    c: await tableSnapshot(url, `public.${c}`, ['id']),
  };
}

before(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    const pool = db(url);
    await pool.query(
      `CREATE TABLE public.${a} (id bigint PRIMARY KEY, note text, amount numeric(12,2), updated_at timestamptz NOT NULL)`,
    );
    await pool.query(
      `INSERT INTO public.${a} SELECT g, 'note ' || g, g / 100.0, timestamptz '2025-01-01' + g * interval '1 minute' FROM generate_series(1, 3000) g`,
    );
    await pool.query(`CREATE TABLE public.${b} (tenant int, code text, qty int, PRIMARY KEY (tenant, code))`);
    await pool.query(`INSERT INTO public.${b} SELECT g % 7, 'code-' || g, g FROM generate_series(1, 700) g`);
    await pool.query(`CREATE TABLE public.${c} (id int PRIMARY KEY, v text)`);
    await pool.query(`INSERT INTO public.${c} SELECT g, 'v' || g FROM generate_series(1, 50) g`);
  }
  // A worker only: no table workflows run, so nothing but verify touches the tables.
  sync = await startSync(testConfig([table(a), table(b, { primaryKeys: ['tenant', 'code'] }), table(c)]), {
    startWorkflows: false,
  });
  cli = await CliEnv.create(sync.config.temporal.taskQueue, [
    a,
    { name: b, primaryKeys: ['tenant', 'code'] },
    c,
  ]);
  // Corrupt the target by hand.
  await target().query(`DELETE FROM public.${a} WHERE id IN (5, 1500, 2999)`);
  await target().query(
    `INSERT INTO public.${a} VALUES (0, 'extra', 1, now()), (4000, 'extra', 1, now()), (1234567, 'extra', 1, now())`,
  );
  await target().query(`UPDATE public.${a} SET note = 'changed' WHERE id IN (10, 2000)`);
  // A newer-looking version on the target: repair must still make it equal to the source.
  await target().query(`UPDATE public.${a} SET amount = 99, updated_at = now() WHERE id = 2500`);
  await target().query(`DELETE FROM public.${b} WHERE (tenant, code) IN ((1, 'code-1'), (3, 'code-353'))`);
  await target().query(`INSERT INTO public.${b} VALUES (2, 'zzz', 0)`);
  await target().query(`UPDATE public.${b} SET qty = -1 WHERE (tenant, code) = (6, 'code-699')`);
});

after(async () => {
  await sync?.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await sync?.close();
  await cli?.remove();
  await closeDatabases();
});

describe('supabase-sync verify', () => {
  test('reports missing, extra and different rows, and changes nothing', async () => {
    const before = await snapshots(stack.target.databaseUrl);
    const r = await cli.run(['verify', a, b, c]);
    assert.equal(r.code, 1, show(r));
    assert.equal(
      r.stdout,
      [
        `public.${a}: 3 missing, 3 extra, 3 different (sample keys: missing 5, 1500, 2999; extra 0, 4000, 1234567; different 10, 2000, 2500)`,
        `public.${b}: 2 missing, 1 extra, 1 different (sample keys: missing (1, code-1), (3, code-353); extra (2, zzz); different (6, code-699))`,
        `public.${c}: OK 50 rows`,
        '',
      ].join('\n'),
    );
    assert.equal(
      r.said,
      'supabase-sync: 2 of 3 table(s) differ (supabase-sync verify --repair fixes them)\n',
    );
    assert.deepEqual(await snapshots(stack.target.databaseUrl), before, 'verify wrote nothing');
  });

  test('--json: counts, row totals and a bounded sample of keys', async () => {
    const r = await cli.run(['verify', a, '--json']);
    assert.equal(r.code, 1, show(r));
    const result = JSON.parse(r.stdout) as VerifyTablesResult;
    assert.equal(result.equal, false);
    const t = result.tables[0]!.result!;
    assert.deepEqual(
      [t.table, t.sourceRows, t.targetRows, t.missing, t.extra, t.different, t.equal],
      [`public.${a}`, 3000, 3000, 3, 3, 3, false],
    );
    assert.ok(t.sample.length <= 20);
    assert.deepEqual(t.sample.find((s) => s.kind === 'missing')?.key, ['5']);
  });

  test('--repair fixes the target; verify again is OK; the databases hold the same rows', async () => {
    const repaired = await cli.run(['verify', '--all', '--repair']);
    assert.equal(repaired.code, 0, show(repaired));
    const lines = repaired.stdout.trimEnd().split('\n');
    assert.match(
      lines[0]!,
      new RegExp(
        `^public\\.${a}: 3 missing, 3 extra, 3 different .* — repaired: 6 written, 3 deleted; now OK 3000 rows$`,
      ),
    );
    assert.match(
      lines[1]!,
      new RegExp(
        `^public\\.${b}: 2 missing, 1 extra, 1 different .* — repaired: 3 written, 1 deleted; now OK 700 rows$`,
      ),
    );
    assert.equal(lines[2], `public.${c}: OK 50 rows`);

    const again = await cli.run(['verify']);
    assert.equal(again.code, 0, show(again));
    assert.equal(
      again.stdout,
      `public.${a}: OK 3000 rows\npublic.${b}: OK 700 rows\npublic.${c}: OK 50 rows\n`,
    );
    assert.deepEqual(await snapshots(stack.target.databaseUrl), await snapshots(stack.source.databaseUrl));
    const row = await target().query<{ amount: string }>(`SELECT amount FROM public.${a} WHERE id = 2500`);
    assert.equal(row.rows[0]!.amount, '25.00', 'the newer-looking target row was overwritten');
    // Unchanged source: verify reads only.
    const n = await source().query<{ n: string }>(`SELECT count(*) AS n FROM public.${a}`);
    assert.equal(n.rows[0]!.n, '3000');
  });

  test('--schedule: a Temporal Schedule that starts verifyTables', async () => {
    const r = await cli.run(['verify', a, '--schedule', '1d', '--id', scheduleId]);
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stdout,
      new RegExp(
        `^schedule ${scheduleId} created: verify every 1d, 1 table\\(s\\) \\(public\\.${a}\\), task queue ${cli.taskQueue}, next run `,
      ),
    );
    const d = await cli.run(['schedule', 'describe', '--id', scheduleId, '--json']);
    assert.equal(d.code, 0, show(d));
    const report = JSON.parse(d.stdout) as ScheduleReportJson;
    assert.equal(report.workflowType, 'verifyTables');
    assert.deepEqual(report.tables, [`public.${a}`]);
    const dup = await cli.run(['verify', a, '--schedule', '1d', '--id', scheduleId]);
    assert.equal(dup.code, 1, show(dup));
    assert.match(dup.said, /already exists: .*or pass --replace\n$/);
  });

  test('errors: one line, exit 2 for usage (an unknown table too)', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['verify', '--schedule', 'often'], 2, /^supabase-sync: --schedule "often": use a number and a unit/],
      [['verify', '--schedule', '1d', '--cron', '* * * * *'], 2, /^supabase-sync: give one of --schedule/],
      [['verify', '--frobnicate'], 2, /^supabase-sync: unknown option '--frobnicate'/],
      [['verify', 'nope'], 2, /^supabase-sync: table "nope" is not in /],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await cli.run(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${show(r)}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.said, pattern, args.join(' '));
    }
  });
});
