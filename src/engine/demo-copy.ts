/**
 * The demo's first copy on its screen (src/engine/local.ts): the table workflow's copy progress as
 * `status` shows it — the workflow's counts (its status query) plus the running chunk's heartbeat
 * (temporal/copy-chunk.ts) — as a bar on a terminal or lines otherwise (copy-display.ts), read
 * every POLL_MS until the copy is done; then its line (rows, how long, rows/s).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { CopyProgress, TableStatus } from '../contracts/table-sync.js';
import { copyProgressOf } from '../core/copy-progress.js';
import { runningCopyChunk } from '../temporal/copy-chunk.js';
import { connectClient } from '../temporal/connection.js';
import { statusQuery } from '../workflows/messages.js';
import { CopyDisplay } from './copy-display.js';

const POLL_MS = 500;
/** A workflow that does not answer for this long (not started, no worker): the demo goes on without it. */
const SILENT_MS = 120_000;

async function readProgress(c: Client, workflowId: string): Promise<CopyProgress | undefined> {
  try {
    const status: TableStatus = await c.withDeadline(Date.now() + 3000, () =>
      c.workflow.getHandle(workflowId).query(statusQuery),
    );
    const chunk = await runningCopyChunk(c, workflowId, status.initialCopy).catch(() => undefined);
    return copyProgressOf(status.initialCopy, Date.now(), chunk);
  } catch {
    return undefined; // not started yet, or the worker is busy starting it
  }
}

/**
 * Shows the copy of `table` (its workflow `workflowId`) until it is done, or `stopping`; returns
 * its last progress (done, unless stopped or silent).
 */
export async function showCopy(
  config: SyncConfig,
  table: string,
  workflowId: string,
  stopping: AbortSignal,
): Promise<CopyProgress | undefined> {
  const c = await connectClient(config);
  const display = new CopyDisplay(table);
  let last: CopyProgress | undefined;
  let heardAt = Date.now();
  try {
    while (!stopping.aborted && Date.now() - heardAt < SILENT_MS) {
      const progress = await readProgress(c, workflowId);
      if (progress) {
        heardAt = Date.now();
        last = progress;
        if (progress.done) break;
        display.show(progress);
      }
      await delay(POLL_MS, undefined, { signal: stopping }).catch(() => undefined);
    }
  } finally {
    display.end(last);
    await c.connection.close();
  }
  return last;
}
