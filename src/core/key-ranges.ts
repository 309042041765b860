/**
 * The direct copy's key ranges (src/activities/direct-copy.ts), as pure functions: a segment of
 * the table cut at bounds read from the source, which ranges of it are left, and where the copy
 * stands once a segment is done. A segment's state rides in the chunk's heartbeat (keys and flags,
 * never rows), so a retried attempt copies only the ranges not yet finished.
 */
import type { CopyPlan, KeyRange } from '../contracts/direct-ports.js';
import type { KeyTextValues, KeyValues } from '../contracts/ports.js';

/** The ranges of one segment, and which of them are finished. */
export interface Segment {
  ranges: KeyRange[];
  finished: boolean[];
  /** The key the segment ends at; null: it runs to the end of the table. */
  end: KeyTextValues | null;
}

/**
 * The segment after `after`, cut at `bounds` (every n-th key, ascending). When the source had
 * fewer bounds than `requested`, the table ends within the segment: its last range is open.
 * Without bounds (a table shorter than one range) it is one open range.
 */
export function planSegment(
  after: KeyTextValues | null,
  bounds: KeyTextValues[],
  requested: number,
): Segment {
  const open = bounds.length < requested;
  const cuts: Array<KeyTextValues | null> = open ? [...bounds, null] : bounds;
  const ranges: KeyRange[] = [];
  let from = after;
  for (const until of cuts) {
    ranges.push({ after: from, until });
    from = until;
  }
  return { ranges, finished: ranges.map(() => false), end: open ? null : bounds[bounds.length - 1]! };
}

/** The indexes of the ranges not yet finished, in key order. */
export function rangesLeft(segment: Segment): number[] {
  return segment.ranges.flatMap((_, i) => (segment.finished[i] ? [] : [i]));
}

/** A cursor of the workflow's state (values as the API renders them) as the key text the databases take. */
export function keyText(key: KeyValues | null): KeyTextValues | null {
  return key === null ? null : key.map((v) => (v === null ? '' : String(v)));
}

/** Whether a heartbeat's segment can be resumed (same shape as planned; not tampered with). */
export function isSegment(value: unknown): value is Segment {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Partial<Segment>;
  return (
    Array.isArray(s.ranges) &&
    Array.isArray(s.finished) &&
    s.ranges.length === s.finished.length &&
    s.ranges.length > 0 &&
    (s.end === null || Array.isArray(s.end))
  );
}

/**
 * The target's plan narrowed to the columns the source has too: a column only the target has (one
 * dropped on the source) keeps its default there, as with a write through the API.
 */
export function sharedColumns(plan: CopyPlan, sourceColumns: string[]): CopyPlan {
  const keep = plan.columns.map((c) => sourceColumns.includes(c));
  return {
    ...plan,
    columns: plan.columns.filter((_, i) => keep[i]),
    types: plan.types.filter((_, i) => keep[i]),
  };
}
