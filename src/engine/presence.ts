/**
 * Scale-out and fail-over of the Realtime feeds: any number of `npm run sync` workers share a task
 * queue; when one dies without a goodbye (SIGKILL, a lost host), the others start its feeds again
 * within seconds instead of waiting for each feed's heartbeat timeout (a minute).
 *
 * While another worker polls the same task queue, each worker keeps a liveness workflow of its own
 * (src/workflows/presence.ts): one activity on a task queue only that process polls, heartbeating
 * every few seconds — the only cost, per worker process, not per table. Every second each worker
 * looks at its peers' liveness workflows (describe calls, not billed): a peer whose activity the
 * server timed out is gone, and the first worker to see it (it ends the peer's liveness workflow)
 * signals `feedWorkerLost` to every table workflow whose feed ran there. A worker that stops
 * gracefully ends its liveness workflow itself ('stopped'): its feeds hand over on their own.
 *
 * A worker alone on its queue keeps no liveness workflow, so when it is SIGKILLed and started again
 * nobody saw it die: for its first heartbeat timeout the new worker looks, every few seconds, for
 * feeds still held by a process of this host that no longer runs (src/engine/local-workers.ts) and
 * takes them over the same way.
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { Logger } from '../contracts/logger.js';
import { errorMessage } from '../core/errors.js';
import { goneOnThisHost } from './local-workers.js';
import { peerLiveness } from './peer-liveness.js';
import { feedWorkerLostSignal } from '../workflows/messages.js';
import { presenceStopSignal, syncWorkerPresence } from '../workflows/presence.js';

/** How often a worker looks at its peers (and whether it has any). */
const LOOK_EVERY_MS = 500;
/** Peers are listed again at most this often (new workers join, stopped ones leave). */
const PEERS_EVERY_MS = 5000;
const PRESENCE_PREFIX = 'sync-worker:';

export interface PresenceOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  identity: string;
  presenceQueue: string;
  /** A worker whose heartbeats stop this long is gone (SYNC_FAILOVER_AFTER_MS: its activity's heartbeat timeout). */
  deadAfterMs: number;
  /** The liveness workflow's hold length and holds per run (defaults in src/workflows/presence.ts; tests shorten them). */
  renewMs?: number;
  holdsPerRun?: number;
  logger: Logger;
}

export class WorkerPresence {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private holding = false;
  /** Whether the last listing showed this worker's own liveness workflow running. */
  private ownRunning = false;
  private peers: string[] = [];
  private peersAt = 0;
  /** Peers whose feeds were taken over, with the run of their liveness that ended. */
  private readonly takenOver = new Map<string, string>();
  /** Feeds (workflow id and worker) already signalled: a dead feed stays pending until its timeout. */
  private readonly signalled = new Set<string>();
  /** Until when feeds of dead processes of this host are looked for, and when they were last. */
  private readonly sweepUntil: number;
  private sweptAt = 0;

  constructor(private readonly o: PresenceOptions) {
    this.sweepUntil = Date.now() + o.deadAfterMs + PEERS_EVERY_MS;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.look()
        .catch((error: unknown) => this.o.logger.debug({ err: errorMessage(error) }, 'presence: look failed'))
        .finally(() => (this.busy = false));
    }, LOOK_EVERY_MS);
    this.timer.unref();
  }

  /** Stops looking, and ends this worker's own liveness workflow ('stopped'). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (!this.holding) return;
    // Its hold ends with the worker too; the signal covers a stop between two holds.
    await this.o.client.workflow
      .getHandle(this.ownId)
      .signal(presenceStopSignal)
      .catch(() => undefined);
  }

  private get ownId(): string {
    return `${PRESENCE_PREFIX}${this.o.identity}`;
  }

  private async look(): Promise<void> {
    if (Date.now() < this.sweepUntil && Date.now() - this.sweptAt >= PEERS_EVERY_MS) {
      this.sweptAt = Date.now();
      await this.takeOver((worker) => goneOnThisHost(worker, this.o.identity), 'no longer runs on this host');
    }
    let listed = false;
    if (Date.now() - this.peersAt >= PEERS_EVERY_MS) {
      this.peers = await this.listPeers();
      this.peersAt = Date.now();
      listed = true;
    }
    const others = await this.otherPollers();
    // Held again if its liveness ended while the worker lives (declared lost when it could not reach
    // Temporal for a while): otherwise its real death later would go unnoticed.
    if (others > 0 && (!this.holding || (listed && !this.ownRunning))) await this.hold();
    for (const peer of this.peers) await this.watch(peer);
  }

  /** Other worker processes polling the task queue (by their identities). */
  private async otherPollers(): Promise<number> {
    const response = await this.o.client.workflowService.describeTaskQueue({
      namespace: this.o.namespace,
      taskQueue: { name: this.o.taskQueue },
      taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
    });
    return new Set((response.pollers ?? []).map((p) => p.identity).filter((i) => i && i !== this.o.identity))
      .size;
  }

  /** Starts this worker's liveness workflow (kept if it runs). */
  private async hold(): Promise<void> {
    const again = this.holding;
    await this.o.client.workflow.start(syncWorkerPresence, {
      workflowId: this.ownId,
      taskQueue: this.o.taskQueue,
      args: [
        {
          identity: this.o.identity,
          presenceQueue: this.o.presenceQueue,
          heartbeatTimeoutMs: this.o.deadAfterMs,
          renewMs: this.o.renewMs,
          holdsPerRun: this.o.holdsPerRun,
        },
      ],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    this.holding = true;
    this.ownRunning = true;
    if (again) return;
    this.o.logger.info(
      `another worker shares task queue ${this.o.taskQueue}: keeping a liveness workflow for fail-over`,
    );
  }

  /** The peers' liveness workflows that run (a peer taken over is watched again once it holds anew). */
  private async listPeers(): Promise<string[]> {
    const peers: string[] = [];
    let ownRunning = false;
    const query = `WorkflowType = 'syncWorkerPresence' AND ExecutionStatus = 'Running' AND TaskQueue = '${this.o.taskQueue.replace(/'/g, "\\'")}'`;
    for await (const w of this.o.client.workflow.list({ query })) {
      if (w.workflowId === this.ownId) ownRunning = true;
      else if (w.workflowId.startsWith(PRESENCE_PREFIX)) peers.push(w.workflowId);
    }
    this.ownRunning = ownRunning;
    return peers;
  }

  /** A peer whose liveness activity the server timed out is gone: its feeds start again elsewhere. */
  private async watch(peerWorkflowId: string): Promise<void> {
    const peer = peerWorkflowId.slice(PRESENCE_PREFIX.length);
    const handle = this.o.client.workflow.getHandle(peerWorkflowId);
    // Not the run already taken over (a later run is the peer holding anew, watched as any other).
    const seen = await peerLiveness(handle, this.takenOver.get(peer));
    if (seen?.end === undefined) return;
    this.takenOver.set(peer, seen.runId);
    this.peers = this.peers.filter((p) => p !== peerWorkflowId);
    if (seen.end !== 'lost') return;
    // The first worker to end the peer's liveness workflow takes its feeds over.
    if (seen.running) {
      try {
        await handle.terminate(`worker ${peer} is gone; its feeds were taken over by ${this.o.identity}`);
      } catch {
        return;
      }
    }
    await this.takeOver((worker) => worker === peer, 'stopped without a goodbye');
  }

  /** Signals every table workflow whose feed ran in a dead worker (16 looked at at once). */
  private async takeOver(gone: (worker: string) => boolean, why: string): Promise<void> {
    const query = `WorkflowType = 'tableSync' AND ExecutionStatus = 'Running' AND TaskQueue = '${this.o.taskQueue.replace(/'/g, "\\'")}'`;
    const ids: string[] = [];
    for await (const w of this.o.client.workflow.list({ query })) ids.push(w.workflowId);
    const moved = new Map<string, number>();
    const one = async (workflowId: string) => {
      const handle = this.o.client.workflow.getHandle(workflowId);
      const d = await handle.describe().catch(() => undefined);
      // An abandoned feed stays pending beside its successor until its heartbeat times out.
      for (const a of d?.raw.pendingActivities ?? []) {
        const worker = a.lastWorkerIdentity;
        if (a.activityType?.name !== 'streamRealtimeChanges' || !worker || !gone(worker)) continue;
        if (this.signalled.has(`${workflowId} ${worker}`)) continue;
        this.signalled.add(`${workflowId} ${worker}`);
        await handle.signal(feedWorkerLostSignal, { worker }).catch(() => undefined);
        moved.set(worker, (moved.get(worker) ?? 0) + 1);
      }
    };
    for (let i = 0; i < ids.length; i += 16) await Promise.all(ids.slice(i, i + 16).map(one));
    for (const [worker, feeds] of moved)
      this.o.logger.warn(
        { worker, feeds },
        `worker ${worker} ${why}: its ${feeds} realtime feed(s) start again in a live worker`,
      );
  }
}
