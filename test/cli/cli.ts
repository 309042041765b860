/**
 * Runs the `supabase-sync` CLI as a user does (`node bin/supabase-sync.mjs …`), configured by an
 * env file and a tables file in a temp dir, against the harness's stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envFileText, testTmpDir } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stderr's first line when it names the two projects the command acts on (PROJECTS), else null. */
  projects: string | null;
  /** stderr after that line: what the command says besides it. */
  said: string;
}

/** The first line of a command that acts on projects: their URLs and where each came from. */
export const PROJECTS = /^projects: source (\S+) \(from ([^)]+)\) → target (\S+) \(from ([^)]+)\)\n/;

function result(code: number | null, stdout: string, stderr: string): CliResult {
  const first = PROJECTS.exec(stderr);
  return {
    code,
    stdout,
    stderr,
    projects: first ? first[0].trimEnd() : null,
    said: first ? stderr.slice(first[0].length) : stderr,
  };
}

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<CliResult>;
}

export interface SyncRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Waits for a line of `npm run sync`'s output (its JSON log), with a deadline. */
export async function untilLogged(run: SyncRun, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    () => {
      if (run.child.exitCode !== null) throw new Error(`npm run sync exited (${run.child.exitCode})`);
      return pattern.test(run.output());
    },
    { timeoutMs, intervalMs: 100, message: () => `npm run sync did not log ${pattern}:\n${run.output()}` },
  );
}

/** Stops `npm run sync` (SIGTERM, then SIGKILL after 30 s) and returns its exit code. */
export async function stopSync(run: SyncRun, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (run.child.exitCode !== null) return run.child.exitCode;
  run.child.kill(signal);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
  const code = await run.exited;
  clearTimeout(timer);
  return code;
}

export class CliEnv {
  private constructor(
    readonly dir: string,
    readonly taskQueue: string,
  ) {}

  /** Writes `sync.env` (the harness's stack, this task queue) and `tables.json` (these tables). */
  static async create(taskQueue: string, tables: Array<string | Record<string, unknown>>): Promise<CliEnv> {
    const dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-cli-'));
    await writeFile(path.join(dir, 'sync.env'), envFileText(taskQueue));
    const env = new CliEnv(dir, taskQueue);
    await env.writeTables(tables);
    return env;
  }

  writeTables(tables: Array<string | Record<string, unknown>>, file = 'tables.json'): Promise<void> {
    return writeFile(
      path.join(this.dir, file),
      JSON.stringify({ tables: tables.map((t) => (typeof t === 'string' ? { name: t } : t)) }),
    );
  }

  /** Any command in the project root with this configuration (e.g. the CLI under `script`). */
  spawnRaw(command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
    return spawn(command, args, {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SYNC_ENV_PATH: path.join(this.dir, 'sync.env'),
        SYNC_TABLE_CONFIG: path.join(this.dir, 'tables.json'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Starts the CLI; `done` resolves with its exit code and output. */
  start(args: string[], env: Record<string, string> = {}): CliRun {
    let stdout = '';
    let stderr = '';
    const child = this.spawnRaw(process.execPath, ['bin/supabase-sync.mjs', ...args], env);
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<CliResult>((resolve) =>
      child.on('close', (code) => resolve(result(code, stdout, stderr))),
    );
    return { child, stdout: () => stdout, stderr: () => stderr, done };
  }

  run(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return this.start(args, env).done;
  }

  /** `npm run sync` (src/sync.ts) with this configuration; its stdout and stderr in `output()`. */
  startSync(args: string[] = [], env: Record<string, string> = {}): SyncRun {
    let output = '';
    const child = this.spawnRaw(process.execPath, ['bin/run.mjs', 'src/sync.ts', ...args], {
      SYNC_METRICS_ADDRESS: 'off',
      ...env,
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** For assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
