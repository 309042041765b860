/**
 * Tables taken out of the tables file, as a user meets them: `npm run sync --keep-unconfigured`
 * reports their workflows and keeps them; `status` lists them as not configured and accepts them
 * by workflow id, and `stop` stops one by its id; `npm run sync` without the flag stops them
 * (the configured table goes on).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { StatusEntry } from '../../src/cli/status.js';
import { closeDatabases, createNotesTable, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { CliEnv, show, stopSync, untilLogged, type SyncRun } from './cli.js';

const stack = testStack();
const [kept, gone, stoppedById] = ['cli_kept', 'cli_gone', 'cli_byid'].map(uniqueName) as [
  string,
  string,
  string,
];
const id = (n: string) => `table-sync:public.${n}`;
let cli: CliEnv;
let client: Client;
let run: SyncRun | undefined;

async function workflowStatus(n: string): Promise<string> {
  return (await client.workflow.getHandle(id(n)).describe()).status.name;
}

before(async () => {
  for (const n of [kept, gone, stoppedById]) await createNotesTable(n, 5);
  cli = await CliEnv.create(`unconf-${kept}`, [kept, gone, stoppedById]);
  client = new Client({ connection: await Connection.connect({ address: stack.temporal.address }) });
});

after(async () => {
  if (run) await stopSync(run, 'SIGKILL');
  for (const n of [kept, gone, stoppedById]) {
    await client?.workflow
      .getHandle(id(n))
      .terminate('test finished')
      .catch(() => undefined);
  }
  await client?.connection.close();
  await cli?.remove();
  await closeDatabases();
});

describe('tables no longer in the tables file', () => {
  test('kept with --keep-unconfigured, shown by status, stopped by id; stopped by npm run sync', async () => {
    run = cli.startSync();
    await untilLogged(run, /syncing 3 table\(s\)/);
    assert.equal(await stopSync(run), 0, run.output());

    await cli.writeTables([kept]);
    run = cli.startSync(['--keep-unconfigured']);
    for (const n of [gone, stoppedById]) {
      await untilLogged(
        run,
        new RegExp(
          `public\\.${n}: not in .*tables\\.json, its workflow ${id(n)} kept running \\(--keep-unconfigured\\); \`supabase-sync stop ${id(n)}\` stops it`,
        ),
      );
    }
    const json = await cli.run(['status', '--json']);
    assert.equal(json.code, 0, show(json));
    const entries = JSON.parse(json.stdout) as StatusEntry[];
    assert.deepEqual(
      // Other tests' tables on the same stack are listed too, as "not synced": only this test's count.
      entries
        .filter((e) => [kept, gone, stoppedById].some((n) => e.table === `public.${n}`))
        .filter((e) => String(e.state) !== 'not synced')
        .map((e) => [e.table, e.configured ?? true]),
      [[`public.${kept}`, true], ...[gone, stoppedById].sort().map((n) => [`public.${n}`, false])],
    );
    const plain = await cli.run(['status']);
    assert.match(
      plain.stdout,
      new RegExp(
        `\\n {2}not in .*tables\\.json: npm run sync stops it at start; \`supabase-sync stop ${id(gone)}\` now`,
      ),
    );
    const one = await cli.run(['status', id(gone)]);
    assert.equal(one.code, 0, show(one));
    assert.match(one.stdout, new RegExp(`^public\\.${gone}: running\\n`));

    const byName = await cli.run(['stop', stoppedById]);
    assert.equal(byName.code, 2, show(byName));
    assert.match(byName.said, new RegExp(`named by its id, e\\.g\\. ${id(stoppedById)}\\n$`));
    const stop = await cli.run(['stop', id(stoppedById)]);
    assert.equal(stop.code, 0, show(stop));
    assert.equal(stop.stdout, `public.${stoppedById}: stopped\n`);
    assert.equal(await workflowStatus(stoppedById), 'COMPLETED');
    assert.equal(await stopSync(run), 0, run.output());

    // Without the flag: the workflow of the table no longer configured is stopped, the other goes on.
    run = cli.startSync();
    await untilLogged(
      run,
      new RegExp(
        `public\\.${gone}: not in .*tables\\.json: stopping its workflow ${id(gone)} \\(its checkpoint is kept: adding the table back resumes it; --keep-unconfigured keeps it running\\)`,
      ),
    );
    await untilLogged(run, new RegExp(`public\\.${gone}: workflow ${id(gone)} stopped`));
    assert.equal(await workflowStatus(gone), 'COMPLETED');
    assert.equal(await workflowStatus(kept), 'RUNNING');
    assert.ok(!run.output().includes(`public.${stoppedById}: not in`), 'a stopped workflow is not reported');
    assert.equal(await stopSync(run), 0, run.output());
    run = undefined;
  });
});
