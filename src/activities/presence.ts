/**
 * `holdPresence`: runs in the worker process whose liveness it shows (src/workflows/presence.ts),
 * heartbeating until the worker shuts down ('stopped'), the activity is cancelled, or its hold is
 * up ('renew': the workflow starts the next one at once). The SDK sends a heartbeat at most every
 * 80% of the heartbeat timeout, so asking every second costs no more than that.
 */
import { Context, heartbeat } from '@temporalio/activity';
import type { HoldEnd, HoldPresenceInput } from '../contracts/activities.js';
import type { ActivityDeps } from './deps.js';

export function createPresenceActivities(deps: ActivityDeps) {
  return {
    async holdPresence(input: HoldPresenceInput): Promise<HoldEnd> {
      const ctx = Context.current();
      return new Promise<HoldEnd>((resolve) => {
        const timer = setInterval(() => heartbeat({ identity: input.identity }), 1000);
        const renew =
          input.renewMs === undefined ? undefined : setTimeout(() => done('renew'), input.renewMs);
        function done(end: HoldEnd) {
          clearInterval(timer);
          clearTimeout(renew);
          deps.shutdown?.removeEventListener('abort', stopped);
          resolve(end);
        }
        const stopped = () => done('stopped');
        heartbeat({ identity: input.identity });
        ctx.cancelled.catch(stopped);
        if (deps.shutdown?.aborted) stopped();
        deps.shutdown?.addEventListener('abort', stopped, { once: true });
      });
    },
  };
}
