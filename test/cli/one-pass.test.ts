/**
 * A one-pass run (`npm run sync -- --cron`) leaves each table's last state where the Temporal UI
 * and `SyncState="…"` queries see it: `stopped` after a good pass, `blocked` (or `failing`) after
 * a failed one — not the phase the pass ended in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { reconcileWorkflowIdFor } from '../../src/workflows/ids.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { table } from '../support/sync.js';
import { CliEnv } from './cli.js';

const stack = testStack();
const good = uniqueName('cron_good');
const bad = uniqueName('cron_missing_on_target');
let cli: CliEnv;
let client: Client;

async function syncState(name: string): Promise<unknown> {
  const d = await client.workflow.getHandle(reconcileWorkflowIdFor(table(name))).describe();
  return { status: d.status.name, state: d.searchAttributes?.SyncState };
}

before(async () => {
  await createNotesTable(good, 10);
  await db(stack.source.databaseUrl).query(
    `CREATE TABLE public.${bad} (id bigint PRIMARY KEY, updated_at timestamptz)`,
  );
  cli = await CliEnv.create(`cron-${good}`, [good, bad]);
  client = new Client({ connection: await Connection.connect({ address: stack.temporal.address }) });
});

after(async () => {
  await client?.connection.close();
  await cli?.remove();
  await closeDatabases();
});

describe('a one-pass run', () => {
  test('ends each table stopped, or blocked when it could not run (missing on the target)', async () => {
    const run = cli.startSync(['--cron']);
    assert.equal(await run.exited, 1, run.output());
    assert.match(run.output(), /reconcile-only run: 1 of 2 tables ok/);
    assert.deepEqual(await syncState(good), { status: 'COMPLETED', state: ['stopped'] });
    assert.deepEqual(await syncState(bad), { status: 'COMPLETED', state: ['blocked'] });
  });
});
