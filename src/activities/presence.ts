/**
 * `holdPresence`: runs in the worker process whose liveness it shows (src/workflows/presence.ts),
 * heartbeating until the worker shuts down or the activity is cancelled. The SDK sends a heartbeat
 * at most every 80% of the heartbeat timeout, so asking every second costs no more than that.
 */
import { Context, heartbeat } from '@temporalio/activity';
import type { ActivityDeps } from './deps.js';

export function createPresenceActivities(deps: ActivityDeps) {
  return {
    async holdPresence(input: { identity: string }): Promise<void> {
      const ctx = Context.current();
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => heartbeat({ identity: input.identity }), 1000);
        const done = () => {
          clearInterval(timer);
          resolve();
        };
        heartbeat({ identity: input.identity });
        ctx.cancelled.catch(done);
        if (deps.shutdown?.aborted) done();
        deps.shutdown?.addEventListener('abort', done, { once: true });
      });
    },
  };
}
