import { heartbeat } from '@temporalio/activity';

/** How often a pass activity heartbeats while it waits on one slow request (the SDK throttles). */
const EVERY_MS = 5000;

/**
 * Runs `work` while heartbeating `details()` (its progress so far) every few seconds, so a long pass
 * or one slow page is not mistaken for a dead worker, and a retry resumes near where it stopped. A
 * pass shorter than that sends no heartbeat: Temporal Cloud bills each one that reaches the server.
 */
export async function keepBeating<T>(details: () => unknown, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => heartbeat(details()), EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
