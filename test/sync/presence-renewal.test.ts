/**
 * A worker's liveness (src/workflows/presence.ts, src/engine/presence.ts) lasts as long as the
 * worker: its holds are renewed and its workflow continues as new, and a peer watching it never
 * declares it lost meanwhile; a liveness ended while the worker lives is held again. Two workers
 * in this process, as two hosts, with holds of one second instead of an hour.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createPresenceActivities } from '../../src/activities/presence.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { createLogger } from '../../src/engine/logger.js';
import { WorkerPresence } from '../../src/engine/presence.js';
import { holdTimeoutMs, PRESENCE_RENEW_MS } from '../../src/workflows/presence.js';
import { testStack } from '../support/stack-env.js';
import { LogCapture, workflowBundle } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const taskQueue = `presence-${randomBytes(3).toString('hex')}`;
const RENEW_MS = 1000;
const HOLDS_PER_RUN = 3;
const DEAD_AFTER_MS = 2000;

interface Host {
  identity: string;
  shutdown: AbortController;
  connection: NativeConnection;
  workers: Worker[];
  running: Promise<void>[];
  presence: WorkerPresence;
  logs: LogCapture;
}

let client: Client;
const hosts: Host[] = [];
const liveness = (h: Host) => client.workflow.getHandle(`sync-worker:${h.identity}`);

async function startHost(identity: string): Promise<Host> {
  const shutdown = new AbortController();
  const logs = new LogCapture();
  const logger = createLogger('info', logs);
  const activities = createPresenceActivities({ shutdown: shutdown.signal, logger } as ActivityDeps);
  const presenceQueue = `${taskQueue}@${identity}`;
  // A connection of its own, as a worker process has.
  const connection = await NativeConnection.connect({ address: stack.temporal.address });
  const workers = [
    // Polls the shared task queue as a sync worker does (its peers count it as another worker).
    await Worker.create({
      connection,
      taskQueue,
      identity,
      workflowBundle: await workflowBundle(),
      activities,
    }),
    await Worker.create({ connection, taskQueue: presenceQueue, identity, activities }),
  ];
  const running = workers.map((w) => w.run());
  const presence = new WorkerPresence({
    client,
    namespace: 'default',
    taskQueue,
    identity,
    presenceQueue,
    deadAfterMs: DEAD_AFTER_MS,
    renewMs: RENEW_MS,
    holdsPerRun: HOLDS_PER_RUN,
    logger,
  });
  presence.start();
  const host = { identity, shutdown, connection, workers, running, presence, logs };
  hosts.push(host);
  return host;
}

async function stopHost(h: Host): Promise<void> {
  await h.presence.stop();
  h.shutdown.abort();
  for (const w of h.workers) if (w.getState() === 'RUNNING') w.shutdown();
  await Promise.all(h.running);
  await h.connection.close();
}

/** Every event of every run of a liveness workflow, oldest run first. */
async function runsOf(h: Host): Promise<{ runs: number; timedOut: number; renewed: number }> {
  let runs = 0;
  let timedOut = 0;
  let renewed = 0;
  for await (const w of client.workflow.list({ query: `WorkflowId = 'sync-worker:${h.identity}'` })) {
    runs++;
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    for (const e of history.events ?? []) {
      if (e.activityTaskTimedOutEventAttributes) timedOut++;
      if (e.activityTaskCompletedEventAttributes) renewed++;
    }
  }
  return { runs, timedOut, renewed };
}

before(async () => {
  client = new Client({ connection: await Connection.connect({ address: stack.temporal.address }) });
});

after(async () => {
  for (const h of hosts) await stopHost(h).catch(() => undefined);
  for (const h of hosts)
    await liveness(h)
      .terminate('test finished')
      .catch(() => undefined);
  await client.connection.close();
});

describe('a worker’s liveness lasts as long as the worker', () => {
  test('no hold lasts a lifetime: an hour, plus a margin only a hung worker exceeds', () => {
    assert.equal(PRESENCE_RENEW_MS, 3_600_000);
    assert.equal(holdTimeoutMs(PRESENCE_RENEW_MS, 4000), 3_660_000);
  });

  test('holds are renewed and runs continue as new; the peer never declares it lost', async () => {
    const a = await startHost(`host-a/101/${randomBytes(3).toString('hex')}`);
    const b = await startHost(`host-b/202/${randomBytes(3).toString('hex')}`);
    // Each sees the other poll the task queue and keeps a liveness workflow.
    for (const h of [a, b])
      await waitFor(async () => (await liveness(h).describe()).status.name === 'RUNNING', {
        timeoutMs: 20_000,
        message: () => `${h.identity} keeps no liveness workflow: ${h.logs.lines.join('\n')}`,
      });
    // Three runs of three holds each, at least.
    await waitFor(async () => (await runsOf(a)).runs >= 3, {
      timeoutMs: 30_000,
      message: async () => JSON.stringify(await runsOf(a)),
    });
    for (const h of [a, b]) {
      const { runs, timedOut, renewed } = await runsOf(h);
      assert.equal(timedOut, 0, `${h.identity}: a hold timed out`);
      assert.ok(renewed >= HOLDS_PER_RUN, `${h.identity}: ${renewed} holds renewed in ${runs} runs`);
      assert.equal((await liveness(h).describe()).status.name, 'RUNNING');
      assert.doesNotMatch(h.logs.lines.join('\n'), /without a goodbye|no longer runs/);
    }
  });

  test('a liveness ended while its worker lives (declared lost) is held again', async () => {
    const [a] = hosts as [Host];
    const before = (await liveness(a).describe()).runId;
    await liveness(a).terminate('a peer lost sight of it');
    const again = await waitFor(
      async () => {
        const d = await liveness(a).describe();
        return d.status.name === 'RUNNING' && d.runId !== before ? d.runId : undefined;
      },
      { timeoutMs: 20_000, message: 'the worker did not hold its liveness again' },
    );
    assert.notEqual(again, before);
  });

  test('a worker that stops ends its liveness: stopped', async () => {
    const [a] = hosts as [Host];
    await stopHost(a);
    assert.equal(await liveness(a).result(), 'stopped');
  });
});
