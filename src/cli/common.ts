/** What the CLI's commands share: one-line errors with exit codes, config, the Temporal client, formats, Ctrl-C. */
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, projectsLine, readEnvSources } from '../config/index.js';
import type { SyncConfig } from '../contracts/config.js';
import { errorMessage } from '../core/errors.js';
import { connectClient } from '../temporal/connection.js';

/** An error shown as one line (`supabase-sync: …`), exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

let projects: string | undefined;
let announced = false;

/**
 * Says on stderr which two projects the command acts on and where their URLs came from
 * (config/projects-line.ts): once, before it acts (connects) or fails, so that it is the command's
 * first line; a usage error (exit 2) found before is one line without it.
 */
export function announceProjects(): void {
  if (projects === undefined || announced) return;
  announced = true;
  console.error(projects);
}

/** The configuration (announced by announceProjects). */
export function config(): SyncConfig {
  try {
    const cfg = loadConfig();
    projects ??= projectsLine(cfg, readEnvSources());
    return cfg;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 2);
    throw error;
  }
}

export async function client(cfg: SyncConfig): Promise<Client> {
  announceProjects();
  try {
    const c = await connectClient(cfg);
    await c.connection.workflowService.getSystemInfo({});
    return c;
  } catch (error) {
    throw new CliError(
      `Temporal is not reachable at ${cfg.temporal.address} (${errorMessage(error)}): start it or set TEMPORAL_ADDRESS`,
    );
  }
}

/** A positive number of seconds from an option (`--interval 2`, `0.5`). */
export function seconds(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`${option} "${value}": a positive number of seconds`, 2);
  return n;
}

export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

/** `2025-11-24 19:40:12Z`: a compact UTC time. */
export function clock(ms: number | Date): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function duration(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Resolves after `ms`, or at once when `signal` aborts (Ctrl-C in a watch loop). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

let interrupt: AbortController | undefined;

/**
 * An AbortSignal fired by Ctrl-C / SIGTERM (one per process): a command stops waiting and says what
 * became of its work. A second Ctrl-C ends the process at once.
 */
export function interruptSignal(): AbortSignal {
  if (!interrupt) {
    const controller = new AbortController();
    interrupt = controller;
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  return interrupt.signal;
}
