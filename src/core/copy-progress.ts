/**
 * A first copy's progress as people read it, in `status`, the dashboard, the workflow's memo and
 * current details (the Temporal UI), `backfill` and the demo: rows copied, of about how many (the
 * source's estimate, `~` unless counted exactly), rows per second and the time left; once done, how
 * long it took and its rate. Computed from counts only — the workflow's (one update per chunk of
 * about 20 s) plus, when read live, the running chunk's last heartbeat — so it is the same whichever
 * path copied the rows. Pure: no Temporal imports, no Node built-ins.
 */
import type { CopyProgress, InitialCopyState } from '../contracts/table-sync.js';

export type { CopyProgress };

/** The chunk in flight, from its last heartbeat: rows copied over `ms` since it started, as of `at`. */
export interface RunningChunk {
  rows: number;
  ms: number;
  at: number;
}

/** Rows per second, or null before any row or time was measured. */
export function copyRate(rows: number, ms: number): number | null {
  return rows > 0 && ms > 0 ? (rows * 1000) / ms : null;
}

/**
 * Seconds left at `rowsPerSecond` to reach `estimate`; null without a rate, without an estimate,
 * or once the copy passed the estimate (it was low: the end is not known).
 */
export function secondsLeft(
  copied: number,
  estimate: number | null,
  rowsPerSecond: number | null,
): number | null {
  if (rowsPerSecond === null || rowsPerSecond <= 0 || estimate === null || copied >= estimate) return null;
  return (estimate - copied) / rowsPerSecond;
}

/** `1,234,567`. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A span as people say it: `32 s` (whole seconds, up), `3 min 20 s` (to 10 s) under 10 minutes,
 * `24 min` under an hour, `1 h 5 min` beyond.
 */
export function roughDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${Math.max(1, Math.ceil(s))} s`;
  if (s < 600) {
    const tens = Math.round(s / 10) * 10;
    const min = Math.floor(tens / 60);
    const rest = tens % 60;
    return rest === 0 ? `${min} min` : `${min} min ${rest} s`;
  }
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const min = Math.round(s / 60);
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

/** The copy's progress from the workflow's counts, plus the running chunk's heartbeat when read live. */
export function copyProgressOf(copy: InitialCopyState, now: number, chunk?: RunningChunk): CopyProgress {
  const estimate = copy.mode === 'full' ? copy.total : null;
  const exact = copy.totalExact !== false;
  if (copy.done) {
    const tookMs =
      copy.activeMs ??
      (copy.startedAt !== null && copy.finishedAt !== null ? copy.finishedAt - copy.startedAt : null);
    const rowsPerSecond = tookMs === null ? null : copyRate(copy.rowsCopied, tookMs);
    const p = { done: true, copied: copy.rowsCopied, estimate, exact, rowsPerSecond, secondsLeft: 0, tookMs };
    return { ...p, line: copyLine(p) };
  }
  const running = chunk && chunk.rows > 0 ? chunk : undefined;
  const copied = copy.rowsCopied + (running?.rows ?? 0);
  const rowsPerSecond = copyRate(
    (copy.timedRows ?? 0) + (running?.rows ?? 0),
    (copy.activeMs ?? 0) + (running?.ms ?? 0),
  );
  const left = secondsLeft(copied, estimate, rowsPerSecond);
  // The counts are as of the heartbeat (or the chunk) they came from: the time since counts too.
  const measuredAt = running?.at ?? copy.lastChunkAt ?? now;
  const since = Math.max(0, now - measuredAt) / 1000;
  const p = {
    done: false,
    copied,
    estimate,
    exact,
    rowsPerSecond,
    // Counted down from then, but never to `finishing` on time alone: only the counts say that.
    secondsLeft: left === null ? null : left < 1 ? left : Math.max(1, left - since),
    tookMs: null,
  };
  return { ...p, line: copyLine(p) };
}

/**
 * `copying 420,000 of ~1,000,000 rows · 18,300 rows/s · about 32 s left`, or once done
 * `copied 1,000,000 rows in 52 s · 19,230 rows/s`.
 */
export function copyLine(p: Omit<CopyProgress, 'line'>): string {
  const rate = p.rowsPerSecond === null ? '' : ` · ${formatCount(p.rowsPerSecond)} rows/s`;
  if (p.done) {
    const took = p.tookMs === null ? '' : ` in ${roughDuration(p.tookMs / 1000)}`;
    return `copied ${formatCount(p.copied)} rows${took}${rate}`;
  }
  const about = p.exact ? '' : '~';
  if (p.estimate === null) return `copying ${formatCount(p.copied)} rows${rate}`;
  if (p.copied > p.estimate)
    return `copying ${formatCount(p.copied)} rows (${p.exact ? `${formatCount(p.estimate)} counted` : `~${formatCount(p.estimate)} estimated`})${rate}`;
  const left =
    p.secondsLeft === null
      ? p.copied === p.estimate && p.estimate > 0
        ? ' · finishing'
        : ''
      : p.secondsLeft < 1
        ? ' · finishing'
        : ` · about ${roughDuration(p.secondsLeft)} left`;
  return `copying ${formatCount(p.copied)} of ${about}${formatCount(p.estimate)} rows${rate}${left}`;
}
