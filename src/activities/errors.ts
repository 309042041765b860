import { ApplicationFailure } from '@temporalio/activity';
import { WORKER_SHUTDOWN } from '../contracts/activities.js';
import { SyncError } from '../contracts/ports.js';

/**
 * Errors a user must fix become non-retryable failures with one clear message; the workflow
 * records them as the table's last error and tries again later. Others are retried by Temporal.
 */
export function asActivityFailure(error: unknown): unknown {
  if (error instanceof SyncError && !error.retryable) {
    return ApplicationFailure.nonRetryable(error.message, `SyncError:${error.kind}`);
  }
  if (error instanceof SyncError) {
    return ApplicationFailure.retryable(error.message, `SyncError:${error.kind}`);
  }
  return error;
}

export async function failClearly<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asActivityFailure(error);
  }
}

/**
 * How a Realtime feed's attempt ends when it was not released: handed over at the worker's shutdown
 * (an expected stop, with its own type: the SDK's "Activity failed" line is then no warning,
 * temporal/runtime.ts), or lost (Temporal retries it).
 */
export function feedEnded(shuttingDown: boolean, failure: string | null): ApplicationFailure {
  return shuttingDown
    ? ApplicationFailure.retryable('realtime feed handed over: the worker is shutting down', WORKER_SHUTDOWN)
    : ApplicationFailure.retryable(failure ?? 'realtime feed ended', 'RealtimeLost');
}
