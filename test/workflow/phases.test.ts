/**
 * The table workflow's phases with its activities mocked (TestWorkflowEnvironment on the harness's
 * Temporal dev server): preparing → copying → running, a failing prepare that recovers, pause (no
 * timer passes, the feed released, a `reconcileNow` still served) and resume, backfill back through
 * preparing and copying, the feed's subscribe asking for a catch-up pass, continue-as-new carrying
 * the checkpoint, and stop completing with it. What each step shows is what `status` shows a user.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { activityInfo, ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { SyncActivities } from '../../src/activities/index.js';
import type { ReconcileChunkInput, ReconcileChunkResult } from '../../src/contracts/activities.js';
import type { TableConfig } from '../../src/contracts/config.js';
import { FeedControlRegistry, feedControlSinks } from '../../src/temporal/feed-control.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import {
  backfillUpdate,
  pauseUpdate,
  realtimeSubscribedSignal,
  reconcileNowUpdate,
  resumeUpdate,
  statusQuery,
  stopUpdate,
} from '../../src/workflows/messages.js';
import { tableSync } from '../../src/workflows/table-sync.js';
import type { SyncSettings, TableStatus } from '../../src/contracts/table-sync.js';
import { testStack } from '../support/stack-env.js';
import { workflowBundle } from '../support/sync.js';
import { Gate } from '../support/gate.js';
import { waitFor } from '../support/wait.js';

/** How the mocked activities behave for one table. */
interface Script {
  rows: number;
  prepareGate?: Gate;
  copyGate?: Gate;
  failPrepare: number;
  /** The SyncError kind of those failures (default `unavailable`: the project is down). */
  failKind?: string;
  calls: string[];
}

const scripts = new Map<string, Script>();
const feeds = new FeedControlRegistry();
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `phases-${randomBytes(4).toString('hex')}`;

function script(table: TableConfig): Script {
  return scripts.get(table.table)!;
}

const mocks: Partial<SyncActivities> = {
  async prepareTable({ table }) {
    const s = script(table);
    s.calls.push('prepare');
    await s.prepareGate?.opened;
    if (s.failPrepare > 0) {
      s.failPrepare -= 1;
      if (s.failKind === 'schema') {
        throw ApplicationFailure.nonRetryable(
          `${table.schema}.${table.table}: schema drift: table ${table.schema}.${table.table} is on the source but not on the target; run on the target: CREATE TABLE …`,
          'SyncError:schema',
        );
      }
      throw ApplicationFailure.nonRetryable(
        `target project (http://127.0.0.1:1): reading the catalog failed, the API is unreachable or failing (HTTP 0): check SYNC_TARGET_SUPABASE_URL and that the project is up`,
        'SyncError:unavailable',
      );
    }
    return { versionColumn: 'updated_at', sourceRows: s.rows, maxVersion: '2026-01-31T12:00:00+00:00' };
  },
  async reconcileChunk(input: ReconcileChunkInput): Promise<ReconcileChunkResult> {
    const s = script(input.table);
    s.calls.push(`chunk ${input.mode}`);
    if (input.mode === 'by-key') {
      await s.copyGate?.opened;
      // One row per chunk, keys 1..rows.
      const next = ((input.afterKey?.[0] as number | undefined) ?? 0) + 1;
      return {
        rowsRead: 1,
        written: 1,
        skipped: 0,
        done: next >= s.rows,
        afterKey: [next],
        afterVersion: null,
        maxVersion: '2026-01-31T12:00:00+00:00',
      };
    }
    return {
      rowsRead: 0,
      written: 0,
      skipped: 0,
      done: true,
      afterKey: null,
      afterVersion: null,
      maxVersion: null,
    };
  },
  replayDeletions({ table }) {
    script(table).calls.push('deletions');
    return Promise.resolve({ replayed: 0, deleted: 0, lastId: 0, done: true });
  },
  syncSequences() {
    return Promise.resolve({ sequences: 0, advanced: 0, missing: [] });
  },
  /** A feed that says it is live, then runs until released (feedControl) or cancelled. */
  async streamRealtimeChanges(input) {
    const s = script(input.table);
    s.calls.push('feed');
    const info = activityInfo();
    const workflowId = info.workflowExecution!.workflowId;
    let release: (reason: string) => void = () => {};
    const released = new Promise<string>((resolve) => (release = resolve));
    const unlisten = feeds.listen(
      { namespace: info.namespace, workflowId, generation: input.generation },
      release,
    );
    try {
      await env.client.workflow
        .getHandle(workflowId)
        .signal(realtimeSubscribedSignal, { at: new Date().toISOString() });
      const why = await Promise.race([released, Context.current().cancelled.then(() => 'cancelled')]);
      s.calls.push(`feed ${why === 'cancelled' ? 'cancelled' : 'released'}`);
      if (why === 'cancelled') throw new CancelledFailure('feed cancelled');
    } finally {
      unlisten();
    }
  },
  lastCompletedCheckpoint: () => Promise.resolve(null),
};

const settings: SyncSettings = {
  intervalMs: 200,
  liveIntervalMs: 0,
  lookbackMs: 60_000,
  batchSize: 100,
  initialBackfillMs: null,
  realtime: false,
  loop: true,
  maxPassesPerRun: 500,
  searchAttributes: false,
};

function newTable(name: string, rows: number, options: Partial<Script> = {}): TableConfig {
  const table = `${name}_${randomBytes(3).toString('hex')}`;
  scripts.set(table, { rows, failPrepare: 0, calls: [], ...options });
  return {
    schema: 'public',
    table,
    qualifiedName: `public.${table}`,
    primaryKeys: ['id'],
    incrementalFields: ['updated_at'],
    realtime: true,
    reconcile: true,
  };
}

async function start(table: TableConfig, overrides: Partial<SyncSettings> = {}) {
  return env.client.workflow.start(tableSync, {
    workflowId: workflowIdFor(table),
    taskQueue,
    args: [{ table, settings: { ...settings, ...overrides } }],
  });
}

type Handle = Awaited<ReturnType<typeof start>>;

function statusOf(handle: Handle): Promise<TableStatus> {
  return handle.query(statusQuery);
}

async function until(handle: Handle, what: string, ok: (s: TableStatus) => boolean): Promise<TableStatus> {
  return waitFor(
    async () => {
      const s = await statusOf(handle);
      return ok(s) ? s : undefined;
    },
    { timeoutMs: 10_000, message: async () => `${what}: ${JSON.stringify(await statusOf(handle))}` },
  );
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
    sinks: feedControlSinks(feeds),
  });
  running = worker.run();
});

after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('tableSync phases (activities mocked)', () => {
  test('a new table: starting while it is prepared, copying chunk by chunk, then running; stop completes with the checkpoint', async () => {
    const prepareGate = new Gate();
    const copyGate = new Gate();
    const table = newTable('fresh', 3, { prepareGate, copyGate });
    const handle = await start(table);
    assert.equal((await until(handle, 'starting', (s) => s.state === 'starting')).initialCopy.done, false);
    prepareGate.open();
    const copying = await until(handle, 'copying', (s) => s.state === 'copying');
    assert.equal(copying.versionColumn, 'updated_at');
    assert.equal(copying.initialCopy.total, 3, 'the source rows, counted while preparing');
    copyGate.open();
    const runningStatus = await until(handle, 'running', (s) => s.state === 'running' && s.passes >= 2);
    assert.equal(runningStatus.initialCopy.rowsCopied, 3);
    assert.equal(runningStatus.initialCopy.done, true);
    assert.equal(runningStatus.lastError, null);
    // Three copy chunks, then reconciliation passes by version.
    const calls = script(table).calls;
    assert.deepEqual(calls.slice(0, 4), ['prepare', 'chunk by-key', 'chunk by-key', 'chunk by-key']);
    assert.ok(calls.includes('chunk by-version'), calls.join(', '));

    const stopped = await handle.executeUpdate(stopUpdate);
    assert.equal(stopped.state, 'stopped');
    const result = await handle.result();
    assert.equal(result.status.state, 'stopped');
    assert.equal(result.state.initialCopy.done, true, 'the checkpoint a later start resumes from');
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
  });

  test('a failing prepare shows failing with the error a user can act on, backs off, and recovers', async () => {
    const table = newTable('broken', 1, { failPrepare: 2 });
    const handle = await start(table);
    const failing = await until(handle, 'failing', (s) => s.state === 'failing');
    assert.equal(failing.lastError?.where, 'prepare');
    assert.equal(failing.lastError?.kind, 'unavailable');
    assert.match(
      failing.lastError?.message ?? '',
      /unreachable or failing .*: check SYNC_TARGET_SUPABASE_URL/,
    );
    const recovered = await until(handle, 'running', (s) => s.state === 'running');
    assert.equal(recovered.lastError, null);
    assert.equal(script(table).calls.filter((c) => c === 'prepare').length, 3);
    await handle.executeUpdate(stopUpdate);
  });

  test('schema drift at prepare: blocked, the SQL to run in the error, tried again every interval (no backoff) until fixed', async () => {
    const table = newTable('drift', 1, { failPrepare: 3, failKind: 'schema' });
    const handle = await start(table);
    const blocked = await until(handle, 'blocked', (s) => s.state === 'blocked');
    assert.equal(blocked.lastError?.kind, 'schema');
    assert.match(blocked.lastError?.message ?? '', /schema drift: .* run on the target: CREATE TABLE/);
    const recovered = await until(handle, 'running', (s) => s.state === 'running');
    assert.equal(recovered.lastError, null);
    assert.equal(script(table).calls.filter((c) => c === 'prepare').length, 4);
    await handle.executeUpdate(stopUpdate);
  });

  test('pause: no timer passes and the feed released at once, a reconcileNow still served; resume runs again', async () => {
    const table = newTable('paused', 2);
    const handle = await start(table, { realtime: true });
    await until(handle, 'running with a live feed', (s) => s.state === 'running' && s.realtime.connected);
    // The feed's subscribe asked for a catch-up pass.
    await until(handle, 'a catch-up pass', (s) => s.lastPass?.kind === 'catch-up');

    const paused = await handle.executeUpdate(pauseUpdate, { args: ['maintenance'] });
    assert.equal(paused.state, 'paused');
    assert.equal(paused.realtime.connected, false);
    assert.ok(script(table).calls.includes('feed released'), 'released through the feedControl sink');
    const passesWhenPaused = paused.passes;
    const manual = await handle.executeUpdate(reconcileNowUpdate, { args: [{}] });
    assert.equal(manual.ok, true);
    assert.equal(manual.pass?.kind, 'manual');
    const stillPaused = await statusOf(handle);
    assert.equal(stillPaused.state, 'paused');
    assert.equal(stillPaused.passes, passesWhenPaused + 1, 'only the requested pass ran while paused');

    const resumed = await handle.executeUpdate(resumeUpdate);
    assert.equal(resumed.state, 'running');
    await until(
      handle,
      'passes and a feed again',
      (s) => s.passes > passesWhenPaused + 2 && s.realtime.connected,
    );
    await handle.executeUpdate(stopUpdate);
    await handle.result();
    assert.equal(
      script(table).calls.filter((c) => c === 'feed').length,
      2,
      'one feed before the pause, one after',
    );
  });

  test('backfill: preparing again, then the whole table copied again from the start', async () => {
    const table = newTable('backfill', 2);
    const handle = await start(table);
    await until(handle, 'running', (s) => s.state === 'running');
    const copyGate = new Gate();
    script(table).copyGate = copyGate;
    const accepted = await handle.executeUpdate(backfillUpdate);
    assert.equal(accepted.initialCopy.done, false);
    assert.equal(accepted.initialCopy.rowsCopied, 0, 'a fresh count');
    await until(handle, 'copying again', (s) => s.state === 'copying');
    copyGate.open();
    const copied = await until(handle, 'copied again', (s) => s.state === 'running' && s.initialCopy.done);
    assert.equal(copied.initialCopy.rowsCopied, 2);
    assert.equal(script(table).calls.filter((c) => c === 'prepare').length, 2, 'prepared again');
    await handle.executeUpdate(stopUpdate);
  });

  test('continue-as-new after maxPassesPerRun carries the checkpoint: the copy is not repeated', async () => {
    const table = newTable('renew', 2);
    const handle = await start(table, { maxPassesPerRun: 2 });
    const firstRun = (await handle.describe()).runId;
    const renewed = await until(handle, 'a third run', (s) => s.runs >= 3);
    assert.notEqual((await handle.describe()).runId, firstRun);
    assert.equal(renewed.initialCopy.rowsCopied, 2);
    assert.ok(renewed.passes >= 4, 'pass counts carry over');
    assert.equal(script(table).calls.filter((c) => c === 'chunk by-key').length, 2, 'copied once');
    assert.equal(script(table).calls.filter((c) => c === 'prepare').length, 1, 'prepared once');
    await handle.executeUpdate(stopUpdate);
  });
});
