/**
 * The first copy's chunk in flight, read from its workflow's pending activities
 * (DescribeWorkflowExecution: no billed action, no worker needed): the rows its last heartbeat
 * counted and how long it had run then. The workflow's own counts move once per chunk (about 20 s);
 * with this, `status`, the dashboard, `backfill` and the demo see the copy between two chunks. The
 * heartbeat holds the chunk's cursor and counts (src/activities/reconcile.ts); only `rowsRead` is
 * read, through the client's data converter (so an encrypted history decodes too).
 */
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import type { InitialCopyState } from '../contracts/table-sync.js';
import type { RunningChunk } from '../core/copy-progress.js';

/**
 * The activities that copy a table chunk by chunk, each heartbeating `{rowsRead}` (its rows so far)
 * and returning its counts to the workflow's copy loop (src/workflows/passes.ts `copy`).
 */
const CHUNK_ACTIVITIES = new Set(['reconcileChunk']);

async function decoded(c: Client, payload: Payload): Promise<unknown> {
  const { payloadConverter, payloadCodecs } = c.options.loadedDataConverter;
  let payloads = [payload];
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return payloadConverter.fromPayload(payloads[0]!);
}

type PendingActivities = Awaited<
  ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>
>['raw']['pendingActivities'];

/**
 * The copy chunk running in `workflowId`, or undefined (none, no heartbeat yet, or one the
 * workflow's counts already hold: scheduled before `copy.lastChunkAt`). Read after the counts, a
 * chunk that completed in between is missed until the next read, never counted twice. `pending`:
 * the workflow's pending activities when its description was already read.
 */
export async function runningCopyChunk(
  c: Client,
  workflowId: string,
  copy: InitialCopyState,
  pending?: PendingActivities,
): Promise<RunningChunk | undefined> {
  if (copy.done) return undefined;
  pending ??= (await c.workflow.getHandle(workflowId).describe()).raw.pendingActivities;
  // Chunks copied side by side (key ranges in parallel) add up; the time is the longest's.
  let running: RunningChunk | undefined;
  for (const activity of pending ?? []) {
    if (!CHUNK_ACTIVITIES.has(activity.activityType?.name ?? '')) continue;
    const payload = activity.heartbeatDetails?.payloads?.[0];
    const at = optionalTsToMs(activity.lastHeartbeatTime);
    // A retried attempt resumes from the heartbeat: its rows count from the chunk's schedule.
    const began = optionalTsToMs(
      (activity.attempt ?? 1) > 1 ? activity.scheduledTime : activity.lastStartedTime,
    );
    const scheduled = optionalTsToMs(activity.scheduledTime);
    if (!payload || at === undefined || began === undefined) continue;
    if (copy.lastChunkAt !== undefined && scheduled !== undefined && scheduled < copy.lastChunkAt) continue;
    const rows = await rowsRead(c, payload);
    if (rows === undefined) continue;
    running = {
      rows: (running?.rows ?? 0) + rows,
      ms: Math.max(running?.ms ?? 0, at - began),
      at: Math.max(running?.at ?? 0, at),
    };
  }
  return running;
}

/** The rows a chunk's heartbeat counted; undefined when unreadable (it counts when it completes). */
async function rowsRead(c: Client, payload: Payload): Promise<number | undefined> {
  try {
    const details = (await decoded(c, payload)) as { rowsRead?: unknown } | undefined;
    return typeof details?.rowsRead === 'number' ? details.rowsRead : undefined;
  } catch {
    return undefined;
  }
}
