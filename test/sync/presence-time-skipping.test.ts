/**
 * A worker's liveness (src/workflows/presence.ts) on Temporal's time-skipping test server
 * (TestWorkflowEnvironment.createTimeSkipping; the Java server, test/support/temporal-test-server.ts),
 * with a real worker running the real `holdPresence` activity and the peers' real verdict on it
 * (src/engine/peer-liveness.ts, what src/engine/presence.ts acts on).
 *
 * What time skipping can and cannot do here. The test server skips to the next due timer only while
 * nothing holds its time lock, and from the moment an activity is scheduled until it completes,
 * fails, is cancelled or times out, that activity holds it (sdk-java temporal-test-server 1.32.1,
 * TestWorkflowMutableStateImpl: `ctx.lockTimer("processScheduleActivityTask")`, released in
 * completeActivityTask / failActivityTask / timeoutActivity / cancelActivityTask): a heartbeating
 * activity keeps wall time, as it must, or its heartbeat timeout would fire at the first skip. A
 * healthy liveness always has a hold pending (the next is scheduled in the workflow task that
 * receives the last one's end), and its only timers are its holds' timeouts, which must never fire:
 * there is never a moment to skip, nor a timer to skip to, short of declaring the worker lost. So a
 * day of the liveness's own time takes a day here too. This test therefore:
 *
 * - shows that the server skips a day at once while nothing holds its clock, then keeps a two-day
 *   `env.sleep` pending while the liveness runs, which unlocks time skipping: had the liveness a
 *   single idle moment (a gap between holds, a timer-based wait, a continue-as-new without its next
 *   hold), the server would jump two days at once, every hold's timeout would fire and the verdict
 *   would be 'lost'. It checks that the server's clock kept to the wall's throughout;
 * - stands each hold for its hour with holds of RENEW_MS, at the production holds per run (24): 30
 *   holds are more than a day of holds, with the continue-as-new after the 24th on the way;
 * - ends it with the stop signal, also one that reaches the workflow in the same task as the end of
 *   its run's last hold (it used to continue as new then: a run its stopped worker never held).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createPresenceActivities } from '../../src/activities/presence.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { createLogger } from '../../src/engine/logger.js';
import { peerLiveness } from '../../src/engine/peer-liveness.js';
import {
  PRESENCE_HOLDS_PER_RUN,
  presenceStopSignal,
  syncWorkerPresence,
  type PresenceInput,
} from '../../src/workflows/presence.js';
import { missingJava, temporalTestServer } from '../support/temporal-test-server.js';
import { LogCapture, workflowBundle } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const RENEW_MS = 400;
/** More than a day of hourly holds. */
const HOLDS = 30;
const DEAD_AFTER_MS = 2000;
const DAY_MS = 24 * 3_600_000;
const taskQueue = 'presence-time-skipping';

let env: TestWorkflowEnvironment;
let workflowWorker: Worker;
/** A peer's client (not the environment's, which locks and unlocks time around each result). */
let peer: Client;
const shutdown = new AbortController();
const logs = new LogCapture();
const activities = createPresenceActivities({
  shutdown: shutdown.signal,
  logger: createLogger('info', logs),
} as ActivityDeps);
const running = new Map<Worker, Promise<void>>();

/**
 * A worker polling `queue` until it is shut down. Its workflows are not cached: the test server
 * keeps a workflow's tasks on a stopped worker's sticky queue.
 */
async function startWorker(queue: string, withWorkflows: boolean): Promise<Worker> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queue,
    identity: `${queue}-worker`,
    activities,
    ...(withWorkflows ? { workflowBundle: await workflowBundle(), maxCachedWorkflows: 0 } : {}),
  });
  running.set(worker, worker.run());
  return worker;
}

async function stopWorker(worker: Worker): Promise<void> {
  worker.shutdown();
  await running.get(worker);
  running.delete(worker);
}

async function startLiveness(identity: string, holdsPerRun?: number): Promise<WorkflowHandle> {
  const input: PresenceInput = {
    identity,
    presenceQueue: `${taskQueue}@${identity}`,
    heartbeatTimeoutMs: DEAD_AFTER_MS,
    renewMs: RENEW_MS,
    holdsPerRun,
  };
  await startWorker(input.presenceQueue, false);
  const handle = await env.client.workflow.start(syncWorkerPresence, {
    workflowId: `sync-worker:${identity}`,
    taskQueue,
    args: [input],
  });
  return peer.workflow.getHandle(handle.workflowId);
}

/** Holds renewed (ended at their time, the next one started) over all the runs. */
const held = (runs: { renewed: number }[]) => runs.reduce((n, r) => n + r.renewed, 0);

type HistoryLike = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** Every run of a liveness workflow, first to last (following its continue-as-new). */
async function runsOf(handle: WorkflowHandle, firstRunId: string) {
  const runs: { renewed: number; timedOut: number; continued: boolean }[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history: HistoryLike = await peer.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const next: string | undefined =
      events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    runs.push({
      renewed: events.filter((e) => e.activityTaskCompletedEventAttributes).length,
      timedOut: events.filter((e) => e.activityTaskTimedOutEventAttributes).length,
      continued: Boolean(next),
    });
    runId = next;
  }
  return runs;
}

const java = missingJava();

describe('a worker’s liveness on the time-skipping test server', { skip: java }, () => {
  before(async () => {
    const path = await temporalTestServer((line) => console.log(line));
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path } },
    });
    peer = new Client({ connection: env.connection });
    workflowWorker = await startWorker(taskQueue, true);
  });

  after(async () => {
    shutdown.abort();
    for (const worker of running.keys()) worker.shutdown();
    await Promise.allSettled(running.values());
    await env?.teardown();
  });

  test('time skips while nothing holds it: a day at once', async () => {
    const before = await env.currentTimeMs();
    const wallBefore = Date.now();
    await env.sleep(DAY_MS);
    assert.ok((await env.currentTimeMs()) - before >= DAY_MS);
    assert.ok(Date.now() - wallBefore < 5000, 'a day of sleep took its time');
  });

  test('more than a day of hourly holds: renewed, continued as new, never lost; stop ends it', async () => {
    const liveness = await startLiveness('host-a');
    const { runId: firstRunId } = await liveness.describe();
    const serverStart = await env.currentTimeMs();
    const wallStart = Date.now();
    // Time skipping unlocked from here on, with a timer two days ahead to skip to. (Cancelled at
    // the end: the test server keeps the time lock of a hold still running when its workflow
    // completes, so after the stop the sleep would end only with the server.)
    let slept = false;
    const sleep = new AbortController();
    const sleeping = env.connection
      .withAbortSignal(sleep.signal, () => env.sleep(2 * DAY_MS))
      .then(() => (slept = true))
      .catch(() => undefined);
    const verdicts = new Set<string>();
    const runs = await waitFor(
      async () => {
        // What a peer's watcher sees, every poll: a healthy worker is never declared lost.
        const seen = await peerLiveness(liveness);
        verdicts.add(seen?.end ?? (seen?.running ? 'holding' : 'none'));
        const all = await runsOf(liveness, firstRunId);
        return seen?.end !== undefined || held(all) >= HOLDS ? all : undefined;
      },
      { timeoutMs: HOLDS * RENEW_MS + 30_000, intervalMs: 200, message: 'too few holds renewed' },
    );
    const serverElapsed = (await env.currentTimeMs()) - serverStart;
    const wallElapsed = Date.now() - wallStart;
    console.log(
      `${held(runs)} holds in ${runs.length} runs; server clock +${serverElapsed} ms, wall +${wallElapsed} ms`,
    );
    assert.deepEqual([...verdicts], ['holding'], 'its peers saw it other than holding');
    assert.ok(held(runs) >= HOLDS);
    assert.equal(runs[0]?.renewed, PRESENCE_HOLDS_PER_RUN, 'the first run held other than 24 times');
    assert.ok(runs[0]?.continued, 'no continue-as-new');
    assert.equal(
      runs.reduce((n, r) => n + r.timedOut, 0),
      0,
      'a hold timed out',
    );
    // The server never found a moment to skip: its clock kept to the wall's.
    assert.equal(slept, false);
    assert.ok(serverElapsed < wallElapsed + 1000, `the server's clock jumped: +${serverElapsed} ms`);

    sleep.abort();
    await sleeping;
    await liveness.signal(presenceStopSignal);
    assert.equal(await liveness.result(), 'stopped');
    assert.equal((await peerLiveness(liveness))?.end, 'stopped');
  });

  test('a stop that arrives with the last hold of a run ends it: stopped, not a next run', async () => {
    // One hold per run: every hold is its run's last. The workflow worker is away while the hold
    // ends and the stop arrives, so both reach the workflow in one task.
    const liveness = await startLiveness('host-b', 1);
    const { runId } = await liveness.describe();
    const pending = async () => ((await liveness.describe()).raw.pendingActivities ?? []).length;
    await waitFor(async () => (await pending()) > 0, { message: 'no hold started' });
    await stopWorker(workflowWorker);
    await waitFor(async () => (await pending()) === 0, { message: 'the hold did not end' });
    await liveness.signal(presenceStopSignal);
    workflowWorker = await startWorker(taskQueue, true);
    const ended = await waitFor(
      async () => {
        const d = await liveness.describe();
        return d.status.name !== 'RUNNING' || d.runId !== runId ? d : undefined;
      },
      { message: 'the liveness did not end' },
    );
    assert.equal(
      ended.runId,
      runId,
      'it continued as new after the stop: a run the stopped worker never holds',
    );
    assert.equal(await liveness.result(), 'stopped');
  });
});
