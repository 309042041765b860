/**
 * Sending a request (an update) to a table workflow so that it applies now or never. The CLI
 * checks first that a worker polls (workers.ts); the request carries a deadline (`notAfter`,
 * ACCEPT_WINDOW_MS ahead) after which the workflow's validator refuses it, and the CLI waits for
 * the workflow to accept it until that deadline plus CLOCK_MARGIN_MS. Temporal keeps an update
 * that no worker took and hands it to the next worker that starts: refused then, as expired, it
 * never applies after the CLI gave up. Once accepted it applies; the CLI then waits for its result
 * with a progress line every few seconds, up to a deadline, and says so if it stops waiting.
 */
import { randomUUID } from 'node:crypto';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import type { RequestOptions } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { CliError, clock, duration } from './common.js';
import { notRunningMessage, type Target } from './targets.js';

/** The workflow refuses a request it sees later than this after it was sent. */
export const ACCEPT_WINDOW_MS = 3000;
/** How much longer the CLI waits for acceptance: a clock difference up to this is safe. */
export const CLOCK_MARGIN_MS = 2000;
const PROGRESS_EVERY_MS = 5000;

export interface RequestSpec {
  /** `pause`, `resume`, … as the user reads it. */
  what: string;
  /** The update's name (messages.ts) and its arguments before the RequestOptions. */
  update: string;
  args?: unknown[];
  /** How long to wait for the result once accepted, and what it waits for. */
  resultTimeoutMs: number;
  waitingFor: string;
}

/** Ctrl-C while a request is in flight: what became of it is printed, exit 130. */
export class Interrupted extends CliError {
  constructor(message: string) {
    super(message, 130);
  }
}

/** Runs `work` with an AbortSignal that fires at `ms` or on Ctrl-C; resolves which happened. */
async function bounded<T>(
  c: Client,
  ms: number,
  interrupted: AbortSignal,
  work: () => Promise<T>,
): Promise<{ value?: T; timedOut: boolean; interrupted: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const onInterrupt = () => controller.abort();
  interrupted.addEventListener('abort', onInterrupt, { once: true });
  try {
    const value = await c.withAbortSignal(controller.signal, work);
    return { value, timedOut: false, interrupted: false };
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    return { timedOut: !interrupted.aborted, interrupted: interrupted.aborted };
  } finally {
    clearTimeout(timer);
    interrupted.removeEventListener('abort', onInterrupt);
  }
}

export async function sendRequest<T>(
  c: Client,
  target: Target,
  spec: RequestSpec,
  interrupted: AbortSignal,
): Promise<T> {
  const notAfter = Date.now() + ACCEPT_WINDOW_MS;
  const request: RequestOptions = { notAfter };
  const workflow = c.workflow.getHandle(target.workflowId);
  let handle: WorkflowUpdateHandle<T>;
  try {
    const accepted = await bounded(c, ACCEPT_WINDOW_MS + CLOCK_MARGIN_MS, interrupted, () =>
      workflow.startUpdate<T, [unknown, ...unknown[]]>(spec.update, {
        args: [...(spec.args ?? []), request] as unknown as [unknown, ...unknown[]],
        waitForStage: 'ACCEPTED',
        updateId: randomUUID(),
      }),
    );
    if (!accepted.value) {
      const never = `not applied, and it never will be (it expired at ${clock(notAfter)})`;
      if (accepted.interrupted)
        throw new Interrupted(`${target.name}: interrupted before the ${spec.what} was accepted: ${never}`);
      throw new CliError(
        `${target.name}: no worker took the ${spec.what} within ${duration(ACCEPT_WINDOW_MS + CLOCK_MARGIN_MS)}: ${never}; is a worker running on this task queue? (npm run sync)`,
      );
    }
    handle = accepted.value;
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof WorkflowNotFoundError) throw new CliError(notRunningMessage(target));
    throw new CliError(`${target.name}: ${spec.what} not sent: ${errorMessage(error)}`);
  }
  return awaitResult(c, target, spec, handle, interrupted);
}

/** The accepted request's result, with a progress line every few seconds, up to its deadline. */
async function awaitResult<T>(
  c: Client,
  target: Target,
  spec: RequestSpec,
  handle: WorkflowUpdateHandle<T>,
  interrupted: AbortSignal,
): Promise<T> {
  const began = Date.now();
  const progress = setInterval(
    () =>
      console.error(
        `${target.name}: ${spec.what} accepted; waiting for ${spec.waitingFor} (${duration(Date.now() - began)}) …`,
      ),
    PROGRESS_EVERY_MS,
  );
  try {
    const done = await bounded(c, spec.resultTimeoutMs, interrupted, () => handle.result());
    if (!done.timedOut && !done.interrupted) return done.value as T;
    const applies = `the ${spec.what} was accepted and takes effect when ${spec.waitingFor} ends (supabase-sync status ${target.name})`;
    if (done.interrupted) throw new Interrupted(`${target.name}: stopped waiting: ${applies}`);
    throw new CliError(`${target.name}: no result after ${duration(spec.resultTimeoutMs)}: ${applies}`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof WorkflowUpdateFailedError) {
      throw new CliError(`${target.name}: ${spec.what} refused: ${errorMessage(error.cause ?? error)}`);
    }
    throw new CliError(`${target.name}: ${spec.what}: ${errorMessage(error)}`);
  } finally {
    clearInterval(progress);
  }
}
