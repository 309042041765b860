/**
 * Feed control: how a table workflow stops its realtime feed at once (pause, stop, realtime turned
 * off, new key columns, continue-as-new).
 *
 * The workflow calls its `feedControl.release(generation)` Workflow Sink (src/workflows/feed.ts). The
 * worker process running that workflow task delivers it here: a feed of that generation running in
 * this process stops now (flushes, then returns). A sink call is not recorded in history, not a
 * Temporal call and not billed, and it is not made during replay (a replayed release was delivered
 * when it was first made). The feed never asks its workflow whether it is still wanted (a query is a
 * billed action) and heartbeats rarely (heartbeats are billed too).
 *
 * A feed running in another worker process is not reached from here: the workflow also cancels the
 * feed's activity, which that process learns of from its next heartbeat response (within ~4 min: the SDK
 * heartbeats at most every 80% of the feed's 5-minute heartbeat timeout).
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { FeedControl, FeedRef } from '../activities/deps.js';
import type { FeedControlSinks } from '../workflows/messages.js';

/** How long a release that found no running feed is remembered (the attempt may still be starting). */
const RELEASE_MEMORY_MS = 10 * 60_000;

/**
 * The realtime feeds running in this worker process.
 *
 * - `release(feed)` stops the feed of that workflow and generation now. One that finds no feed
 *   is remembered for RELEASE_MEMORY_MS, so an attempt that was still starting stops as soon as it
 *   listens; a generation (`<runId>/<n>`) is never wanted again once released.
 * - `listen` stops an older feed of the same workflow still registered here: a workflow wants at
 *   most one feed and awaits the end of one before it starts the next, and Temporal starts another
 *   attempt only once it has given up on the last one, so that older feed is stale (an attempt whose
 *   heartbeats timed out, say while Temporal was unreachable, or a run already continued-as-new).
 *
 * One per process rather than per worker: a workflow task and its feed handled by two workers of one
 * process still meet here.
 */
export class FeedControlRegistry implements FeedControl {
  /** By workflow (`namespace workflowId`): the one feed registered for it. */
  private readonly feeds = new Map<string, { generation: string; stop: (reason: string) => void }>();
  /** `namespace workflowId generation` → when released, oldest first. */
  private readonly released = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  listen(ref: FeedRef, onRelease: (reason: string) => void): () => void {
    const workflow = `${ref.namespace} ${ref.workflowId}`;
    const older = this.feeds.get(workflow);
    if (older) {
      this.feeds.delete(workflow);
      older.stop(`a newer feed of this workflow started in this worker (generation ${ref.generation})`);
    }
    if (this.released.has(`${workflow} ${ref.generation}`)) {
      onRelease('released by the workflow before it started');
      return () => {};
    }
    const feed = { generation: ref.generation, stop: onRelease };
    this.feeds.set(workflow, feed);
    return () => {
      if (this.feeds.get(workflow) === feed) this.feeds.delete(workflow);
    };
  }

  /** Returns whether the feed was running here. */
  release(ref: FeedRef): boolean {
    const now = this.now();
    for (const [key, at] of this.released) {
      if (now - at < RELEASE_MEMORY_MS) break;
      this.released.delete(key);
    }
    const workflow = `${ref.namespace} ${ref.workflowId}`;
    this.released.set(`${workflow} ${ref.generation}`, now);
    const feed = this.feeds.get(workflow);
    if (feed?.generation !== ref.generation) return false;
    this.feeds.delete(workflow);
    feed.stop('released by the workflow');
    return true;
  }

  /** How many feeds are registered (for tests). */
  get running(): number {
    return this.feeds.size;
  }
}

/** The worker's `feedControl` sink: delivers a workflow's release to the feeds of this process. */
export function feedControlSinks(feeds: FeedControlRegistry): InjectedSinks<FeedControlSinks> {
  return {
    feedControl: {
      release: {
        fn: (info, generation) => {
          feeds.release({ namespace: info.namespace, workflowId: info.workflowId, generation });
        },
        callDuringReplay: false,
      },
    },
  };
}
