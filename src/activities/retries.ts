import type { Logger } from '../contracts/logger.js';
import { errorMessage } from '../core/errors.js';

/**
 * `work`, tried up to `attempts` times with a short backoff (400 ms, 800 ms, …): for a feed's writes,
 * where a failed attempt of the whole activity would drop the subscription and what it delivered.
 */
export async function withRetries<T>(
  log: Logger,
  what: string,
  work: () => Promise<T>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      log.warn({ err: errorMessage(error), attempt }, `${what} failed; retrying`);
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
