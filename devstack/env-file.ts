/**
 * The env file of a local stack (KEY=value lines, mode 0600: it holds service role keys and JWT secrets).
 * `npm run stack` writes its own (default .env.sync) for as long as it runs: the first line names
 * its pid. A file whose first line is not a stack's is someone's own and is never overwritten; one
 * whose stack still runs belongs to that stack; one of a stack that is gone is overwritten. The
 * stack removes its file when it stops (a guard does if it is killed), unless it was changed.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

const WRITTEN_BY = '# Written by `npm run stack`';
const ABOUT = 'the local Supabase projects and Temporal server.';

/** The first line of the env file of the stack running as `pid`. */
export function ownerLine(pid: number): string {
  return `${WRITTEN_BY} (pid ${pid}), which removes it when it stops: ${ABOUT}`;
}

/** Writes the env file atomically; with `ownerPid`, as that stack's own. Returns what it wrote. */
export async function writeEnvFile(
  file: string,
  env: Record<string, string>,
  ownerPid?: number,
): Promise<string> {
  const lines = [
    ownerPid === undefined ? `${WRITTEN_BY}: ${ABOUT}` : ownerLine(ownerPid),
    '# STACK_* are for tests and tools only; the sync worker never reads them.',
    '# STACK_*_DATABASE_URL log in as postgres (not a superuser, as on hosted projects);',
    '# STACK_*_ADMIN_DATABASE_URL as the superuser supabase_admin, which hosted projects never give out.',
    "# STACK_*_ANON_KEY is the project's anon key; STACK_*_JWT_SECRET signs its keys and users' tokens.",
    ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
    '',
  ];
  const content = lines.join('\n');
  const resolved = path.resolve(file);
  await mkdir(path.dirname(resolved), { recursive: true });
  const temp = `${resolved}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  await rename(temp, resolved);
  return content;
}

/** Is `pid` a running `npm run stack` (devstack/cli.ts)? Where /proc is missing: is it running. */
async function stackRuns(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!existsSync('/proc')) return true;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('cli.ts');
}

/** Why this stack may not write `file`, or undefined when it may. */
export async function envFileRefusal(file: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const first = content.split('\n', 1)[0]!;
  if (!first.startsWith(WRITTEN_BY)) {
    return `${file} exists and was not written by \`npm run stack\`: it is left as it is; pass --env-file PATH to write the stack's env file elsewhere`;
  }
  const pid = Number(/\(pid (\d+)\)/.exec(first)?.[1]);
  if (pid && pid !== process.pid && (await stackRuns(pid))) {
    return `${file} belongs to the stack running as pid ${pid}: stop that one first, or pass --env-file PATH to write this one's elsewhere`;
  }
  return undefined;
}

/** Is `file` still exactly what this stack wrote? */
export async function unchanged(file: string, written: string): Promise<boolean> {
  return (await readFile(file, 'utf8').catch(() => undefined)) === written;
}
