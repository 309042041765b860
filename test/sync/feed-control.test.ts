/**
 * The worker asks its workflows nothing on a timer: Temporal Cloud bills every Query as an action
 * ("an Action occurs for every Query"), so the realtime feed learns that it must stop from its
 * workflow's feedControl sink instead of polling it. Every Temporal call of the worker's own client
 * is counted here by a gRPC interceptor; the test talks to Temporal through a client of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, ConnectionOptions } from '@temporalio/client';
import { createLogger } from '../../src/engine/logger.js';
import { syncSettings } from '../../src/config/settings.js';
import { enableDeleteTracking, ensureTableWorkflows } from '../../src/engine/tables.js';
import { connectSource } from '../../src/supabase/source.js';
import { connectClient } from '../../src/temporal/connection.js';
import { createSyncWorker, type SyncWorker } from '../../src/worker.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import { pauseUpdate, resumeUpdate, statusQuery, stopUpdate } from '../../src/workflows/messages.js';
import type { TableStatus } from '../../src/contracts/table-sync.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { LogCapture, table, testConfig, workflowBundle } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { countSubscriptions, type CountingSource } from './subscriptions.js';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

const stack = testStack();
const idle = table(uniqueName('feedctl'));
const workflowId = workflowIdFor(idle);
/** Every call the worker's client made, by method (`QueryWorkflow`, `SignalWorkflowExecution`, …). */
const calls: string[] = [];
const countCalls: Interceptor = (options, nextCall) => {
  calls.push(options.method_definition.path.split('/').pop() ?? '?');
  // A pass-through: grpc-js needs only the call interface, which its declared return type implements.
  return nextCall(options) as ReturnType<Interceptor>;
};
const queries = () => calls.filter((c) => c === 'QueryWorkflow').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let worker: SyncWorker;
let client: Client;
let subscriptions: CountingSource;
const status = (): Promise<TableStatus> => client.workflow.getHandle(workflowId).query(statusQuery);

async function onTarget(id: number): Promise<boolean> {
  const { rows } = await db(stack.target.databaseUrl).query(
    `SELECT 1 FROM public.${idle.table} WHERE id = $1`,
    [id],
  );
  return rows.length === 1;
}

async function live(): Promise<TableStatus> {
  return waitFor(
    async () => {
      const s = await status();
      return s.realtime.connected && s.initialCopy.done && subscriptions.open(idle.qualifiedName) === 1
        ? s
        : undefined;
    },
    { timeoutMs: 20_000, message: async () => `feed not live: ${JSON.stringify(await status())}` },
  );
}

before(async () => {
  await createNotesTable(idle.table, 20);
  // As deployed: passes every 5 min while the feed is live (the test never waits that long).
  const config = testConfig([idle], { reconcile: { intervalMs: 1000, liveIntervalMs: 300_000 } });
  subscriptions = countSubscriptions(connectSource(config.source));
  await enableDeleteTracking(subscriptions.source, config);
  worker = await createSyncWorker({
    config,
    logger: createLogger(config.logLevel, new LogCapture()),
    workflowBundle: await workflowBundle(),
    source: subscriptions.source,
    clientInterceptors: [countCalls],
  });
  void worker.run().catch(() => undefined);
  client = await connectClient(config);
  await ensureTableWorkflows(client, config, syncSettings(config));
  await live();
});

after(async () => {
  await worker?.shutdown();
  await client?.workflow
    .getHandle(workflowId)
    .terminate('test finished')
    .catch(() => undefined);
  await worker?.close();
  await client?.connection.close();
  await closeDatabases();
});

describe('feed control without queries', () => {
  test('an idle realtime table: the worker sends no query in 10 s', async () => {
    // The feed's subscribe was reported by signal through the counted client: the count sees the worker.
    assert.ok(calls.includes('SignalWorkflowExecution'), `calls seen: ${calls.join(', ')}`);
    const from = calls.length;
    // The old feed asked its workflow every 2 s: about 5 queries in this window.
    await sleep(10_000);
    const during = calls.slice(from);
    assert.equal(
      during.filter((c) => c === 'QueryWorkflow').length,
      0,
      `calls in the window: ${during.join(', ')}`,
    );
    assert.equal(queries(), 0, `calls since the start: ${calls.join(', ')}`);
    await live(); // and the feed still runs
  });

  test('pause, resume and stop reach the feed at once, still without a query', async () => {
    const handle = client.workflow.getHandle(workflowId);
    let at = Date.now();
    const paused = await handle.executeUpdate(pauseUpdate, { args: ['test'] });
    // The update returns once the feed activity has ended.
    assert.ok(Date.now() - at < 5000, `pause took ${Date.now() - at} ms`);
    assert.equal(paused.state, 'paused');
    assert.equal(subscriptions.open(idle.qualifiedName), 0, 'the subscription is closed');
    await db(stack.source.databaseUrl).query(
      `INSERT INTO public.${idle.table} (id, note) VALUES (101, 'while paused')`,
    );
    await sleep(1500);
    assert.equal(await onTarget(101), false, 'a paused table receives nothing');

    await handle.executeUpdate(resumeUpdate);
    await live();
    await waitFor(() => onTarget(101), { timeoutMs: 10_000, message: 'the paused change did not arrive' });

    at = Date.now();
    const stopped = await handle.executeUpdate(stopUpdate);
    assert.ok(Date.now() - at < 5000, `stop took ${Date.now() - at} ms`);
    assert.equal(stopped.state, 'stopped');
    assert.equal(subscriptions.open(idle.qualifiedName), 0, 'the subscription is closed');
    assert.equal(queries(), 0, `calls since the start: ${calls.join(', ')}`);
  });
});
