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
