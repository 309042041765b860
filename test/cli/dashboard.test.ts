/**
 * The dashboard page as an operator opens it, in headless Chromium (Debian's, driven by
 * playwright-core; installed by scripts/ensure-chromium.mjs when missing): against a running
 * sync, the verdict of `failover check`, a table's row and its drawn lag chart; no key, no row
 * value. `supabase-sync dashboard` with no worker, and off loopback (401 without the printed token);
 * `npm run sync` with SYNC_DASHBOARD_ADDRESS serving it. UPDATE_SCREENSHOTS=1 rewrites docs/dashboard.png.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { serveDashboard, type DashboardServer } from '../../src/cli/dashboard-server.js';
import { checkReadiness } from '../../src/cli/failover-check.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { launchChromium } from '../support/chromium.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { CliEnv, root, show, stopSync, untilLogged, type CliRun } from './cli.js';

const stack = testStack();
const name = uniqueName('cli_dash');
/** A table no workflow syncs until the last test's worker starts one. */
const idle = uniqueName('cli_dash_idle');
const t = table(name);
const SECRET_ROW = 'row-value-never-shown';
let sync: RunningSync;
/** Reloads only after the assertions (a reload while they read the page would race them). */
let page: DashboardServer;
/** The same page, reloading every second: the reload itself is checked on it. */
let refreshing: DashboardServer;
let browser: Browser;
const cleanups: Array<() => Promise<unknown>> = [];

const ddl = (n: string) =>
  `CREATE TABLE public.${n} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now());
   GRANT ALL ON public.${n} TO service_role`;

before(async () => {
  // Chromium first: its install (if needed) is the slow part, and its failure the clearest one.
  browser = await launchChromium();
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl])
    for (const n of [name, idle]) await db(url).query(ddl(n));
  // The backup serves the app's subscriptions after a switch (what `schema push` does).
  await db(stack.target.adminDatabaseUrl).query(
    `ALTER PUBLICATION supabase_realtime ADD TABLE public.${name}`,
  );
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${name} (id, note) SELECT g, '${SECRET_ROW}' FROM generate_series(1, 40) g`,
  );
  sync = await startSync(testConfig([t]), { settings: { realtimeProgressMs: 250 } });
  await waitUntilSyncing(sync, t);
  // Changes through the feed: the worker's lag history gets points.
  for (let id = 41; id <= 43; id++)
    await db(stack.source.databaseUrl).query(`INSERT INTO public.${name} (id, note) VALUES ($1, $2)`, [
      id,
      SECRET_ROW,
    ]);
  await waitFor(() => sync.worker.lagHistory.points(t.qualifiedName).length > 0, {
    timeoutMs: 20_000,
    message: 'no realtime lag observed by the worker',
  });
  const serve = (refreshSeconds: number) =>
    serveDashboard({
      config: sync.config,
      client: sync.client,
      history: sync.worker.lagHistory,
      address: '127.0.0.1:0',
      refreshSeconds,
    });
  page = await serve(600);
  refreshing = await serve(1);
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await page?.close();
  await refreshing?.close();
  await browser?.close();
  await sync?.close();
  await closeDatabases();
});

async function dashboardUrl(run: CliRun): Promise<string> {
  return waitFor(
    () => {
      if (run.child.exitCode !== null) throw new Error(`dashboard exited:\n${run.stderr()}`);
      return /^dashboard: (\S+)/m.exec(run.stdout())?.[1];
    },
    { timeoutMs: 30_000, message: () => `no address printed:\n${run.stdout()}\n${run.stderr()}` },
  );
}

describe('the dashboard page', () => {
  test('in Chromium: the verdict, a table row and its lag chart; no key, no row value', async () => {
    const tab = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    try {
      // The verdict is the one `failover check` gives (the same functions): READY once it says so.
      await waitFor(async () => (await checkReadiness(sync.client, sync.config)).ready, {
        timeoutMs: 30_000,
        message: async () => JSON.stringify((await checkReadiness(sync.client, sync.config)).reasons),
      });
      await waitFor(
        async () => {
          await tab.goto(page.url);
          return (await tab.locator('#verdict h1').textContent()) === 'READY';
        },
        { timeoutMs: 20_000, intervalMs: 500, message: async () => await tab.locator('body').innerText() },
      );
      const row = tab.locator(`tr[data-table="public.${name}"]`);
      assert.equal(await row.locator('td.state').textContent(), 'running');
      assert.match((await row.locator('td.rows').textContent()) ?? '', /^\d+ written, \d+ deleted$/);
      assert.match((await row.locator('td.readiness').textContent()) ?? '', /ready/);
      assert.match((await row.locator('td.lag').textContent()) ?? '', /\d s$/);
      const link = await row.locator('td.name a').getAttribute('href');
      assert.ok(link?.endsWith(`/workflows/table-sync%3Apublic.${name}`), String(link));
      // The chart is drawn: an SVG with at least one point (a line, or a dot for one slot).
      const chart = row.locator('svg.lag-chart');
      assert.ok(Number(await chart.getAttribute('data-points')) >= 1);
      const box = await chart.locator('polyline, circle').first().boundingBox();
      assert.ok(box !== null && box.width > 0 && box.height > 0, 'the chart draws something visible');
      const html = await tab.content();
      for (const secret of [stack.source.serviceRoleKey, stack.target.serviceRoleKey, SECRET_ROW])
        assert.ok(!html.includes(secret), 'the page shows no key and no row value');
      if (process.env.UPDATE_SCREENSHOTS === '1')
        await tab.screenshot({ path: path.join(root, 'docs', 'dashboard.png'), fullPage: true });
      // It reloads itself: the time it was checked moves on (a read during a reload is tried again).
      await tab.goto(refreshing.url);
      const checkedAt = () => tab.locator('p.meta').first().textContent();
      const first = await checkedAt();
      await waitFor(async () => (await checkedAt()) !== first, {
        timeoutMs: 15_000,
        message: 'the page did not refresh',
      });
    } finally {
      await tab.close();
    }
  });

  test('supabase-sync dashboard with no worker: the statuses as recorded, NOT READY, no worker named', async () => {
    // A task queue no worker polls: the workflow of the table is not started there.
    const cli = await CliEnv.create(`test-dash-${process.pid}`, [idle]);
    cleanups.push(() => cli.remove());
    const run = cli.start(['dashboard', '--address', '127.0.0.1:0']);
    cleanups.push(() => Promise.resolve(run.child.exitCode === null && run.child.kill('SIGINT')));
    const url = await dashboardUrl(run);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'no token on loopback');
    const tab = await browser.newPage();
    try {
      await tab.goto(url);
      assert.equal(await tab.locator('#verdict h1').textContent(), 'NOT READY');
      assert.match((await tab.locator('#reasons').innerText()) ?? '', /not started/);
      assert.match((await tab.locator('#no-worker').textContent()) ?? '', /no worker is polling/);
      assert.equal(
        await tab.locator(`tr[data-table="public.${idle}"] td.state`).textContent(),
        'not started',
      );
    } finally {
      await tab.close();
    }
    // Another Host (a DNS rebinding page) is refused on loopback.
    const rebound = await new Promise<number | undefined>((resolve, reject) =>
      http
        .get(url, { headers: { host: 'attacker.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject),
    );
    assert.equal(rebound, 403);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 0, show(r));
  });

  test('off loopback: 401 without the printed token, the page with it', async () => {
    const cli = await CliEnv.create(sync.config.temporal.taskQueue, [name]);
    cleanups.push(() => cli.remove());
    const run = cli.start(['dashboard', '--address', '0.0.0.0:0']);
    cleanups.push(() => Promise.resolve(run.child.exitCode === null && run.child.kill('SIGINT')));
    const printed = new URL(await dashboardUrl(run));
    const token = printed.searchParams.get('token');
    assert.ok(token && token.length >= 32, printed.href);
    const base = `http://127.0.0.1:${printed.port}/`;
    assert.equal((await fetch(base)).status, 401);
    assert.equal((await fetch(`${base}?token=${token.slice(0, -1)}x`)).status, 401);
    const bearer = await fetch(base, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bearer.status, 200);
    const body = await (await fetch(`${base}?token=${token}`)).text();
    assert.match(body, /<h1>(READY|NOT READY)<\/h1>/);
    assert.ok(body.includes(`data-table="public.${name}"`));
    run.child.kill('SIGINT');
    assert.equal((await run.done).code, 0);
  });

  test('npm run sync with SYNC_DASHBOARD_ADDRESS serves the same page', async () => {
    const cli = await CliEnv.create(`test-dash-w-${process.pid}`, [idle]);
    cleanups.push(() => cli.remove());
    cleanups.push(() => sync.client.workflow.getHandle(`table-sync:public.${idle}`).terminate());
    const worker = cli.startSync([], { SYNC_DASHBOARD_ADDRESS: '127.0.0.1:0', SYNC_LOG_LEVEL: 'info' });
    cleanups.push(() => stopSync(worker));
    await untilLogged(worker, /dashboard: http:\/\/127\.0\.0\.1:\d+\//, 90_000);
    const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(worker.output())![1]!;
    const row = await waitFor(
      async () => {
        const body = await (await fetch(url)).text();
        const pattern = new RegExp(
          `data-table="public\\.${idle}"[^>]*><td class="name">.*?<td class="state">running`,
        );
        return pattern.test(body) ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, message: () => worker.output() },
    );
    assert.match(row, /<h1>(READY|NOT READY)<\/h1>/);
    assert.equal(await stopSync(worker), 0);
  });
});
