import { ApplicationFailure } from '@temporalio/activity';
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
