/**
 * Version arithmetic: the values of a table's version column (a timestamp, a date or a number, as
 * the REST API returns them) compared as the database compares them. Used by the workflow's
 * checkpoint (decisions.ts) and by the activities' page cursors; deterministic, no Node built-ins.
 */

/** A version with a date but no time zone: a `timestamp` (without time zone) or `date` column. */
function isZoneless(version: string): boolean {
  return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(version);
}

/**
 * A timestamp version as milliseconds, or undefined for versions that are not timestamps. Zoneless
 * values are read as UTC, whatever the worker's time zone, so arithmetic on them stays exact.
 */
function versionMillis(version: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(version)) return undefined;
  const text = version.replace(' ', 'T');
  const ms = Date.parse(isZoneless(version) ? `${text.includes('T') ? text : `${text}T00:00:00`}Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Compares two versions as the database would (timestamps by instant, numbers numerically). */
export function compareVersions(a: string, b: string): number {
  const am = versionMillis(a);
  const bm = versionMillis(b);
  if (am !== undefined && bm !== undefined && am !== bm) return am - bm;
  if (am !== undefined && bm !== undefined) {
    // Same millisecond: compare the fractional digits beyond it as text (same format from one API).
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const an = Number(a);
  const bn = Number(b);
  if (!Number.isNaN(an) && !Number.isNaN(bn)) return an - bn;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The newer of a cursor and a version seen: a cursor never moves backwards. */
export function advanceCursor(current: string | null, seen: string | null): string | null {
  if (seen === null) return current;
  if (current === null || seen === current) return seen;
  return compareVersions(seen, current) > 0 ? seen : current;
}

/**
 * Where an incremental pass starts reading: the checkpoint minus the lookback window, so rows
 * committed late (a long transaction that stamped its rows before the checkpoint) are read again.
 * Versions that are not timestamps have no lookback.
 */
export function reconcileFrom(cursor: string | null, lookbackMs: number): string | null {
  return cursor === null ? null : shiftedVersion(cursor, -lookbackMs);
}

/** A timestamp version moved by `ms` (other versions as they are). */
export function shiftedVersion(version: string, ms: number): string {
  const at = versionMillis(version);
  if (at === undefined) return version;
  const moved = new Date(at + ms).toISOString();
  // Keep a zoneless version zoneless: the database compares it as a local timestamp.
  return isZoneless(version) ? moved.slice(0, -1) : moved;
}

/** A row's version as text (the cursor's form), or null when it has none. */
export function versionOf(row: Record<string, unknown>, column: string | null): string | null {
  if (!column) return null;
  const value = row[column];
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
