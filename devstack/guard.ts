/**
 * The owner's side of guard.sh (the mechanism is described there): every server the stack starts
 * and every temporary path it makes is held by a guard, so nothing outlives the stack, even when
 * its process is SIGKILLed. Stopping is one path for every end: close the guard's stdin, await
 * its exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./guard.sh', import.meta.url));

export interface GuardOptions {
  /** The command's stop signal (default TERM), and how long it has before SIGKILL (default 5 s). */
  signal?: 'INT' | 'TERM';
  graceSeconds?: number;
  /** Removed when the guard ends. */
  remove?: string[];
  /** Removed when the guard ends and the command failed (or was stopped). */
  removeOnFailure?: string[];
  /** Removed when the guard ends if its first line is still `line`. */
  removeIfFirstLine?: { file: string; line: string };
  /** A guard of paths alone: send `signal` to this process too, unless kept (see guard.sh). */
  kill?: number;
  /** Run the guard (and so the command) as this user. */
  user?: { uid: number; gid: number };
  env?: NodeJS.ProcessEnv;
}

export interface Guard {
  /** The guard process; its stdout and stderr are the command's. */
  child: ChildProcess;
  /** The command's exit code once the guard has ended (its paths removed). */
  exited: Promise<number>;
  /** Stop the command, remove the paths, and await the guard's end. */
  stop(): Promise<number>;
  /** Stop the command but keep the paths (SIGUSR1 to the guard first: guard.sh), and await the end. */
  release(): Promise<number>;
}

function guardArgs(options: GuardOptions): string[] {
  return [
    ...['--signal', options.signal ?? 'TERM'],
    ...['--grace', String(options.graceSeconds ?? 5)],
    ...(options.remove ?? []).flatMap((p) => ['--rm', p]),
    ...(options.removeOnFailure ?? []).flatMap((p) => ['--rm-on-failure', p]),
    ...(options.removeIfFirstLine
      ? ['--rm-if-first-line', options.removeIfFirstLine.file, options.removeIfFirstLine.line]
      : []),
    ...(options.kill !== undefined ? ['--kill', String(options.kill)] : []),
  ];
}

/** Starts `command` under a guard (its own process group, stdout and stderr piped to us). */
export function guard(command: string[], options: GuardOptions = {}): Guard {
  const child = spawn('/bin/sh', [script, ...guardArgs(options), '--', ...command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: options.env ?? process.env,
    ...options.user,
  });
  return wrap(child);
}

/**
 * A guard of paths alone: they are removed (and `kill` signalled) when it is stopped or when this
 * process dies.
 */
export interface PathGuard extends Guard {
  /** Leave the paths where they are, spare `kill` (and end the guard). */
  keep(): Promise<number>;
}

export function guardPaths(paths: string[], options: GuardOptions = {}): PathGuard {
  const child = spawn('/bin/sh', [script, ...guardArgs({ ...options, remove: paths })], {
    stdio: ['pipe', 'ignore', 'inherit'],
    detached: true,
    ...options.user,
  });
  // Until it is stopped, it must not keep this process alive (its pipe closes when we exit); once
  // stopped, this process waits for it.
  const stdin = child.stdin as Socket;
  child.unref();
  stdin.unref();
  const guarded = wrap(child);
  const end = (last: string) => {
    child.ref();
    stdin.ref();
    stdin.end(last);
    return guarded.exited;
  };
  return { ...guarded, stop: () => end(''), keep: () => end('keep\n') };
}

function wrap(child: ChildProcess): Guard {
  // The guard may have ended already (its command failed): writing to it is then no error.
  child.stdin?.on('error', () => {});
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
  const stop = () => {
    child.stdin?.end();
    return exited;
  };
  const release = () => {
    try {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGUSR1');
    } catch {
      // ended meanwhile: nothing is left to keep
    }
    return stop();
  };
  return { child, exited, stop, release };
}
