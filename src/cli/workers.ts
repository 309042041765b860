/**
 * Whether a worker polls the task queue, asked of the Temporal server (no worker needed to answer):
 * the workers' own heartbeats (ListWorkers: each worker's status and last heartbeat, sent every
 * 60 s by the SDK; a worker that stops says so) where the server keeps them, and for workers
 * without heartbeats DescribeTaskQueue's pollers with their last access time (an idle worker polls
 * again about every minute; the server forgets a poller 5 minutes after its last poll).
 */
import type { Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import { ago, clock, CliError } from './common.js';

/** An idle worker's poll is up to a minute old; a worker silent for longer than this is gone. */
const POLL_FRESH_MS = 90_000;
/** The SDK's default worker heartbeat interval, when a heartbeat does not say its own. */
const HEARTBEAT_INTERVAL_MS = 60_000;
// Enum values of the API (temporal.api.enums.v1), not imported: @temporalio/proto is not our dependency.
const WORKER_STATUS_RUNNING = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

export interface WorkerPresence {
  live: boolean;
  taskQueue: string;
  namespace: string;
  /** When a worker was last seen on the task queue (its last heartbeat or poll); null: not in 5 minutes. */
  lastSeen: number | null;
}

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null;

function ms(t: Timestamp | undefined): number | null {
  if (!t || t.seconds === undefined || t.seconds === null) return null;
  return Number(t.seconds.toString()) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

export interface Heartbeat {
  identity: string;
  running: boolean;
  at: number | null;
  intervalMs: number;
}

export interface Poll {
  identity: string;
  at: number;
}

/** The workers' heartbeats on this task queue; empty where the server has none (older servers). */
async function heartbeats(c: Client, namespace: string, taskQueue: string): Promise<Heartbeat[]> {
  try {
    const response = await c.workflowService.listWorkers({
      namespace,
      pageSize: 100,
      query: `TaskQueue = ${JSON.stringify(taskQueue)}`,
    });
    return (response.workersInfo ?? []).flatMap(({ workerHeartbeat: h }) => {
      if (!h || h.taskQueue !== taskQueue) return [];
      const interval = ms(h.elapsedSinceLastHeartbeat);
      return [
        {
          identity: h.workerIdentity ?? '',
          running: Number(h.status) === WORKER_STATUS_RUNNING,
          at: ms(h.heartbeatTime),
          intervalMs: interval && interval > 0 ? interval : HEARTBEAT_INTERVAL_MS,
        },
      ];
    });
  } catch {
    return [];
  }
}

export async function workerPresence(
  c: Client,
  where: Pick<SyncConfig['temporal'], 'namespace' | 'taskQueue'>,
  now = Date.now(),
): Promise<WorkerPresence> {
  const { namespace, taskQueue } = where;
  const [beats, queue] = await Promise.all([
    heartbeats(c, namespace, taskQueue),
    c.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
    }),
  ]);
  const polls = (queue.pollers ?? []).flatMap((p) => {
    const at = ms(p.lastAccessTime);
    return at === null ? [] : [{ identity: p.identity ?? '', at }];
  });
  return { ...judgePresence(beats, polls, now), taskQueue, namespace };
}

/**
 * Live: a running worker whose last heartbeat is recent (two intervals and 10 s), or a recent poll
 * (90 s) not explained by a heartbeat: a stopped worker's last poll looks recent for a minute, so
 * a poll counts only if it came after the last heartbeat of its identity (a worker started again
 * in the same process has the same identity, and sends its first heartbeat a minute later).
 */
export function judgePresence(
  beats: Heartbeat[],
  polls: Poll[],
  now: number,
): Pick<WorkerPresence, 'live' | 'lastSeen'> {
  const seen: number[] = [];
  let live = false;
  const lastBeat = new Map<string, number>();
  for (const b of beats) {
    if (b.at === null) continue;
    seen.push(b.at);
    lastBeat.set(b.identity, Math.max(lastBeat.get(b.identity) ?? 0, b.at));
    if (b.running && now - b.at <= 2 * b.intervalMs + 10_000) live = true;
  }
  for (const p of polls) {
    seen.push(p.at);
    const beat = lastBeat.get(p.identity);
    if (now - p.at <= POLL_FRESH_MS && (beat === undefined || p.at > beat + 2000)) live = true;
  }
  return { live, lastSeen: seen.length > 0 ? Math.max(...seen) : null };
}

/** `no worker is polling task queue "q" since …: start one …` */
export function noWorkerLine(p: WorkerPresence, now = Date.now()): string {
  const since =
    p.lastSeen !== null
      ? `since ${clock(p.lastSeen)} (${ago(p.lastSeen, now)})`
      : '(none in the last 5 minutes)';
  return `no worker is polling task queue "${p.taskQueue}" (namespace ${p.namespace}) ${since}: start one with \`npm run sync\` (same TEMPORAL_TASK_QUEUE)`;
}

/** For commands a worker must carry out: fails at once (exit 1) when none polls. */
export async function requireWorker(
  c: Client,
  where: Pick<SyncConfig['temporal'], 'namespace' | 'taskQueue'>,
  what: string,
): Promise<WorkerPresence> {
  const presence = await workerPresence(c, where);
  if (!presence.live)
    throw new CliError(`${what} needs a worker: ${noWorkerLine(presence)}; nothing was sent`);
  return presence;
}
