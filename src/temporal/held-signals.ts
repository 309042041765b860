/**
 * The feeds' signals to their workflows while the worker stops: held until it has stopped polling.
 *
 * A signal creates a workflow task at once, on the sticky queue of the worker that ran the
 * workflow last: this one. A feed stopped by the worker's shutdown signals `disconnected` a few
 * milliseconds after the shutdown began, just as the worker's long polls are being interrupted; the
 * server could hand the task to a poll the worker had already dropped, and a task lost that way
 * waits for its 10-second timeout, so the next worker's first task (the `configure` update of
 * `npm run sync`, the catch-up pass) waited up to 10 s. Sent once the worker has stopped, the task
 * goes to the task queue and the next worker takes it as soon as it polls.
 *
 * A held `disconnected` can arrive after another worker's feed has subscribed: it names this worker,
 * and the workflow ignores a disconnect from a worker other than the feed's (decisions.ts).
 * A subscription reported while stopping is dropped: that feed is ending, and the next one's
 * subscription asks for the catch-up pass.
 */
import type { ActivityDeps } from '../activities/deps.js';
import type { Logger } from '../contracts/logger.js';
import type { RealtimeProgress } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';

type Notify = ActivityDeps['notify'];

export class HeldSignals {
  private readonly held: Array<{ workflowId: string; progress: RealtimeProgress }> = [];

  constructor(
    private readonly stopping: () => boolean,
    private readonly logger: Logger,
  ) {}

  /** `notify` as the activities use it: sent at once while running, held while stopping. */
  wrap(notify: Notify): Notify {
    return {
      ...notify,
      realtimeProgress: (workflowId, progress) => {
        if (!this.stopping()) return notify.realtimeProgress(workflowId, progress);
        this.held.push({ workflowId, progress });
        return Promise.resolve();
      },
      realtimeSubscribed: (workflowId, at) =>
        this.stopping() ? Promise.resolve() : notify.realtimeSubscribed(workflowId, at),
    };
  }

  /** Sends what was held, in order (the worker has stopped polling). */
  async release(send: Notify['realtimeProgress']): Promise<void> {
    for (const { workflowId, progress } of this.held.splice(0)) {
      await send(workflowId, progress).catch((error: unknown) =>
        this.logger.warn(
          { workflowId, err: errorMessage(error) },
          'could not tell the workflow its realtime feed stopped',
        ),
      );
    }
  }
}
