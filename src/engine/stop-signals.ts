/**
 * SIGINT (Ctrl-C) and SIGTERM as one AbortSignal for a process that stops in order: the first
 * signal aborts it (its reason is the signal's name), a later one only calls `again` (the stop is
 * under way: a second Ctrl-C does not cut it short). Listening from the start, not only once the
 * worker runs, so a stop during start-up is clean too.
 *
 * npm forwards SIGINT and SIGTERM to its script's process, which is this one (the scripts `exec`
 * node: package.json). A Ctrl-C in a terminal or a SIGTERM to the process group, which reach npm
 * and this process both, thus arrive here twice within a millisecond or so: a repeat of the same
 * signal within REPEAT_MS is that same request, not a second one.
 *
 * With `parent: true`, the death of the parent process (npm SIGKILLed, a supervisor gone) is a
 * stop request too (reason `parent exited`), for processes that own servers: nothing else would
 * stop them. Seen within a second: process.ppid changes when the parent dies (the orphan is
 * adopted by init or a subreaper). When the parent is npm (`npm run stack`, `npm start`), npm's own
 * parent is watched too: npm outlives the shell or supervisor that started it, so its death is the
 * parent's death a user means (read from /proc; where there is none, only the direct parent).
 */
import { readFileSync } from 'node:fs';
export interface StopSignals {
  signal: AbortSignal;
  /** `SIGINT`, `SIGTERM`, `parent exited`, or what the signal was aborted with. */
  reason(): string;
  dispose(): void;
}

const REPEAT_MS = 1000;
const PARENT_CHECK_MS = 1000;

/** The parent of process `pid` (/proc/PID/stat's fourth field), or undefined where it cannot be read. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Whether process `pid` is npm (its command line names npm's CLI). */
function isNpm(pid: number): boolean {
  try {
    // npm sets its title (`npm run stack …`, spaces), else `node …/npm-cli.js run …` (NULs).
    return /(^|[/\0])npm(-cli\.js)?([\0 ]|$)/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/** True once the parent, or npm's parent when the parent is npm, is no longer the one at start. */
function parentGone(): () => boolean {
  const parent = process.ppid;
  const grandparent = isNpm(parent) ? parentOf(parent) : undefined;
  return () => {
    if (process.ppid !== parent) return true;
    if (grandparent === undefined) return false;
    const now = parentOf(parent);
    return now !== undefined && now !== grandparent;
  };
}

export function listenForStop(
  hooks: { first?: (name: string) => void; again?: (name: string) => void; parent?: boolean } = {},
): StopSignals {
  const controller = new AbortController();
  let last: { name: string; at: number } | undefined;
  const request = (name: string) => {
    const now = Date.now();
    if (last && last.name === name && now - last.at < REPEAT_MS) return;
    last = { name, at: now };
    if (controller.signal.aborted) return hooks.again?.(name);
    hooks.first?.(name);
    controller.abort(name);
  };
  const onInt = () => request('SIGINT');
  const onTerm = () => request('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const gone = hooks.parent ? parentGone() : () => false;
  const parentWatch = hooks.parent
    ? setInterval(() => {
        if (!gone()) return;
        clearInterval(parentWatch);
        request('parent exited');
      }, PARENT_CHECK_MS).unref()
    : undefined;
  return {
    signal: controller.signal,
    reason: () => reasonOf(controller.signal),
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      clearInterval(parentWatch);
    },
  };
}

/** The name a stop signal was aborted with. */
export function reasonOf(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'stop requested';
}
