/**
 * The message a person should read for an error. Temporal wraps the real error of an activity or a
 * child workflow in `cause` (ActivityFailure → ApplicationFailure, …): the innermost message wins.
 * Deterministic and free of Node built-ins: workflow code uses it too.
 */
export function errorMessage(error: unknown): string {
  let e = error as { message?: unknown; cause?: unknown } | undefined;
  while (e?.cause && typeof (e.cause as { message?: unknown }).message === 'string') e = e.cause;
  return typeof e?.message === 'string' ? e.message : String(error);
}

/**
 * The kind of a SyncError (`config`, `schema`, `auth`, `migration`, `unavailable`, `conflict`,
 * `request`) behind an error, however Temporal wrapped it: activities fail with an
 * ApplicationFailure of type `SyncError:<kind>` (src/activities/errors.ts). Undefined for others.
 */
export function errorKind(error: unknown): string | undefined {
  let e = error as { type?: unknown; kind?: unknown; name?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 10; depth++) {
    if (typeof e.type === 'string' && e.type.startsWith('SyncError:'))
      return e.type.slice('SyncError:'.length);
    if (e.name === 'SyncError' && typeof e.kind === 'string') return e.kind;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Kinds of error a person must fix (the table waits, retrying at its interval, until they do). */
export const NEEDS_A_PERSON: readonly string[] = ['schema', 'config', 'migration', 'auth'];

/**
 * Collapses any line breaks (e.g. from a parser message) so a message stays on one line; with
 * `maxChars`, a longer one is cut there (…).
 */
export function oneLine(text: string, maxChars = Infinity): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return line.length > maxChars ? `${line.slice(0, maxChars)}…` : line;
}
