/** Await a condition with a deadline (never a fixed sleep as synchronisation). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: {
    timeoutMs?: number;
    intervalMs?: number;
    message?: string | (() => string | Promise<string>);
  } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let interval = options.intervalMs ?? 25;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const message = typeof options.message === 'function' ? await options.message() : options.message;
      throw new Error(
        `timed out after ${timeoutMs} ms${message ? `: ${message}` : ''}${lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, interval));
    // Unless told: every 25 ms at first, then less often, up to every 100 ms: a long wait does not
    // load the stack (and the other test files) with probes, and an arrival is seen within 100 ms.
    if (options.intervalMs === undefined) interval = Math.min(100, interval * 1.5);
  }
}
