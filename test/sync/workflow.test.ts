/**
 * The table workflow's lifecycle against the real stack: a dropped realtime socket's gap is healed
 * by a catch-up pass, pause/resume, continue-as-new carrying the checkpoint, a broken table failing
 * alone, and a replay of recorded histories guarding determinism. Pause, realtime off and
 * continue-as-new stop the feed within moments (the workflow's feedControl sink); without it the
 * feed would learn of its cancellation only from a heartbeat response, up to ~4 min later.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ensureTableWorkflows } from '../../src/engine/tables.js';
import { connectSource } from '../../src/supabase/source.js';
import { FeedControlRegistry, feedControlSinks } from '../../src/temporal/feed-control.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import { pauseUpdate, resumeUpdate, stopUpdate } from '../../src/workflows/messages.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import {
  startSync,
  table,
  testConfig,
  waitUntilSyncing,
  workflowBundle,
  type RunningSync,
} from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { inSync } from '../support/compare.js';
import { countSubscriptions, type CountingSource } from './subscriptions.js';

const stack = testStack();
const fixture = fileURLToPath(new URL('../fixtures/table-sync-history.json', import.meta.url));
const createBoth = (t: string, rows = 50) => createNotesTable(t, rows);

async function onTarget(t: string, id: number): Promise<boolean> {
  const { rows } = await db(stack.target.databaseUrl).query(`SELECT 1 FROM public.${t} WHERE id = $1`, [id]);
  return rows.length === 1;
}

const healing = table(uniqueName('heal'));
const pausing = table(uniqueName('pause'));
const renewing = table(uniqueName('renew'));
const healthy = table(uniqueName('healthy'));
const broken = table(uniqueName('broken'));
let sync: RunningSync;
let renewSync: RunningSync;
let subscriptions: CountingSource;
let renewSubscriptions: CountingSource;
/** Pause and the other stops return once the feed has ended: at once, not after a heartbeat (~4 min). */
const PROMPT_MS = 5000;

before(async () => {
  for (const t of [healing, pausing, renewing, healthy]) await createBoth(t.table);
  // `broken` exists on the source only.
  await db(stack.source.databaseUrl).query(
    `CREATE TABLE public.${broken.table} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  // A long interval: what arrives quickly came through realtime or a catch-up pass.
  const config = testConfig([healing, pausing, healthy, broken], { reconcile: { intervalMs: 60_000 } });
  subscriptions = countSubscriptions(connectSource(config.source));
  sync = await startSync(config, { source: subscriptions.source });
  const renewConfig = testConfig([renewing], { reconcile: { intervalMs: 200 } });
  renewSubscriptions = countSubscriptions(connectSource(renewConfig.source));
  renewSync = await startSync(renewConfig, {
    settings: { maxPassesPerRun: 3 },
    source: renewSubscriptions.source,
  });
});

after(async () => {
  await sync?.close();
  await renewSync?.close();
  await closeDatabases();
});

describe('table workflow', () => {
  test('a dropped realtime socket fails the feed, Temporal retries it, and a catch-up pass heals the gap', async () => {
    await waitUntilSyncing(sync, healing);
    const before = await sync.status(healing);
    const response = await fetch(`${stack.source.url}/_devstack/realtime/drop`, {
      method: 'POST',
      headers: { apikey: stack.source.serviceRoleKey },
    });
    assert.equal(response.status, 200);
    // Committed while the socket is down: Realtime will never deliver these.
    await db(stack.source.databaseUrl).query(
      `INSERT INTO public.${healing.table} (id, note) VALUES (1001, 'in the gap')`,
    );
    await db(stack.source.databaseUrl).query(`DELETE FROM public.${healing.table} WHERE id = 3`);
    await waitFor(async () => (await onTarget(healing.table, 1001)) && !(await onTarget(healing.table, 3)), {
      timeoutMs: 15_000,
      message: async () => `gap not healed: ${JSON.stringify(await sync.status(healing))}`,
    });
    const after = await waitFor(async () => {
      const s = await sync.status(healing);
      // Resubscribed, and the catch-up pass it asked for has been recorded.
      return s.realtime.subscriptions > before.realtime.subscriptions &&
        s.realtime.connected &&
        s.passes > before.passes
        ? s
        : undefined;
    });
    assert.equal(after.lastPass?.ok, true);
    assert.ok(await inSync(healing.table));
  });

  test('pause stops syncing until resume; both are acknowledged', async () => {
    await waitUntilSyncing(sync, pausing);
    assert.equal(subscriptions.open(pausing.qualifiedName), 1);
    const handle = sync.client.workflow.getHandle(workflowIdFor(pausing));
    const pausedAt = Date.now();
    const paused = await handle.executeUpdate(pauseUpdate, { args: ['test'] });
    // The update returns once the feed has ended (it waits for the activity's cancellation).
    const pauseMs = Date.now() - pausedAt;
    assert.ok(pauseMs < PROMPT_MS, `pause took ${pauseMs} ms`);
    assert.equal(paused.state, 'paused');
    assert.equal(paused.realtime.connected, false);
    assert.equal(subscriptions.open(pausing.qualifiedName), 0, 'the subscription is closed');
    await db(stack.source.databaseUrl).query(
      `INSERT INTO public.${pausing.table} (id, note) VALUES (2001, 'while paused')`,
    );
    // A positive control on another table proves changes are flowing meanwhile.
    await db(stack.source.databaseUrl).query(
      `INSERT INTO public.${healthy.table} (id, note) VALUES (2001, 'control')`,
    );
    await waitFor(() => onTarget(healthy.table, 2001), {
      timeoutMs: 5000,
      message: 'control row did not arrive',
    });
    assert.equal(await onTarget(pausing.table, 2001), false, 'a paused table receives nothing');
    const resumed = await handle.executeUpdate(resumeUpdate);
    assert.notEqual(resumed.state, 'paused');
    await waitFor(() => onTarget(pausing.table, 2001), {
      timeoutMs: 10_000,
      message: 'row written while paused did not arrive after resume',
    });
    await waitUntilSyncing(sync, pausing);
    assert.equal(subscriptions.open(pausing.qualifiedName), 1, 'one subscription again');
  });

  test('a table missing on the target fails alone, with a message that says how to fix it', async () => {
    await waitUntilSyncing(sync, healthy);
    const status = await waitFor(async () => {
      const s = await sync.status(broken);
      return s.state === 'blocked' && s.lastError ? s : undefined;
    });
    assert.match(
      status.lastError!.message,
      new RegExp(
        `table public\\.${broken.table} is on the source but not on the target; run on the target: CREATE TABLE`,
      ),
    );
    assert.ok(!status.lastError!.message.includes(stack.target.serviceRoleKey));
    assert.equal((await sync.status(healthy)).state, 'running');
  });

  test('npm run sync applies changed settings to a running table; a stopped table resumes from its checkpoint', async () => {
    await waitUntilSyncing(sync, pausing);
    const handle = sync.client.workflow.getHandle(workflowIdFor(pausing));
    const only = { ...sync.config, tables: [pausing] };
    // Kept running, with realtime now off: the configure update returns once the feed has ended.
    const offAt = Date.now();
    const [kept] = await ensureTableWorkflows(sync.client, only, { ...sync.settings, realtime: false });
    assert.ok(Date.now() - offAt < PROMPT_MS, `turning realtime off took ${Date.now() - offAt} ms`);
    assert.equal(subscriptions.open(pausing.qualifiedName), 0, 'the subscription is closed');
    assert.equal(kept!.started, false);
    const reconfigured = await sync.status(pausing);
    assert.equal(reconfigured.realtime.enabled, false);
    assert.equal(reconfigured.realtime.connected, false);

    const stopped = await handle.executeUpdate(stopUpdate);
    assert.equal(stopped.state, 'stopped');
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
    await db(stack.source.databaseUrl).query(
      `INSERT INTO public.${pausing.table} (id, note) VALUES (2002, 'while stopped')`,
    );
    const [resumed] = await ensureTableWorkflows(sync.client, only, sync.settings);
    assert.deepEqual([resumed!.started, resumed!.resumed], [true, true]);
    await waitFor(() => onTarget(pausing.table, 2002), {
      timeoutMs: 10_000,
      message: 'row written while stopped did not arrive',
    });
    const status = await waitUntilSyncing(sync, pausing);
    assert.equal(status.initialCopy.rowsCopied, 50, 'not copied again');
    assert.ok(status.runs >= 2);
  });

  test('continue-as-new carries the checkpoint and restarts the realtime feed', async () => {
    const handle = renewSync.client.workflow.getHandle(workflowIdFor(renewing));
    const firstRun = (await handle.describe()).runId;
    const runsBefore = Math.max(1, (await renewSync.status(renewing)).runs);
    // Each run stops its feed before continuing as new: two renewals within 30 s need prompt stops.
    const status = await waitFor(
      async () => {
        const s = await renewSync.status(renewing);
        return s.runs >= Math.max(3, runsBefore + 1) && s.realtime.connected ? s : undefined;
      },
      {
        timeoutMs: 30_000,
        message: async () => `no continue-as-new: ${JSON.stringify(await renewSync.status(renewing))}`,
      },
    );
    assert.notEqual((await handle.describe()).runId, firstRun);
    assert.equal(status.initialCopy.rowsCopied, 50, 'the copy is not repeated by a new run');
    assert.ok(status.passes >= 6, 'pass counts carry over');
    assert.equal(renewSubscriptions.peak(renewing.qualifiedName), 1, 'two runs never subscribe at once');
    await db(stack.source.databaseUrl).query(
      `INSERT INTO public.${renewing.table} (id, note) VALUES (3001, 'after renewal')`,
    );
    await waitFor(() => onTarget(renewing.table, 3001), {
      timeoutMs: 5000,
      message: 'changes stopped after continue-as-new',
    });
  });

  test('recorded histories replay deterministically', async () => {
    const handle = renewSync.client.workflow.getHandle(workflowIdFor(renewing));
    const { runId } = await handle.describe();
    const history = await renewSync.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const bundle = await workflowBundle();
    // With the worker's sinks, as it runs: the feedControl sink is not called on replay.
    const sinks = feedControlSinks(new FeedControlRegistry());
    await Worker.runReplayHistory({ workflowBundle: bundle, sinks }, history, handle.workflowId);
    if (process.env.RECORD_HISTORY === '1') {
      await mkdir(fileURLToPath(new URL('../fixtures/', import.meta.url)), { recursive: true });
      await writeFile(fixture, historyToJSON(history));
    }
    // A history recorded by an earlier version of the workflow code must still replay.
    assert.ok(existsSync(fixture), 'test/fixtures/table-sync-history.json is committed');
    const recorded = historyFromJSON(JSON.parse(await readFile(fixture, 'utf8')) as unknown);
    await Worker.runReplayHistory({ workflowBundle: bundle, sinks }, recorded, 'recorded');
  });
});
