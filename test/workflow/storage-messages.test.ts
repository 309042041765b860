/**
 * The bucket workflow's messages with its activities mocked (TestWorkflowEnvironment on the
 * harness's Temporal dev server): `storageStop` sent while a pass runs answers only once that pass
 * ended, with the pass counted (and a `storageSyncNow` meanwhile is refused: the workflow is
 * stopping); `storageConfigure` with settings that are not a bucket workflow's is refused with what
 * is wrong, before anything is recorded, and the workflow goes on with its settings.
 * (test/fixtures/histories/2026-12-07-storage-messages.json is this scenario recorded with the code
 * before StorageSyncManager, whose stop answered at once: syncNow, configure, a stop during a pass.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { SyncActivities } from '../../src/activities/index.js';
import { storageWorkflowId } from '../../src/workflows/storage-decisions.js';
import {
  storageConfigureUpdate,
  storageStatusQuery,
  storageStopUpdate,
  storageSyncNowUpdate,
} from '../../src/workflows/storage-messages.js';
import { storageSync } from '../../src/workflows/storage-sync.js';
import type {
  StoragePassResult,
  StorageStatus,
  StorageSyncSettings,
} from '../../src/contracts/storage-sync.js';
import { testStack } from '../support/stack-env.js';
import { workflowBundle } from '../support/sync.js';
import { Gate } from '../support/gate.js';
import { waitFor } from '../support/wait.js';

/** What the mocked passes of one bucket do: each copies `n` objects (n: its number), the gated one waits. */
interface Script {
  started: number;
  ended: number;
  gate?: { pass: number; gate: Gate };
}

const scripts = new Map<string, Script>();
const started: WorkflowHandle[] = [];
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `storage-messages-${randomBytes(4).toString('hex')}`;

const mocks: Partial<SyncActivities> = {
  prepareStorageBucket: () => Promise.resolve({ created: true }),
  async storagePass({ bucket }): Promise<StoragePassResult> {
    const s = scripts.get(bucket)!;
    const n = ++s.started;
    if (s.gate?.pass === n) await s.gate.gate.opened;
    s.ended = n;
    return {
      cursor: { updatedAt: `2026-12-07T10:00:0${n}.000000Z`, name: `o${n}.txt` },
      copied: n,
      bytes: 10 * n,
      unchanged: 1,
      deleted: 0,
      refused: [],
      refusedCount: 0,
    };
  },
};

// A long interval: passes run only when asked for (syncNow, configure) or at the start.
const settings: StorageSyncSettings = {
  intervalMs: 120_000,
  lookbackMs: 300_000,
  pageSize: 1000,
  loop: true,
  maxPassesPerRun: 500,
};

async function start(script: Script): Promise<WorkflowHandle<typeof storageSync>> {
  const bucket = `messages-${randomBytes(4).toString('hex')}`;
  scripts.set(bucket, script);
  const handle = await env.client.workflow.start(storageSync, {
    workflowId: storageWorkflowId(bucket),
    taskQueue,
    args: [{ bucket, settings }],
  });
  started.push(handle);
  return handle;
}

async function until(
  handle: WorkflowHandle,
  what: string,
  ok: (s: StorageStatus) => boolean,
): Promise<StorageStatus> {
  return waitFor(
    async () => {
      const s = await handle.query(storageStatusQuery);
      return ok(s) ? s : undefined;
    },
    {
      timeoutMs: 10_000,
      message: async () => `${what}: ${JSON.stringify(await handle.query(storageStatusQuery))}`,
    },
  );
}

/** What the history holds of update `updateId`: accepted, completed. */
async function updateStages(handle: WorkflowHandle, updateId: string): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((e) => {
    if (e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === updateId)
      return ['accepted'];
    if (e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === updateId) return ['completed'];
    return [];
  });
}

/** How many updates the history holds. */
async function updatesRecorded(handle: WorkflowHandle): Promise<number> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
}

/** Why an update was refused: its validator's message. */
async function refusal(sent: Promise<unknown>): Promise<string> {
  const error = await sent.then(
    () => assert.fail('the update was applied'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
  return error.cause?.message ?? '';
}

before(async () => {
  // The SDK's own logs: warnings and errors only, as the worker logs them.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const stack = testStack();
  env = await TestWorkflowEnvironment.createFromExistingServer({
    address: stack.temporal.address,
    namespace: stack.temporal.namespace,
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: stack.temporal.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: mocks,
  });
  running = worker.run();
});

after(async () => {
  // A test that failed midway leaves a pass held and its workflow running: neither outlasts the file.
  for (const s of scripts.values()) s.gate?.gate.open();
  for (const handle of started) await handle.terminate('test finished').catch(() => undefined);
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('storageSync messages (activities mocked)', () => {
  test('a stop sent while a pass runs answers once that pass ended, with it counted; a syncNow meanwhile is refused', async () => {
    const gate = new Gate();
    const script: Script = { started: 0, ended: 0, gate: { pass: 2, gate } };
    const handle = await start(script);
    await until(handle, 'the first pass', (s) => s.passes === 1);
    // New settings ask for a pass: the second, held until the gate opens.
    await handle.executeUpdate(storageConfigureUpdate, { args: [{ ...settings, pageSize: 500 }] });
    await waitFor(() => script.started === 2, { message: () => `passes started: ${script.started}` });

    const stop = await handle.startUpdate(storageStopUpdate, { waitForStage: 'ACCEPTED' });
    // Accepted (the workflow is stopping), not answered: the pass is still in flight.
    assert.deepEqual(await updateStages(handle, stop.updateId), ['accepted']);
    assert.equal((await handle.query(storageStatusQuery)).state, 'stopped');
    assert.equal(await refusal(handle.executeUpdate(storageSyncNowUpdate)), 'the workflow is stopping');
    assert.equal(script.ended, 1);

    gate.open();
    const stopped = await stop.result();
    assert.equal(script.ended, 2, 'the stop answered after the pass in flight ended');
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.passes, 2, 'the pass in flight is counted');
    assert.equal(stopped.lastPass?.copied, 2);
    assert.equal(stopped.counters.objectsCopied, 1 + 2);
    assert.deepEqual(await handle.result(), stopped, 'the result is what the stop answered');
    assert.deepEqual(await updateStages(handle, stop.updateId), ['accepted', 'completed']);
    assert.equal(script.started, 2, 'no pass after the stop');
  });

  test('a stop while no pass runs answers at once and completes the workflow', async () => {
    const script: Script = { started: 0, ended: 0 };
    const handle = await start(script);
    await until(handle, 'the first pass', (s) => s.passes === 1);
    const stopped = await handle.executeUpdate(storageStopUpdate);
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.passes, 1);
    assert.equal((await handle.result()).passes, 1);
  });

  test('configure with settings that are not a bucket workflow’s is refused with what is wrong; valid ones apply', async () => {
    const script: Script = { started: 0, ended: 0 };
    const handle = await start(script);
    const bucketId = handle.workflowId;
    await until(handle, 'the first pass', (s) => s.passes === 1);

    const configure = (next: unknown) =>
      handle.executeUpdate(storageConfigureUpdate, { args: [next as StorageSyncSettings] });
    assert.equal(
      await refusal(configure({ ...settings, pageSize: 0, loop: 'yes' })),
      `${bucketId}: the new settings were not applied: pageSize must be a whole number from 1 to 10000 (got 0); loop must be true or false (got "yes")`,
    );
    assert.equal(
      await refusal(configure({ intervalMs: 1000 })),
      `${bucketId}: the new settings were not applied: lookbackMs must be a whole number of at least 0 (got nothing); pageSize must be a whole number from 1 to 10000 (got nothing); maxPassesPerRun must be a whole number of at least 1 (got nothing); loop must be true or false (got nothing)`,
    );
    assert.equal(
      await refusal(configure('fast')),
      `${bucketId}: the new settings were not applied: settings must be an object with intervalMs, lookbackMs, pageSize, maxPassesPerRun, loop (got "fast")`,
    );
    // Refused before anything was recorded: no update in the history, no pass asked for.
    assert.equal(await updatesRecorded(handle), 0);
    assert.equal((await handle.query(storageStatusQuery)).passes, 1);

    // Valid settings apply, and ask for a pass with them.
    await configure({ ...settings, pageSize: 500 });
    await until(handle, 'the pass new settings ask for', (s) => s.passes === 2);
    await handle.executeUpdate(storageStopUpdate);
    assert.equal((await handle.result()).state, 'stopped');
  });
});
