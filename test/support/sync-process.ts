/**
 * `npm run sync` as a user runs it: `node bin/run.mjs src/sync.ts` in the project root, configured
 * by an env file and a tables file (in `dir`: sync.env and tables.json unless given), its output
 * collected for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface SyncProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output: () => string;
  exited: Promise<number | null>;
}

export function spawnSyncProcess(
  dir: string,
  options: { args?: string[]; env?: Record<string, string>; script?: string } = {},
): SyncProcess {
  let output = '';
  const child = spawn(
    process.execPath,
    ['bin/run.mjs', options.script ?? 'src/sync.ts', ...(options.args ?? [])],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SYNC_ENV_PATH: path.join(dir, 'sync.env'),
        SYNC_TABLE_CONFIG: path.join(dir, 'tables.json'),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
