/**
 * Prometheus metrics: a worker with SYNC_METRICS_ADDRESS on a free port serves the SDK's own
 * `temporal_*` series and ours — rows applied by path and table, realtime lag, activity durations
 * and errors — all labelled with the table. (Runtime.install happens once per process: this file
 * has the process to itself.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../devstack/ports.js';
import { METRICS } from '../../src/temporal/metrics.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import { reconcileNowUpdate } from '../../src/workflows/messages.js';
import { closeDatabases, db, tableSnapshot, uniqueName } from '../support/db.js';
import { metricValue, parsePrometheus, scrape, type Sample } from '../support/prometheus.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const rtName = uniqueName('m_rt');
const rcName = uniqueName('m_rc');
const missingName = uniqueName('m_missing');
const rt = table(rtName);
const rc = table(rcName, { realtime: false });
const missing = table(missingName, { realtime: false });
const ddl = (name: string) => `CREATE TABLE public.${name} (
  id bigint PRIMARY KEY,
  status text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;
let sync: RunningSync;
let address: string;

async function samples(): Promise<Sample[]> {
  return parsePrometheus(await scrape(address));
}

/** Waits until the metric reaches `atLeast`; returns its value. */
async function metricAtLeast(name: string, labels: Record<string, string>, atLeast: number): Promise<number> {
  let last: number | undefined;
  return waitFor(
    async () => {
      last = metricValue(await samples(), name, labels);
      return last !== undefined && last >= atLeast ? last : undefined;
    },
    { timeoutMs: 15_000, message: () => `${name}${JSON.stringify(labels)} = ${last} (want >= ${atLeast})` },
  );
}

before(async () => {
  const source = db(stack.source.databaseUrl);
  const target = db(stack.target.databaseUrl);
  for (const name of [rtName, rcName, missingName]) await source.query(ddl(name));
  for (const name of [rtName, rcName]) await target.query(ddl(name));
  await source.query(
    `INSERT INTO public.${rtName} (id, status) SELECT g, 'new' FROM generate_series(1, 300) g`,
  );
  await source.query(
    `INSERT INTO public.${rcName} (id, status) SELECT g, 'new' FROM generate_series(1, 200) g`,
  );
  address = `127.0.0.1:${await freePort()}`;
  // A long interval: realtime changes are applied by realtime (no pass races it); passes on demand.
  // Metrics see each realtime batch at once; the workflow's counters (compared with them) come by
  // progress signal, every 250 ms here (30 s by default).
  sync = await startSync(
    testConfig([rt, rc, missing], { metrics: { address }, reconcile: { intervalMs: 60_000 } }),
    { settings: { realtimeProgressMs: 250 } },
  );
  await waitUntilSyncing(sync, rt);
  await waitUntilSyncing(sync, rc, { realtime: false });
  // The catch-up pass that follows the subscription has run: it cannot race the realtime test.
  await waitFor(async () => (await sync.status(rt)).lastPass?.kind === 'catch-up', {
    timeoutMs: 15_000,
    message: async () => `no catch-up pass: ${JSON.stringify((await sync.status(rt)).lastPass)}`,
  });
});

after(async () => {
  await sync?.close();
  await closeDatabases();
});

describe('Prometheus metrics', () => {
  test('the SDK’s own temporal_* series are served from the same endpoint', async () => {
    const all = await samples();
    const sdk = all.filter((s) => s.name.startsWith('temporal_'));
    assert.ok(sdk.length > 0, 'no temporal_ series');
    assert.ok(
      sdk.some((s) => s.labels.task_queue === sync.config.temporal.taskQueue),
      'no SDK series for this worker’s task queue',
    );
  });

  test('the first copy counts as reconcile rows, per table', async () => {
    // Rows already held at the same version are not written again: later passes add ~nothing.
    const rtRows = await metricAtLeast(
      METRICS.rowsApplied,
      { table: `public.${rtName}`, path: 'reconcile' },
      300,
    );
    const rcRows = await metricAtLeast(
      METRICS.rowsApplied,
      { table: `public.${rcName}`, path: 'reconcile' },
      200,
    );
    assert.ok(rtRows < 330, `implausible reconcile count ${rtRows}`);
    assert.ok(rcRows < 220, `implausible reconcile count ${rcRows}`);
  });

  test('realtime changes count as realtime rows; lag and connected are reported', async () => {
    const source = db(stack.source.databaseUrl);
    await source.query(
      `INSERT INTO public.${rtName} (id, status) SELECT g, 'rt' FROM generate_series(1001, 1040) g`,
    );
    await source.query(`UPDATE public.${rtName} SET status = 'paid', updated_at = now() WHERE id <= 10`);
    await source.query(`DELETE FROM public.${rtName} WHERE id BETWEEN 11 AND 15`);
    await waitFor(
      async () =>
        JSON.stringify(await tableSnapshot(stack.source.databaseUrl, `public.${rtName}`, ['id'])) ===
        JSON.stringify(await tableSnapshot(stack.target.databaseUrl, `public.${rtName}`, ['id'])),
      { timeoutMs: 5000, message: 'target did not converge' },
    );
    // 40 inserts + 10 updates through realtime; the 5 deletes by realtime, or by the ledger replay
    // when a pass gets there first. The metrics agree with the workflow's own counters.
    const table = `public.${rtName}`;
    let touchedAt = Date.now();
    await waitFor(
      async () => {
        const [c, all] = await Promise.all([sync.status(rt).then((s) => s.counters), samples()]);
        // On a busy machine the gap check may have read every change before Realtime delivered
        // one: another change every few seconds gives Realtime one to deliver.
        if (metricValue(all, METRICS.lag, { table }) === undefined && Date.now() - touchedAt > 3000) {
          touchedAt = Date.now();
          await source.query(`UPDATE public.${rtName} SET updated_at = now() WHERE id = 1001`);
        }
        const realtime = metricValue(all, METRICS.rowsApplied, { table, path: 'realtime' }) ?? 0;
        const deletes = metricValue(all, METRICS.rowsApplied, { table, path: 'deletes' }) ?? 0;
        const reconcile = metricValue(all, METRICS.rowsApplied, { table, path: 'reconcile' }) ?? 0;
        // The lag is the commit-to-apply delay of a batch Realtime delivered: rows the gap check
        // read first (a busy machine delays Realtime) carry no commit time, so wait for a delivery.
        const lag = metricValue(all, METRICS.lag, { table });
        return (
          lag !== undefined &&
          realtime >= 50 &&
          realtime + deletes >= 55 &&
          realtime === c.realtimeWritten + c.realtimeDeleted &&
          deletes === c.ledgerDeleted &&
          reconcile === c.reconcileWritten
        );
      },
      {
        timeoutMs: 30_000,
        message: async () =>
          `counters ${JSON.stringify((await sync.status(rt)).counters)}; metrics ${(await scrape(address))
            .split('\n')
            .filter(
              (l) => (l.startsWith(METRICS.rowsApplied) || l.startsWith(METRICS.lag)) && l.includes(table),
            )
            .join(' | ')}`,
      },
    );
    const all = await samples();
    const lag = metricValue(all, METRICS.lag, { table: `public.${rtName}` });
    assert.ok(lag !== undefined && lag >= 0 && lag < 30, `lag ${lag}`);
    assert.equal(metricValue(all, METRICS.realtimeConnected, { table: `public.${rtName}` }), 1);
    assert.equal(
      metricValue(all, METRICS.rowsApplied, { table: `public.${rcName}`, path: 'realtime' }),
      undefined,
    );
  });

  test('deletes replayed from the ledger count as deletes rows', async () => {
    await db(stack.source.databaseUrl).query(`DELETE FROM public.${rcName} WHERE id IN (1, 2, 3)`);
    const result = await sync.client.workflow
      .getHandle(workflowIdFor(rc))
      .executeUpdate(reconcileNowUpdate, { args: [{}] });
    assert.equal(result.ok, true, result.error);
    const deleted = await metricAtLeast(
      METRICS.rowsApplied,
      { table: `public.${rcName}`, path: 'deletes' },
      3,
    );
    assert.equal(deleted, 3);
  });

  test('activity durations: a histogram by table, activity and outcome', async () => {
    const all = await samples();
    const labels = { table: `public.${rtName}`, activity: 'reconcileChunk', outcome: 'ok' };
    const count = metricValue(all, `${METRICS.activityDuration}_count`, labels);
    const sum = metricValue(all, `${METRICS.activityDuration}_sum`, labels);
    assert.ok(count !== undefined && count >= 1, `count ${count}`);
    assert.ok(sum !== undefined && sum > 0 && sum < 120, `sum ${sum} s`);
    const inf = metricValue(all, `${METRICS.activityDuration}_bucket`, { ...labels, le: '+Inf' });
    assert.equal(inf, count);
    assert.ok(metricValue(all, `${METRICS.activityDuration}_bucket`, { ...labels, le: '1' }) !== undefined);
    assert.ok(
      (metricValue(all, `${METRICS.activityDuration}_count`, {
        table: `public.${rcName}`,
        activity: 'replayDeletions',
      }) ?? 0) >= 1,
    );
  });

  test('a table missing on the target counts errors by table and activity', async () => {
    await waitFor(async () => (await sync.status(missing)).lastError, {
      timeoutMs: 15_000,
      message: 'the missing table recorded no error',
    });
    const errors = await metricAtLeast(METRICS.activityErrors, { table: `public.${missingName}` }, 1);
    assert.ok(errors >= 1);
    const all = await samples();
    const failing = all.filter(
      (s) => s.name === METRICS.activityErrors && s.labels.table === `public.${missingName}`,
    );
    assert.ok(failing.every((s) => typeof s.labels.activity === 'string' && s.labels.activity.length > 0));
    // The healthy tables' same activities counted nothing: the errors carry the failing table's
    // label. (A feed of the realtime table may restart on a busy machine, a subscription that timed
    // out: an error of another activity, counted as it should be, and not this test's concern.)
    for (const activity of new Set(failing.map((s) => s.labels.activity ?? ''))) {
      for (const healthy of [rtName, rcName]) {
        const count = metricValue(all, METRICS.activityErrors, { table: `public.${healthy}`, activity });
        const lines = sync.logs.lines.filter((l) => l.includes(healthy) && /error|fail/i.test(l));
        assert.equal(count, undefined, `${activity} failed for ${healthy}:\n${lines.slice(-5).join('\n')}`);
      }
    }
  });
});
