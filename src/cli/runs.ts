/**
 * Waiting for a workflow run the CLI started (`verify`) or triggered (`schedule trigger --wait`):
 * a progress line every 10 s, and the worker watched meanwhile. If no worker takes the run up
 * within 10 s, or the worker goes away, or on Ctrl-C, the CLI stops waiting and says what becomes
 * of the run: a run it started is terminated (nothing of it happens later); a scheduled run goes on.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import { CliError, duration, interruptSignal } from './common.js';
import { noWorkerLine, workerPresence } from './workers.js';

const TICK_MS = 10_000;

export interface RunWait {
  /** `verify run verify-…` as the user reads it. */
  what: string;
  /** Terminate the run when the CLI stops waiting (a run the CLI started for itself). */
  terminate: boolean;
}

async function giveUp(handle: WorkflowHandle, wait: RunWait, why: string, exitCode: number): Promise<never> {
  if (wait.terminate) {
    await handle.terminate(`supabase-sync: ${why}`).catch(() => undefined);
    throw new CliError(`${why}: ${wait.what} terminated (nothing more of it is done)`, exitCode);
  }
  throw new CliError(
    `${why}: stopped waiting; ${wait.what} goes on (its result: supabase-sync schedule describe)`,
    exitCode,
  );
}

/** The run's result, or a CliError saying why the CLI stopped waiting. The run's own failure is rethrown. */
export async function awaitRun<T>(
  c: Client,
  cfg: SyncConfig,
  handle: WorkflowHandle,
  wait: RunWait,
): Promise<T> {
  const interrupted = interruptSignal();
  const began = Date.now();
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  interrupted.addEventListener('abort', onInterrupt, { once: true });
  const result = c.withAbortSignal(stop.signal, () => handle.result() as Promise<T>);
  // Settled here or below: never an unhandled rejection.
  result.catch(() => undefined);
  const aborted = new Promise<'interrupted'>((resolve) =>
    stop.signal.addEventListener('abort', () => resolve('interrupted'), { once: true }),
  );
  try {
    for (;;) {
      const tick = new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), TICK_MS).unref());
      const outcome = await Promise.race([result.then(() => 'done' as const), tick, aborted]);
      if (outcome === 'done') return await result;
      if (outcome === 'interrupted') return await giveUp(handle, wait, 'interrupted', 130);
      const presence = await workerPresence(c, cfg.temporal);
      if (!presence.live) return await giveUp(handle, wait, noWorkerLine(presence), 1);
      // Taken up by no worker at all (its first workflow task never started)?
      const { historyLength } = await handle.describe();
      if (historyLength < 3)
        return await giveUp(
          handle,
          wait,
          `no worker took ${wait.what} up within ${duration(Date.now() - began)}`,
          1,
        );
      console.error(`${wait.what}: running (${duration(Date.now() - began)}) …`);
    }
  } catch (error) {
    if (error instanceof CliError || !stop.signal.aborted) throw error;
    return await giveUp(handle, wait, 'interrupted', 130);
  } finally {
    interrupted.removeEventListener('abort', onInterrupt);
    stop.abort();
  }
}
