/**
 * One local Supabase project of the stack as a unit a person can switch off and on (the drill of
 * docs/failover.md): `stop` closes its API, then stops its Postgres, so every client gets
 * "connection refused", as when a hosted project goes away; `start` brings the Postgres back, then
 * the API, on the same ports, with the same data and keys, so a running sync worker reconnects.
 * Actions on one project run one after the other; each says in one line what it did.
 */
import type { SupabaseApi } from './api.js';
import type { PostgresServer } from './postgres.js';

export type ProjectName = 'source' | 'target';
export const PROJECT_NAMES: readonly ProjectName[] = ['source', 'target'];

export function isProjectName(value: string): value is ProjectName {
  return (PROJECT_NAMES as readonly string[]).includes(value);
}

export interface LocalProject {
  readonly name: ProjectName;
  /** Both its API and its Postgres run. */
  running(): boolean;
  /** Stops its API and its Postgres (the data kept); one line saying what it did. */
  stop(): Promise<string>;
  /** Starts them again on the same ports; one line saying what it did. */
  start(): Promise<string>;
  /** Closes the API for good, after any action under way (the stack stops; the database is its own). */
  close(): Promise<void>;
}

export function localProject(
  name: ProjectName,
  db: PostgresServer,
  api: SupabaseApi,
  openApi: () => Promise<SupabaseApi>,
): LocalProject {
  let current: SupabaseApi | undefined = api;
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(action: () => Promise<T>): Promise<T> => {
    const next = queue.then(action, action);
    queue = next.catch(() => undefined);
    return next;
  };
  const where = `API ${api.url}, Postgres port ${db.port}`;
  const both = `its API (${api.url}) and Postgres (port ${db.port})`;
  const running = () => current !== undefined && db.running();

  const stop = async (): Promise<string> => {
    if (current === undefined && !db.running()) return `${name} is already stopped (${where})`;
    const closing = current;
    current = undefined;
    await closing?.close();
    await db.pause();
    return `${name} stopped: ${both} refuse connections; \`npm run stack -- start ${name}\` starts it again`;
  };
  const start = async (): Promise<string> => {
    if (running()) return `${name} is already running (${where})`;
    try {
      await db.resume();
    } catch (error) {
      throw new Error(`${name}'s Postgres did not start again: ${oneLine(error)}`);
    }
    try {
      current ??= await openApi();
    } catch (error) {
      throw new Error(`${name}'s API did not start again on ${api.url}: ${oneLine(error)}`);
    }
    return `${name} started again: ${where}, with the same data and keys`;
  };
  return {
    name,
    running,
    stop: () => serially(stop),
    start: () => serially(start),
    close: () =>
      serially(async () => {
        const closing = current;
        current = undefined;
        await closing?.close();
      }),
  };
}

/** An error's first line, and the FATAL one of a server log that follows it (Postgres' is long). */
function oneLine(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error)).split('\n');
  const fatal = lines.slice(1).find((l) => /\b(FATAL|PANIC):/.test(l));
  return [lines[0]!.trim(), fatal?.trim()].filter(Boolean).join(' ');
}
