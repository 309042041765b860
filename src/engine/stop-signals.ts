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
 * adopted by init or a subreaper).
 */
export interface StopSignals {
  signal: AbortSignal;
  /** `SIGINT`, `SIGTERM`, `parent exited`, or what the signal was aborted with. */
  reason(): string;
  dispose(): void;
}

const REPEAT_MS = 1000;
const PARENT_CHECK_MS = 1000;

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
  const parentAtStart = process.ppid;
  const parentWatch = hooks.parent
    ? setInterval(() => {
        if (process.ppid === parentAtStart) return;
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
