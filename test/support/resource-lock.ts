/**
 * A lock between test files that run at the same time (test/run.ts runs several at once) on a
 * part of the stack that cannot be given to each file alone: a project's `auth.users` is one table
 * per project, so a file that compares all of it with the target (auth users sync, the failover
 * drill) holds it exclusively, and files that only add users of their own hold it shared.
 *
 * Files in $TEST_LOCK_DIR (the harness's): an exclusive holder is a directory `NAME.exclusive`
 * (mkdir is atomic), a shared one a file `NAME.shared.PID`. An exclusive request first takes the
 * directory (so that no new shared holder starts), then waits for the shared holders to finish;
 * a shared request adds its file, then backs off while an exclusive one exists. A holder whose
 * process has ended no longer counts, so a test file's lock ends with it, killed or not.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

export type LockMode = 'exclusive' | 'shared';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exclusiveHolder(dir: string): Promise<number | 'starting' | undefined> {
  try {
    const pid = Number(await readFile(path.join(dir, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : 'starting';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The directory without its pid file yet: its holder is writing it.
    return code === 'ENOENT' && (await readdir(dir).catch(() => undefined)) ? 'starting' : undefined;
  }
}

/** Is an exclusive holder there (removing one whose process died)? */
async function exclusiveHeld(dir: string): Promise<boolean> {
  const holder = await exclusiveHolder(dir);
  if (holder === undefined) return false;
  if (holder === 'starting' || alive(holder)) return true;
  await rm(dir, { recursive: true, force: true });
  return false;
}

async function sharedHolders(lockDir: string, name: string): Promise<number[]> {
  const prefix = `${name}.shared.`;
  const pids = (await readdir(lockDir))
    .filter((f) => f.startsWith(prefix))
    .map((f) => Number(f.slice(prefix.length)));
  return pids.filter((pid) => pid !== process.pid && alive(pid));
}

/** Waits for the lock (polling every 100 ms); it is held until this process ends. Without a harness: no lock. */
async function lockResource(name: string, mode: LockMode): Promise<void> {
  const lockDir = process.env.TEST_LOCK_DIR;
  if (!lockDir) return;
  const exclusiveDir = path.join(lockDir, `${name}.exclusive`);
  if (mode === 'exclusive') {
    for (;;) {
      try {
        await mkdir(exclusiveDir);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (!(await exclusiveHeld(exclusiveDir))) continue;
        await delay(100);
      }
    }
    await writeFile(path.join(exclusiveDir, 'pid'), String(process.pid));
    while ((await sharedHolders(lockDir, name)).length > 0) await delay(100);
    return;
  }
  const mine = path.join(lockDir, `${name}.shared.${process.pid}`);
  for (;;) {
    await writeFile(mine, '');
    if (!(await exclusiveHeld(exclusiveDir))) break;
    await rm(mine, { force: true });
    await delay(100);
  }
}

/**
 * Holds the lock for the rest of the test file that calls this, from its first `before` until its
 * process ends: after every `after` hook has cleaned up (a process that has ended holds nothing).
 */
export function holdDuringFile(name: string, mode: LockMode): void {
  before(async () => {
    await lockResource(name, mode);
  });
}
