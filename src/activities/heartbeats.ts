import { heartbeat } from '@temporalio/activity';

/** How often a pass activity heartbeats while it waits on one slow request (the SDK throttles). */
const EVERY_MS = 5000;

/**
 * Runs `work` while heartbeating `details()` every few seconds, so one slow page (a large batch on
 * a slow target) is not mistaken for a dead worker by the activity's heartbeat timeout.
 */
export async function keepBeating<T>(details: () => unknown, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => heartbeat(details()), EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
