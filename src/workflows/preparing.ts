/**
 * The table workflow's preparing step: the table checked on both projects (prepareTable) and its
 * version column picked; and the schema error that sends a table back to it.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import { recordPrepared } from './decisions.js';
import type { RealtimeFeed } from './feed.js';
import type { PassTable } from './passes.js';

const { prepareTable } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '2 minutes',
  // A worker that dies while preparing is noticed within this (a slow prepare heartbeats).
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1s', maximumInterval: '10s' },
});

/** patched() id: a schema error in a pass or the feed sends the table back to preparing (2026-12-02). */
const SCHEMA_BLOCKS = 'schema-error-blocks-table';

/** What preparing reads, and the state it moves (the TableSyncManager). */
export interface PreparingTable extends PassTable {
  readonly feed: RealtimeFeed;
}

/** Checks the table; false when it failed (recorded as the table's error, one more failure). */
export async function prepare(t: PreparingTable): Promise<boolean> {
  try {
    const wasBlocked = t.state.lastError?.kind === 'schema';
    t.state = recordPrepared(t.state, await prepareTable({ table: t.table }));
    // The schema the feed failed on was fixed: it starts again now, not after its failure delay.
    if (wasBlocked && patched(SCHEMA_BLOCKS)) t.feed.retryNow();
    return true;
  } catch (error) {
    t.fail('prepare', error);
    t.state.consecutiveFailures += 1;
    return false;
  }
}

/**
 * A pass or the feed failed because the table's schema changed (a column added on the source but
 * not on the target, …): the table goes back to preparing, and waits (blocked, its feed stopped)
 * until the target matches; its checkpoint stays where it was, so no row is skipped.
 * @returns whether the table was sent back.
 */
export function blockOnSchemaError(t: PreparingTable): boolean {
  if (t.state.lastError?.kind !== 'schema' || !patched(SCHEMA_BLOCKS)) return false;
  t.state = { ...t.state, prepared: false };
  return true;
}
