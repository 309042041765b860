/**
 * `client.withAbortSignal` for a long-lived signal (the worker's stop request). The SDK adds an
 * `abort` listener to the signal it is given for every gRPC call made inside, and never removes it:
 * on a signal that lives as long as the process they pile up (Node's "Possible EventTarget memory
 * leak detected. 11 abort listeners" after a few calls, then a leak). Here the calls get a signal
 * of their own, aborted by one listener on the long-lived signal, removed when `work` ends.
 */
import { setMaxListeners } from 'node:events';
import type { Client } from '@temporalio/client';

export async function withStopSignal<T>(
  client: Client,
  stop: AbortSignal,
  work: () => Promise<T>,
): Promise<T> {
  const scope = new AbortController();
  // One listener per call of `work` (any number); they go with the scope once `work` ends.
  setMaxListeners(0, scope.signal);
  const abort = () => scope.abort(stop.reason);
  if (stop.aborted) abort();
  else stop.addEventListener('abort', abort, { once: true });
  try {
    return await client.withAbortSignal(scope.signal, work);
  } finally {
    stop.removeEventListener('abort', abort);
  }
}
