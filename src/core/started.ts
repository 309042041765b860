/**
 * A read started now and awaited later, so that independent requests run at once while their
 * errors are still met in the order the caller awaits them: a failure no one has awaited yet is not
 * an unhandled rejection.
 */
export function started<T>(read: () => Promise<T>): Promise<T> {
  const p = read();
  p.catch(() => undefined);
  return p;
}
