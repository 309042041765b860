/**
 * `npm run ui:screenshot`: docs/temporal-ui.png — the Temporal UI's workflow list showing one
 * `tableSync` workflow per table with its SyncTable and SyncState search attributes.
 *
 * Starts a throwaway local stack with the Temporal UI (devstack/stack.ts), syncs three sample
 * tables with the engine from src/, then opens the UI in headless Chromium (Debian's
 * /usr/bin/chromium, driven by playwright-core) with the columns configured, and saves the PNG.
 * Everything it started is stopped before it exits.
 */
import { access, constants, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chromium } from 'playwright-core';
import type { SyncConfig, TableConfig } from '../src/contracts/config.js';
import { createLogger } from '../src/engine/logger.js';
import { syncSettings } from '../src/config/settings.js';
import { enableDeleteTracking, ensureTableWorkflows } from '../src/engine/tables.js';
import { connectSource } from '../src/supabase/source.js';
import { searchAttributesRegistered } from '../src/temporal/connection.js';
import { createSyncWorker, type SyncWorker } from '../src/worker.js';
import { workflowIdFor } from '../src/workflows/ids.js';
import { statusQuery } from '../src/workflows/messages.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('..', import.meta.url));
const output = path.join(root, 'docs', 'temporal-ui.png');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const SAMPLE_TABLES: { name: string; rows: number; ddl: string; insert: string }[] = [
  {
    name: 'orders',
    rows: 1200,
    ddl: `CREATE TABLE IF NOT EXISTS public.orders (id bigint PRIMARY KEY, status text NOT NULL,
      total numeric(10,2) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    insert: `INSERT INTO public.orders (id, status, total)
      SELECT g, (ARRAY['new','paid','packed','shipped'])[1 + g % 4], g * 1.25 FROM generate_series(1, 1200) g`,
  },
  {
    name: 'customers',
    rows: 300,
    ddl: `CREATE TABLE IF NOT EXISTS public.customers (id bigint PRIMARY KEY, name text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`,
    insert: `INSERT INTO public.customers (id, name) SELECT g, 'customer ' || g FROM generate_series(1, 300) g`,
  },
  {
    name: 'invoices',
    rows: 800,
    ddl: `CREATE TABLE IF NOT EXISTS public.invoices (id bigint PRIMARY KEY, order_id bigint NOT NULL,
      amount numeric(10,2) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    insert: `INSERT INTO public.invoices (id, order_id, amount) SELECT g, g, g * 1.25 FROM generate_series(1, 800) g`,
  },
];

function table(name: string): TableConfig {
  return {
    schema: 'public',
    table: name,
    qualifiedName: `public.${name}`,
    primaryKeys: ['id'],
    incrementalFields: ['updated_at'],
    realtime: true,
    reconcile: true,
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<number> {
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    console.error(
      `ui:screenshot needs Chromium at ${CHROMIUM}, which is missing: install it with \`apt-get install chromium\` (Debian/Ubuntu; as root or with sudo), or set CHROMIUM_PATH to a Chromium binary.`,
    );
    return 1;
  }

  const { startStack } = await import('../devstack/stack.js');
  console.log('starting the local stack with the Temporal UI …');
  const stack = await startStack({ temporalUi: true });
  const pools = [stack.source.databaseUrl, stack.target.databaseUrl].map(
    (url) => new pg.Pool({ connectionString: url, max: 2 }),
  );
  let sync: SyncWorker | undefined;
  let profile: string | undefined;
  try {
    const uiUrl = stack.temporal.uiUrl;
    if (!uiUrl) throw new Error('the stack started no Temporal UI');
    const [source, target] = pools as [pg.Pool, pg.Pool];
    for (const t of SAMPLE_TABLES) {
      await source.query(t.ddl);
      await target.query(t.ddl);
      await source.query(t.insert);
    }
    const tables = SAMPLE_TABLES.map((t) => table(t.name));
    const config: SyncConfig = {
      source: { url: stack.source.url, serviceRoleKey: stack.source.serviceRoleKey },
      target: { url: stack.target.url, serviceRoleKey: stack.target.serviceRoleKey },
      reconcile: { intervalMs: 30_000, lookbackMs: 300_000, batchSize: 500, initialBackfillMs: undefined },
      discovery: { intervalMs: 60_000 },
      failover: { afterMs: 4000 },
      mode: 'default',
      realtime: true,
      loop: true,
      temporal: {
        address: stack.temporal.address,
        namespace: stack.temporal.namespace,
        taskQueue: 'supabase-sync',
      },
      metrics: { address: null },
      logLevel: 'warn',
      envFile: undefined,
      tableConfigFile: '(ui-screenshot)',
      tables,
    };
    const logger = createLogger('error');
    await enableDeleteTracking(connectSource(config.source), config);
    sync = await createSyncWorker({ config, logger });
    const running = sync.run();
    running.catch(() => undefined);
    const client = sync.client;
    const settings = syncSettings(config, {
      searchAttributes: await searchAttributesRegistered(client, config.temporal.namespace),
    });
    if (!settings.searchAttributes)
      throw new Error('SyncTable/SyncState are not registered on the dev server');
    await ensureTableWorkflows(client, config, settings);
    console.log(`syncing ${tables.map((t) => t.qualifiedName).join(', ')} …`);
    for (const t of tables) {
      await until(`${t.qualifiedName} to finish its first copy`, async () => {
        const status = await client.workflow.getHandle(workflowIdFor(t)).query(statusQuery);
        return status.initialCopy.done && status.realtime.connected ? status : undefined;
      });
    }
    // The list reads the visibility store: wait until it shows every table as running.
    const query = 'WorkflowType="tableSync"';
    await until('the workflow list to show SyncState=running', async () => {
      let running = 0;
      for await (const wf of client.workflow.list({ query: `${query} AND SyncState="running"` })) {
        if (wf.workflowId.startsWith('table-sync:')) running++;
      }
      return running === tables.length ? running : undefined;
    });

    const listUrl = `${uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows?query=${encodeURIComponent(query)}`;
    profile = await mkdtemp(path.join(os.tmpdir(), 'supabase-sync-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1600, height: 620 },
      deviceScaleFactor: 1,
    });
    try {
      // The UI keeps the list's columns per namespace in localStorage: add SyncTable and SyncState.
      const columns = {
        [config.temporal.namespace]: [
          { label: 'Status', pinned: true },
          { label: 'Workflow ID', pinned: true },
          { label: 'SyncTable', pinned: false },
          { label: 'SyncState', pinned: false },
          { label: 'Type', pinned: false },
          { label: 'Start', pinned: false },
          { label: 'Task Queue', pinned: false },
        ],
      };
      await browser.addInitScript({
        content: `localStorage.setItem('namespace-workflow-table-columns', ${JSON.stringify(JSON.stringify(columns))});`,
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(listUrl, { waitUntil: 'networkidle' });
      // Rows and the attribute values rendered (not just the skeleton).
      for (const t of tables) await page.getByText(`table-sync:${t.qualifiedName}`).first().waitFor();
      await page.getByText('SyncState').first().waitFor();
      await page.getByText('running', { exact: true }).first().waitFor();
      await mkdir(path.dirname(output), { recursive: true });
      await page.screenshot({ path: output });
    } finally {
      await browser.close();
    }
    console.log(`saved ${path.relative(root, output)} (${listUrl})`);
    return 0;
  } finally {
    if (sync) {
      const { client } = sync;
      await sync.shutdown();
      for (const t of SAMPLE_TABLES) {
        await client.workflow
          .getHandle(workflowIdFor({ schema: 'public', table: t.name }))
          .terminate('screenshot taken')
          .catch(() => undefined);
      }
      await sync.close();
    }
    await Promise.all(pools.map((p) => p.end()));
    await stack.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  }
}

process.exit(await main());
