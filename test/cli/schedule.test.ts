/**
 * `supabase-sync schedule …`: the reconcile-only mode on a Temporal Schedule. Created, triggered,
 * its workflow seen completed in Temporal with the rows on the target; the next run resumes from
 * the checkpoint the previous one ended with (child `table-reconcile:<table>`, shared with
 * `npm run sync --cron`); describe, pause/unpause, cron, delete; one-line errors.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import type { ScheduleReportJson } from '../../src/cli/schedule.js';
import type { ReconcileScheduleResult } from '../../src/workflows/reconcile-schedule.js';
import type { TableSyncResult } from '../../src/contracts/table-sync.js';
import { CliEnv, show } from './cli.js';
import { inSync } from '../support/compare.js';

const stack = testStack();
const a = uniqueName('cli_sched_a');
const b = uniqueName('cli_sched_b');
const scheduleId = `test-reconcile-${randomBytes(4).toString('hex')}`;
const cronId = `${scheduleId}-cron`;
let sync: RunningSync;
let cli: CliEnv;
let client: Client;

const ddl = (n: string) =>
  `CREATE TABLE public.${n} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`;

async function describeJson(id = scheduleId): Promise<ScheduleReportJson> {
  const r = await cli.run(['schedule', 'describe', '--id', id, '--json']);
  assert.equal(r.code, 0, show(r));
  return JSON.parse(r.stdout) as ScheduleReportJson;
}

before(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    await db(url).query(ddl(a));
    await db(url).query(ddl(b));
  }
  const source = db(stack.source.databaseUrl);
  await source.query(`INSERT INTO public.${a} (id, note) SELECT g, 'a ' || g FROM generate_series(1, 800) g`);
  await source.query(`INSERT INTO public.${b} (id, note) SELECT g, 'b ' || g FROM generate_series(1, 300) g`);
  // A worker only (delete tracking on): the schedule starts the workflows.
  sync = await startSync(testConfig([table(a), table(b)]), { startWorkflows: false });
  client = sync.client;
  cli = await CliEnv.create(sync.config.temporal.taskQueue, [a, b]);
});

after(async () => {
  for (const id of [scheduleId, cronId]) {
    await client?.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  }
  await sync?.close();
  await cli?.remove();
  await closeDatabases();
});

describe('supabase-sync schedule', () => {
  test('create, trigger: the run completes in Temporal and the rows are on the target', async () => {
    const created = await cli.run(['schedule', 'create', '--id', scheduleId, '--every', '1h', '--paused']);
    assert.equal(created.code, 0, show(created));
    assert.match(
      created.stdout,
      new RegExp(
        `^schedule ${scheduleId} created: every 1h, 2 table\\(s\\) \\(public\\.${a}, public\\.${b}\\), task queue ${cli.taskQueue}, paused\\n$`,
      ),
    );

    const again = await cli.run(['schedule', 'create', '--id', scheduleId, '--every', '1h']);
    assert.equal(again.code, 1, show(again));
    assert.equal(
      again.said,
      `supabase-sync: schedule "${scheduleId}" already exists: \`supabase-sync schedule describe --id ${scheduleId}\`, or pass --replace\n`,
    );

    const triggered = await cli.run(['schedule', 'trigger', '--id', scheduleId]);
    assert.equal(triggered.code, 0, show(triggered));
    const m = new RegExp(`^schedule ${scheduleId}: started (${scheduleId}-\\S+)\\n$`).exec(triggered.stdout);
    assert.ok(m, show(triggered));
    const run = client.workflow.getHandle(m[1]!);
    const result = (await run.result()) as ReconcileScheduleResult;
    assert.equal((await run.describe()).status.name, 'COMPLETED');
    assert.equal(result.failed, 0);
    assert.deepEqual(
      result.tables.map((t) => [t.table, t.workflowId, t.ok, t.resumed, t.rowsRead]),
      [
        [`public.${a}`, `table-reconcile:public.${a}`, true, false, 800],
        [`public.${b}`, `table-reconcile:public.${b}`, true, false, 300],
      ],
    );
    assert.ok(await inSync(a));
    assert.ok(await inSync(b));
    // The child is the reconcile-only table workflow, completed, with its checkpoint as result.
    const child = client.workflow.getHandle(`table-reconcile:public.${a}`);
    assert.equal((await child.describe()).status.name, 'COMPLETED');
    const childResult = (await child.result()) as TableSyncResult;
    assert.equal(childResult.state.initialCopy.done, true);
    assert.notEqual(childResult.state.reconcileCursor, null);
  });

  test('the next run resumes from the previous checkpoint (trigger --wait prints the result)', async () => {
    const source = db(stack.source.databaseUrl);
    await source.query(`UPDATE public.${a} SET note = 'edited', updated_at = now() WHERE id = 7`);
    await source.query(`DELETE FROM public.${a} WHERE id = 8`);
    await source.query(`INSERT INTO public.${b} (id, note) VALUES (301, 'new')`);
    const r = await cli.run(['schedule', 'trigger', '--id', scheduleId, '--wait']);
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stdout,
      new RegExp(
        `\\npublic\\.${a}: ok — read \\d+, written 1, unchanged \\d+, deletes replayed 1 \\(1 removed\\), from the last checkpoint\\n`,
      ),
    );
    assert.match(
      r.stdout,
      new RegExp(
        `\\npublic\\.${b}: ok — read \\d+, written 1, unchanged \\d+, deletes replayed 0 \\(0 removed\\), from the last checkpoint\\n`,
      ),
    );
    assert.ok(await inSync(a));
    assert.ok(await inSync(b));
    const child = (await client.workflow
      .getHandle(`table-reconcile:public.${a}`)
      .result()) as TableSyncResult;
    assert.equal(child.state.runs, 2, 'the second run started from the first run’s state');
    assert.equal(child.state.initialCopy.rowsCopied, 800, 'the table was not copied again');
  });

  test('describe: spec, tables, next runs, recent runs with their results', async () => {
    const report = await describeJson();
    assert.equal(report.spec, 'every 1h');
    assert.deepEqual(report.tables, [`public.${a}`, `public.${b}`]);
    assert.equal(report.paused, true);
    assert.equal(report.overlap, 'SKIP');
    assert.equal(report.workflowType, 'reconcileSchedule');
    assert.equal(report.taskQueue, cli.taskQueue);
    assert.equal(report.actionsTaken, 2);
    assert.deepEqual(
      report.recent.map((x) => x.status),
      ['COMPLETED', 'COMPLETED'],
    );
    assert.match(report.recent[1]!.summary!, new RegExp(`public\\.${a} ok: read \\d+, written 1`));

    const unpaused = await cli.run(['schedule', 'unpause', '--id', scheduleId]);
    assert.equal(unpaused.code, 0, show(unpaused));
    assert.match(unpaused.stdout, /: active, next run \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\n$/);

    const plain = await cli.run(['schedule', 'describe', '--id', scheduleId]);
    assert.equal(plain.code, 0, show(plain));
    const lines = plain.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, new RegExp(`^schedule ${scheduleId}: active`));
    assert.equal(lines[1], '  spec: every 1h; overlap: skip');
    assert.equal(lines[2], `  tables: public.${a}, public.${b}`);
    assert.match(
      lines[3]!,
      new RegExp(`^ {2}runs: workflow reconcileSchedule on task queue ${cli.taskQueue}; 2 taken`),
    );
    assert.match(lines[4]!, /^ {2}next runs: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ(, \S+ \S+)+$/);
    assert.equal(lines[5], '  running: none');
    assert.equal(lines[6], '  recent runs:');
    assert.equal(lines.length, 9, plain.stdout);
    for (const line of lines.slice(7))
      assert.match(line, new RegExp(`^ {4}\\S+ \\S+ completed ${scheduleId}-\\S+ — public\\.${a} ok: `));

    const paused = await cli.run(['schedule', 'pause', '--id', scheduleId, '--note', 'maintenance']);
    assert.equal(paused.code, 0, show(paused));
    const afterPause = await describeJson();
    assert.equal(afterPause.paused, true);
    assert.equal(afterPause.note, 'maintenance');
  });

  test('--cron, --replace, delete', async () => {
    const created = await cli.run([
      'schedule',
      'create',
      a,
      '--id',
      cronId,
      '--cron',
      '*/5 * * * *',
      '--paused',
    ]);
    assert.equal(created.code, 0, show(created));
    assert.match(
      created.stdout,
      new RegExp(`created: cron "\\*/5 \\* \\* \\* \\*" \\(UTC\\), 1 table\\(s\\) \\(public\\.${a}\\)`),
    );
    const report = await describeJson(cronId);
    assert.equal(report.spec, 'cron "*/5 * * * *" (UTC)');
    assert.deepEqual(report.tables, [`public.${a}`]);

    const replaced = await cli.run([
      'schedule',
      'create',
      a,
      b,
      '--id',
      cronId,
      '--every',
      '10m',
      '--replace',
    ]);
    assert.equal(replaced.code, 0, show(replaced));
    assert.match(replaced.stdout, new RegExp(`^schedule ${cronId} replaced: every 10m, 2 table\\(s\\)`));
    const after = await describeJson(cronId);
    assert.equal(after.spec, 'every 10m');
    assert.equal(after.paused, false);
    assert.ok(after.nextRuns.length > 0);
    const gap = Date.parse(String(after.nextRuns[1])) - Date.parse(String(after.nextRuns[0]));
    assert.ok(Math.abs(gap - 600_000) <= 2000, `next runs 10 min apart: ${after.nextRuns.join(', ')}`);

    const deleted = await cli.run(['schedule', 'delete', '--id', cronId]);
    assert.equal(deleted.code, 0, show(deleted));
    assert.equal(deleted.stdout, `schedule ${cronId}: deleted\n`);
    await waitFor(async () => (await cli.run(['schedule', 'describe', '--id', cronId])).code === 1, {
      timeoutMs: 10_000,
    });
    const gone = await cli.run(['schedule', 'describe', '--id', cronId]);
    assert.equal(
      gone.said,
      `supabase-sync: no schedule "${cronId}": create it with \`supabase-sync schedule create --every 5m\`\n`,
    );
  });

  test('errors: one line, non-zero exit', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['schedule', 'create', '--id', `${scheduleId}-x`],
        2,
        /^supabase-sync: give one of --every \(e\.g\. 5m\) or --cron/,
      ],
      [
        ['schedule', 'create', '--id', `${scheduleId}-x`, '--every', '5m', '--cron', '* * * * *'],
        2,
        /give one of/,
      ],
      [
        ['schedule', 'create', '--id', `${scheduleId}-x`, '--every', 'often'],
        2,
        /^supabase-sync: --every "often": use a number and a unit/,
      ],
      [
        ['schedule', 'create', '--id', `${scheduleId}-x`, '--cron', 'not a cron'],
        2,
        /^supabase-sync: --cron "not a cron": /,
      ],
      [
        ['schedule', 'create', 'nope', '--id', `${scheduleId}-x`, '--every', '5m'],
        2,
        /^supabase-sync: table "nope" is not in /,
      ],
      [['schedule', 'trigger', '--id', `${scheduleId}-missing`], 1, /^supabase-sync: no schedule "/],
      [['schedule', 'pause', '--id', `${scheduleId}-missing`], 1, /^supabase-sync: no schedule "/],
      [['schedule', 'frobnicate'], 2, /^supabase-sync: unknown command 'frobnicate'/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await cli.run(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${show(r)}`);
      assert.equal(r.said.trim().split('\n').length, 1, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.said, pattern, args.join(' '));
    }
    await assert.rejects(client.schedule.getHandle(`${scheduleId}-x`).describe());
  });
});
