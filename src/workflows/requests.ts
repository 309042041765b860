/**
 * Which requests a table workflow refuses before anything is recorded (update validators), shared
 * with the CLI so it refuses the same values with the same words before sending them. Pure: no
 * Temporal imports, no Node built-ins.
 */
import type { PassOptions, RequestOptions } from './types.js';

/** `reconcileNow`'s options: `since` must be a time. */
export function passOptionsError(options?: PassOptions): string | undefined {
  if (options?.since !== undefined && Number.isNaN(Date.parse(options.since))) {
    return `since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z (got "${options.since}")`;
  }
  return undefined;
}

/** A request seen after its `notAfter`: the CLI has given up on it, so it must not apply. */
export function expiredRequestError(request: RequestOptions | undefined, nowMs: number): string | undefined {
  const notAfter = request?.notAfter;
  if (typeof notAfter !== 'number' || nowMs <= notAfter) return undefined;
  return `this request expired at ${new Date(notAfter).toISOString()} (the workflow saw it at ${new Date(nowMs).toISOString()}) and was not applied: send it again while a worker runs`;
}
