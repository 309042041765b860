/**
 * What a table costs in Temporal actions: while its Realtime feed is live, reconciliation runs at
 * the live interval and an idle table sends no signal; a burst of changes reaches the target at
 * once but its counts go to the workflow in one signal per progress interval (the default, 30 s);
 * a lost feed says so at once, and a feed that is no longer live brings the base interval back
 * at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { ensureTableWorkflows } from '../../src/engine/tables.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import type { RealtimeProgress } from '../../src/contracts/table-sync.js';
import { waitInSync } from '../support/compare.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const t = table(uniqueName('cadence'));
let sync: RunningSync;

interface Counted {
  timers: number;
  activities: number;
  progress: RealtimeProgress[];
  subscribed: number;
}

/** Timers, activities and signals in the table's history after `since` (ms). */
async function history(since: number): Promise<Counted> {
  const h = await sync.client.workflow.getHandle(workflowIdFor(t)).fetchHistory();
  const counted: Counted = { timers: 0, activities: 0, progress: [], subscribed: 0 };
  for (const e of h.events ?? []) {
    const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    if (at < since) continue;
    if (e.timerStartedEventAttributes) counted.timers++;
    if (e.activityTaskScheduledEventAttributes) counted.activities++;
    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === 'realtimeSubscribed') counted.subscribed++;
    if (signal?.signalName === 'realtimeProgress') {
      counted.progress.push(defaultPayloadConverter.fromPayload(signal.input!.payloads![0]!));
    }
  }
  return counted;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  await createNotesTable(t.table, 20);
  // A 1 s interval, 60 s while the feed is live; the default progress interval (60 s).
  sync = await startSync(testConfig([t], { reconcile: { intervalMs: 1000, liveIntervalMs: 60_000 } }));
  await waitUntilSyncing(sync, t);
  // The catch-up pass every subscribe asks for has run.
  await waitFor(async () => {
    const s = await sync.status(t);
    return s.realtime.connected && s.lastPass?.kind === 'catch-up';
  });
});

after(async () => {
  await sync?.close();
  await closeDatabases();
});

describe('Temporal cost of a table', () => {
  test('while the feed is live, an idle table runs no pass at the base interval and sends no signal', async () => {
    const from = Date.now();
    const passes = (await sync.status(t)).passes;
    // An observation window: at the base interval (1 s) this would hold about 4 passes.
    await sleep(4000);
    const s = await sync.status(t);
    assert.equal(s.passes, passes, `passes ran while the feed was live: ${JSON.stringify(s.lastPass)}`);
    const h = await history(from);
    assert.deepEqual(
      { timers: h.timers, activities: h.activities, progress: h.progress.length },
      { timers: 0, activities: 0, progress: 0 },
    );
  });

  test('a burst reaches the target at once; its counts go in one signal per progress interval', async () => {
    const from = Date.now();
    const source = db(stack.source.databaseUrl);
    const insert = (id: number) =>
      source.query(`INSERT INTO public.${t.table} (id, note) VALUES ($1, 'burst')`, [id]);
    // The first change after a quiet spell is reported at once.
    await insert(101);
    await waitFor(async () => (await sync.status(t)).counters.realtimeWritten >= 1, {
      timeoutMs: 5000,
      message: 'the first change was not reported',
    });
    // The rest of the burst, once that report is in (a slow delivery cannot fold it into the first
    // batch): separate transactions, apart, so separate batches on the feed.
    for (let i = 1; i < 5; i++) {
      await insert(101 + i);
      await sleep(200);
    }
    await waitInSync(t.table, { timeoutMs: 5000 });
    // The feed decides each second whether to report: give it two chances.
    await sleep(2000);
    const h = await history(from);
    assert.equal(h.progress.length, 1, JSON.stringify(h.progress));
    assert.ok((await sync.status(t)).counters.realtimeWritten < 5, 'the rest waits for the interval');
  });

  test('a lost feed reports its counts and the disconnect at once', async () => {
    const from = Date.now();
    const response = await fetch(`${stack.source.url}/_devstack/realtime/drop`, {
      method: 'POST',
      headers: { apikey: stack.source.serviceRoleKey },
    });
    assert.equal(response.status, 200);
    const h = await waitFor(
      async () => {
        const got = await history(from);
        return got.progress.some((p) => !p.connected) ? got : undefined;
      },
      { timeoutMs: 5000, message: 'no disconnect was reported' },
    );
    assert.ok(
      (h.progress.find((p) => !p.connected)?.written ?? 0) >= 1,
      'the counts held back arrive with it',
    );
    assert.equal((await sync.status(t)).counters.realtimeWritten, 5);
    // Temporal retries the feed; the new subscription asks for a catch-up pass.
    await waitUntilSyncing(sync, t, { timeoutMs: 10_000 });
  });

  test('a feed no longer live brings the base interval back at once', async () => {
    await waitUntilSyncing(sync, t);
    const passes = (await sync.status(t)).passes;
    // Realtime off for this table (npm run sync with new settings): the feed stops.
    await ensureTableWorkflows(sync.client, sync.config, { ...sync.settings, realtime: false });
    // Three passes at the 1 s base interval, far from the 60 s live one; the deadline allows for
    // passes of several seconds each on a loaded machine (a 4.7 s catch-up pass was seen).
    await waitFor(async () => (await sync.status(t)).passes >= passes + 3, {
      timeoutMs: 20_000,
      message: async () => `the base interval did not return: ${JSON.stringify(await sync.status(t))}`,
    });
  });
});
