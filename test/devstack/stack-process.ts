/**
 * `npm run stack` as a process for the tests: started in a process group of its own as a terminal
 * or a script starts it, and everything it runs — found by the process tree below npm when it is
 * ready, so the processes of other stacks on the machine are never mistaken for its own.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'dotenv';
import { waitFor } from '../support/wait.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Proc {
  pid: number;
  ppid: number;
  args: string;
}

/** Every live process (zombies, which have ended, left out). */
export function processTable(): Proc[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' });
  return out.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || m[3]!.startsWith('Z')) return [];
    return [{ pid: Number(m[1]), ppid: Number(m[2]), args: m[4]! }];
  });
}

export function descendants(pid: number, table = processTable()): Proc[] {
  const found: Proc[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of table) {
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  return found;
}

/** Those of `procs` still running (the same pid with the same command line). */
export function stillRunning(procs: Proc[]): Proc[] {
  const now = processTable();
  return procs.filter((p) => now.some((q) => q.pid === p.pid && q.args === p.args));
}

export interface StackProcess {
  npm: ChildProcess;
  envFile: string;
  output(): string;
  /** npm's exit code (or signal). */
  exited: Promise<number | string>;
  /** The stack's own process (devstack/cli.ts). */
  node: number;
  /** Everything below npm once the stack was ready: node, the guards, the servers. */
  processes: Proc[];
  /** Its temporary directories: Postgres data, Storage files. */
  tempDirs: string[];
  /** The env file's values. */
  env: Record<string, string>;
  readySeconds: number;
}

/**
 * `npm run stack -- --env-file ENVFILE --no-ui`; resolves once it printed `stack ready`. It starts
 * a Temporal server of its own, unless given the address of one to use (the harness's). With
 * `viaShell`, npm is started by `sh -c`, which stays its parent.
 */
export async function startStackProcess(
  envFile: string,
  options: { temporalAddress?: string; viaShell?: boolean } = {},
): Promise<StackProcess> {
  const args = ['run', 'stack', '--', '--env-file', envFile, '--no-ui'];
  // viaShell: npm started by a shell script that waits for it (`npm` is then that shell).
  const [command, argv] = options.viaShell
    ? ['sh', ['-c', `npm ${args.map((a) => `'${a}'`).join(' ')}; true`]]
    : ['npm', args];
  const npm = spawn(command, argv, {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: options.temporalAddress ?? '', TEMPORAL_NAMESPACE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  npm.stdout.on('data', (d: Buffer) => (output += d.toString()));
  npm.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    npm.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  await waitFor(() => output.includes('stack ready'), { timeoutMs: 30_000, message: () => output });
  const processes = descendants(npm.pid!);
  const node = processes.find((p) => p.args.includes('devstack/cli.ts'));
  if (!node) throw new Error(`no devstack/cli.ts below npm:\n${processes.map((p) => p.args).join('\n')}`);
  const dataDirs = processes.flatMap((p) => /\s-D (\S+)/.exec(p.args)?.[1] ?? []);
  const storageDirs = /Storage files\s+(\S+) \(source\), (\S+) \(target\)/.exec(output)?.slice(1) ?? [];
  return {
    npm,
    envFile,
    output: () => output,
    exited,
    node: node.pid,
    processes,
    tempDirs: [...new Set(dataDirs), ...storageDirs],
    env: parse(await readFile(envFile, 'utf8')),
    readySeconds: Number(/stack ready in ([\d.]+) s/.exec(output)?.[1]),
  };
}

/** `npm run stack -- --env-file ENVFILE ARGS` to its end: a command to the running stack. */
export function stackCommand(
  envFile: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      'npm',
      ['run', '--silent', 'stack', '--', '--env-file', envFile, ...args],
      { cwd: root, env: { ...process.env, TEMPORAL_ADDRESS: '' } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    ),
  );
}

/** Last resort for a test that failed: SIGKILL what is left of the stack. */
export function killLeftovers(stack: StackProcess): void {
  if (stack.npm.exitCode === null && stack.npm.signalCode === null) stack.npm.kill('SIGKILL');
  for (const p of stillRunning(stack.processes)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
