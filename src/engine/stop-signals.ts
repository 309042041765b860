/**
 * SIGINT (Ctrl-C) and SIGTERM as one AbortSignal for a process that stops in order: the first
 * signal aborts it (its reason is the signal's name), a later one only calls `again` (the stop is
 * under way: a second Ctrl-C does not cut it short). Listening from the start, not only once the
 * worker runs, so a stop during start-up is clean too.
 */
export interface StopSignals {
  signal: AbortSignal;
  /** `SIGINT`, `SIGTERM`, or what the signal was aborted with. */
  reason(): string;
  dispose(): void;
}

export function listenForStop(
  hooks: { first?: (name: string) => void; again?: (name: string) => void } = {},
): StopSignals {
  const controller = new AbortController();
  const on = (name: string) => () => {
    if (controller.signal.aborted) return hooks.again?.(name);
    hooks.first?.(name);
    controller.abort(name);
  };
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    reason: () => reasonOf(controller.signal),
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/** The name a stop signal was aborted with. */
export function reasonOf(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'stop requested';
}
