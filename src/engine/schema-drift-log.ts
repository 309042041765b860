/**
 * What the schema watch (schema-watch.ts) says about the app's objects that differ on the target:
 * one warning line per difference when it appears (the object, and the SQL that makes the target
 * match), one line when an object matches again, and the count for the metric. A difference whose
 * SQL changes (the source edited again) is a new one. At most MAX_LINES lines a look, then one line
 * for the rest. Definitions only: no row data, no secret.
 */
import type { AppDifference } from '../contracts/app-catalog.js';
import type { Logger } from '../contracts/logger.js';
import { followable } from '../core/schema-follow.js';

/** Lines about differences per look at most (a bare target has hundreds: `schema diff` lists them). */
export const MAX_LINES = 20;

function key(d: AppDifference): string {
  return `${d.object}\n${d.sql.join('\n')}`;
}

/** The warning line of a difference: what differs, and the SQL that makes the target match. */
export function driftLine(d: AppDifference, follow: boolean): string {
  const notes = [
    ...(d.leftOut !== undefined ? [`left out by schema push: ${d.leftOut}`] : []),
    ...(d.dropsData ? ['it drops or narrows data'] : []),
    ...(follow && followable(d) === null
      ? ['schema.follow applies only what is missing on the target: supabase-sync schema push applies it']
      : []),
  ];
  const sql = d.sql.length > 0 ? d.sql.join(' ') : '(nothing to run)';
  return `schema drift: ${d.message}; to make the target match, run on it: ${sql}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

export class DriftLog {
  private shown = new Map<string, AppDifference>();

  constructor(
    private readonly logger: Logger,
    private readonly follow: boolean,
    private readonly onCount?: (n: number) => void,
  ) {}

  /** The differences found by a comparison: those new since the last one logged, the count recorded. */
  report(differences: AppDifference[]): void {
    const current = new Map(differences.map((d) => [key(d), d]));
    const fresh = differences.filter((d) => !this.shown.has(key(d)));
    const objects = new Set(differences.map((d) => d.object));
    const matching = [...new Set([...this.shown.values()].map((d) => d.object))].filter(
      (o) => !objects.has(o),
    );
    for (const d of fresh.slice(0, MAX_LINES)) {
      this.logger.warn({ object: d.object, change: d.change }, driftLine(d, this.follow));
    }
    if (fresh.length > MAX_LINES) {
      this.logger.warn(
        `schema drift: ${fresh.length - MAX_LINES} more of the app's objects differ on the target (supabase-sync schema diff lists them all)`,
      );
    }
    for (const o of matching.slice(0, MAX_LINES)) {
      this.logger.info({ object: o }, `schema drift: ${o} matches the source again`);
    }
    if (matching.length > MAX_LINES) {
      this.logger.info(`schema drift: ${matching.length - MAX_LINES} more objects match the source again`);
    }
    this.shown = current;
    this.onCount?.(differences.length);
  }
}
