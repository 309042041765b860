/** The table workflows' settings, from the configuration (the env file and the environment). */
import type { SyncConfig } from '../contracts/config.js';
import type { SyncSettings } from '../contracts/table-sync.js';
import { DEFAULT_RECONCILE_INTERVAL_LIVE_MS } from './index.js';

export function syncSettings(config: SyncConfig, overrides: Partial<SyncSettings> = {}): SyncSettings {
  return {
    intervalMs: config.reconcile.intervalMs,
    liveIntervalMs: config.reconcile.liveIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_LIVE_MS,
    lookbackMs: config.reconcile.lookbackMs,
    batchSize: config.reconcile.batchSize,
    initialBackfillMs: config.reconcile.initialBackfillMs ?? null,
    realtime: config.realtime,
    loop: config.loop && config.mode !== 'reconcile',
    maxPassesPerRun: 500,
    searchAttributes: false,
    ...(config.sequences && config.sequences.length > 0 ? { sequences: [...config.sequences] } : {}),
    ...overrides,
  };
}
