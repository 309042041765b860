/**
 * A sync whose worker reads the source through an API of its own (on the stack's source database,
 * with the stack's Realtime plan): a project whose quota counters no other test has touched, as a
 * quiet project's are. Passes are 10 minutes apart, so what reaches the target within seconds came
 * through the realtime feed. Resolves once every table's feed is live and its catch-up pass done.
 */
import { startSupabaseApi } from '../../devstack/api.js';
import { makeServiceRoleKey, newJwtSecret } from '../../devstack/keys.js';
import { freePort } from '../../devstack/ports.js';
import type { RealtimePlan } from '../../devstack/realtime/plans.js';
import type { TableConfig } from '../../src/contracts/config.js';
import { testStack } from './stack-env.js';
import { startSync, testConfig, waitUntilSyncing, type RunningSync } from './sync.js';
import { waitFor } from './wait.js';

export interface OwnSourceSync {
  sync: RunningSync;
  /** Stops the sync, then the source's API. */
  close(): Promise<void>;
}

export async function startSyncOnOwnSource(
  tables: TableConfig[],
  plan: RealtimePlan,
): Promise<OwnSourceSync> {
  const secret = newJwtSecret();
  const api = await startSupabaseApi({
    databaseUrl: testStack().source.databaseUrl,
    jwtSecret: secret,
    port: await freePort(),
    name: 'source (own)',
    realtimePlan: plan,
  });
  const config = testConfig(tables, { reconcile: { intervalMs: 600_000, liveIntervalMs: 600_000 } });
  config.source = { ...config.source, url: api.url, serviceRoleKey: makeServiceRoleKey(secret) };
  const sync = await startSync(config, { settings: { realtimeProgressMs: 250 } });
  for (const t of tables) {
    await waitUntilSyncing(sync, t, { timeoutMs: 30_000 });
    await waitFor(async () => (await sync.status(t)).lastPass?.kind === 'catch-up', { timeoutMs: 15_000 });
  }
  return {
    sync,
    close: async () => {
      await sync.close();
      await api.close();
    },
  };
}
