/**
 * Workflow ids, built and parsed here only. A table's long-running workflow is
 * `table-sync:<schema>.<table>`; its reconcile-only runs (`npm run sync --cron`, the schedule) are
 * `table-reconcile:<schema>.<table>`; one-off runs are `verify-…` and `reconcile-once-…`. No Node built-ins:
 * workflow code uses it too.
 */
import type { TableConfig } from '../contracts/config.js';
import { tableName } from '../core/names.js';

type Named = Pick<TableConfig, 'schema' | 'table'>;

const TABLE_SYNC = 'table-sync:';
const TABLE_RECONCILE = 'table-reconcile:';

export function workflowIdFor(table: Named): string {
  return `${TABLE_SYNC}${tableName(table)}`;
}

export function reconcileWorkflowIdFor(table: Named): string {
  return `${TABLE_RECONCILE}${tableName(table)}`;
}

/**
 * A one-off run's id: `verify-<time>-<suffix>` (`supabase-sync verify`) or
 * `reconcile-once-<time>-<suffix>` (`npm run sync --cron`). The suffix is random, chosen by the
 * caller: workflow code has no randomness.
 */
export function oneOffWorkflowId(kind: 'verify' | 'reconcile-once', at: Date, suffix: string): string {
  return `${kind}-${at.toISOString().replace(/[:.]/g, '')}-${suffix}`;
}

/** The table a table workflow's id names (`table-sync:public.orders` → `public.orders`), else undefined. */
export function tableFromWorkflowId(workflowId: string | undefined): string | undefined {
  for (const prefix of [TABLE_SYNC, TABLE_RECONCILE]) {
    if (workflowId?.startsWith(prefix) && workflowId.length > prefix.length)
      return workflowId.slice(prefix.length);
  }
  return undefined;
}

/** The table a `table-sync:<schema>.<table>` id names (the long-running workflow only), else undefined. */
export function syncTableFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(TABLE_SYNC) && workflowId.length > TABLE_SYNC.length
    ? workflowId.slice(TABLE_SYNC.length)
    : undefined;
}
