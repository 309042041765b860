/**
 * Scale out and fail over: two `npm run sync` workers share a task queue. When the one running the
 * Realtime feeds is killed (SIGKILL, no goodbye), the other takes them over and the target is
 * current again within seconds of the kill (2–4 s here; 15 s allowed under load); a worker stopped with SIGTERM hands over without losing a
 * change. A worker alone, SIGKILLed and started again, takes its old feeds over at once instead of
 * at their heartbeat timeout (5 minutes).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { statusQuery } from '../../src/workflows/messages.js';
import type { TableStatus } from '../../src/contracts/table-sync.js';
import { inSync } from '../support/compare.js';
import { spawnSyncProcess, type SyncProcess } from '../support/sync-process.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { envFileText, testStack, testTmpDir } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const taskQueue = `failover-${randomBytes(3).toString('hex')}`;
const names = Array.from({ length: 3 }, () => uniqueName('fo'));
let dir: string;
let client: Client;
const workers: SyncProcess[] = [];

function startWorker(): SyncProcess {
  const w = spawnSyncProcess(dir);
  workers.push(w);
  return w;
}

async function statuses(): Promise<TableStatus[]> {
  return Promise.all(
    names.map((n) => client.workflow.getHandle(`table-sync:public.${n}`).query(statusQuery)),
  );
}

/** The worker identity each table's live feed reported (all live). */
async function feedWorkers(): Promise<string[]> {
  return waitFor(
    async () => {
      const s = await statuses();
      return s.every((x) => x.realtime.connected && x.realtime.worker)
        ? s.map((x) => x.realtime.worker!)
        : undefined;
    },
    { timeoutMs: 60_000, message: async () => JSON.stringify((await statuses()).map((s) => s.realtime)) },
  );
}

let next = 100_000;
async function writeEach(): Promise<void> {
  const id = next++;
  for (const n of names)
    await db(stack.source.databaseUrl).query(`INSERT INTO public.${n} (id, note) VALUES ($1, 'w')`, [id]);
}

async function allInSync(): Promise<boolean> {
  for (const n of names) if (!(await inSync(n))) return false;
  return true;
}

before(async () => {
  dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-failover-'));
  // Passes every 10 minutes: what arrives within seconds after the kill comes through a feed.
  await writeFile(
    path.join(dir, 'sync.env'),
    envFileText(taskQueue, ['SYNC_RECONCILE_INTERVAL_MS=600000', 'SYNC_RECONCILE_INTERVAL_LIVE_MS=600000']),
  );
  await writeFile(path.join(dir, 'tables.json'), JSON.stringify({ tables: names.map((n) => ({ name: n })) }));
  for (const n of names) await createNotesTable(n, 20);
  client = new Client({ connection: await Connection.connect({ address: stack.temporal.address }) });
});

after(async () => {
  for (const w of workers)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  for (const n of names) {
    await client.workflow
      .getHandle(`table-sync:public.${n}`)
      .terminate('test finished')
      .catch(() => undefined);
  }
  for await (const w of client.workflow.list({
    query: `WorkflowType = 'syncWorkerPresence' AND ExecutionStatus = 'Running'`,
  })) {
    if (w.taskQueue === taskQueue)
      await client.workflow
        .getHandle(w.workflowId)
        .terminate('test finished')
        .catch(() => undefined);
  }
  await client.connection.close();
  await closeDatabases();
  await rm(dir, { recursive: true, force: true });
});

describe('two workers on one task queue', () => {
  test('SIGKILL of the worker running the feeds: the survivor takes them over, the target is current within seconds', async () => {
    const first = startWorker();
    const running = await feedWorkers();
    const second = startWorker();
    // The second worker polls too, and both keep a liveness workflow.
    await waitFor(
      async () => {
        let n = 0;
        for await (const w of client.workflow.list({
          query: `WorkflowType = 'syncWorkerPresence' AND ExecutionStatus = 'Running'`,
        })) {
          if (w.taskQueue === taskQueue) n++;
        }
        return n >= 2;
      },
      { timeoutMs: 60_000, message: () => `no liveness workflows:\n${second.output().slice(-2000)}` },
    );
    assert.ok(
      running.every((w) => w === running[0]),
      'the first worker runs every feed',
    );
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    // Changes go on during the fail-over; the last one 2 s after the kill.
    while (Date.now() - killedAt < 2000) {
      await writeEach();
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(allInSync, { timeoutMs: 30_000, intervalMs: 100 });
    const current = Date.now() - killedAt;
    console.log(`failover: the target was current ${current} ms after the kill`);
    const after = await feedWorkers();
    assert.ok(
      after.every((w) => w !== running[0]),
      'the feeds run in the survivor',
    );
    // Measured 2–4 s on a quiet machine; 10.6 s was seen with the suite and a benchmark sharing 2
    // cores (load average 14), so the bound allows 15 s, still far below the feeds' heartbeat timeout (5 min).
    assert.ok(current <= 15_000, `the target was current ${current} ms after the kill`);
    // Both workers run on this host: the survivor may see the dead process by its pid first.
    assert.match(
      second.output(),
      /(stopped without a goodbye|no longer runs on this host): its \d+ realtime feed\(s\) start again in a live worker/,
    );
  });

  test('SIGTERM: the worker hands its feeds over and no change is lost', async () => {
    const third = startWorker();
    // The third worker polls (its start-up bundles the workflow code first).
    await waitFor(() => /syncing \d+ table\(s\) on task queue/.test(third.output()), {
      timeoutMs: 60_000,
      message: () => third.output().slice(-2000),
    });
    const before = await feedWorkers();
    const stopping = workers.find(
      (w) => w.child.exitCode === null && w.child.signalCode === null && w !== third,
    )!;
    stopping.child.kill('SIGTERM');
    const stoppedAt = Date.now();
    while (Date.now() - stoppedAt < 3000) {
      await writeEach();
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(allInSync, { timeoutMs: 30_000, intervalMs: 100 });
    const after = await feedWorkers();
    assert.ok(
      after.every((w) => !before.includes(w) || w !== before[0]),
      'the feeds moved to the live worker',
    );
    assert.ok(Date.now() - stoppedAt < 15_000, `current ${Date.now() - stoppedAt} ms after the stop`);
    await waitFor(() => stopping.child.exitCode !== null, { timeoutMs: 30_000 });
    assert.equal(stopping.child.exitCode, 0, stopping.output().slice(-2000));
  });
});

describe('one worker, SIGKILLed and started again', () => {
  test('the new worker takes the dead feeds over at once: the target is current within seconds of its start', async () => {
    const alone = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    assert.equal(alone.length, 1, 'one worker runs after the SIGTERM test');
    const dead = await feedWorkers();
    alone[0]!.child.kill('SIGKILL');
    await waitFor(() => alone[0]!.child.signalCode !== null, { timeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) await writeEach();
    const restarted = startWorker();
    const startedAt = await waitFor(
      () => (/syncing \d+ table\(s\) on task queue/.test(restarted.output()) ? Date.now() : undefined),
      { timeoutMs: 60_000, message: () => restarted.output().slice(-2000) },
    );
    // Changes go on after the start; the last one 2 s after it.
    while (Date.now() - startedAt < 2000) {
      await writeEach();
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(allInSync, {
      timeoutMs: 40_000,
      intervalMs: 100,
      message: () => restarted.output().slice(-3000),
    });
    const current = Date.now() - startedAt;
    console.log(`restart: the target was current ${current} ms after the new worker started`);
    const after = await feedWorkers();
    assert.ok(
      after.every((w) => !dead.includes(w)),
      'the feeds run in the new worker',
    );
    assert.match(restarted.output(), /no longer runs on this host: its \d+ realtime feed\(s\) start again/);
    // 2–3 s here alone; beside five busy files 6–13 s, nearly all of it the new feeds' Realtime
    // subscriptions going live (the takeover itself is signalled within a second of the start). So
    // the bound is 15 s, as for the kill above: far below the feeds' heartbeat timeout (5 min),
    // which is what the takeover saves.
    assert.ok(
      current <= 15_000,
      `the target was current ${current} ms after the new worker started (at ${new Date(startedAt).toISOString()}):\n${restarted.output().slice(-6000)}`,
    );
  });
});
