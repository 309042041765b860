/** The settings, table and clock the workflow's pure decisions are tested with. */
import type { TableConfig } from '../../src/contracts/config.js';
import type { SyncSettings } from '../../src/contracts/table-sync.js';

export const settings: SyncSettings = {
  intervalMs: 30_000,
  lookbackMs: 300_000,
  batchSize: 500,
  initialBackfillMs: null,
  realtime: true,
  loop: true,
  maxPassesPerRun: 500,
  searchAttributes: false,
};

export const spec: TableConfig = {
  schema: 'public',
  table: 'orders',
  qualifiedName: 'public.orders',
  primaryKeys: ['id'],
  incrementalFields: ['updated_at'],
  realtime: true,
  reconcile: true,
};

export const NOW = Date.parse('2026-01-31T12:00:00Z');
