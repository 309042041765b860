/**
 * Whether the backup is ready to be promoted: the facts `failover check` gathers per table
 * (failover-gather.ts) judged against limits, as reasons (not ready) and notes (ready, but worth knowing).
 * Pure: tested without a server (test/unit/failover-readiness.test.ts).
 */
import type { SequenceBehind } from '../activities/sequences.js';

/** What `failover check` found about one table (names, times and counts only). */
export interface TableFacts {
  table: string;
  /** The workflow's state (status), `not started` when there is none. */
  state: string;
  /** Seconds the target is behind (status' lag: the feed's, or since the last good pass). */
  lagSeconds: number | null;
  /** When the last pass finished and whether it succeeded (null: none yet). */
  lastPass: { finishedAt: number; ok: boolean } | null;
  /** When the last successful pass began (a ledger entry older than that should be replayed). */
  lastSuccessAt: number | null;
  /** The oldest unprocessed ledger entry (when it happened on the source), null when drained, undefined: not read. */
  oldestPendingDeletion: string | null | undefined;
  /** How long ago it happened by the source database's clock (functions of 20261207140000 on), and its kind. */
  oldestPendingAgeMs?: number;
  oldestPendingKind?: 'delete' | 'truncate';
  /** Sequences checked and those behind on the target (null: could not be read, see error). */
  sequences: { checked: number; behind: SequenceBehind[] } | null;
  /** Schema differences of the target from the source (messages); null: not compared. */
  schema: string[] | null;
  /** The last completed verify that compared this table. */
  verify: { at: number; equal: boolean } | null;
  /** Problems met while gathering (a project unreachable…), one line each. */
  errors: string[];
}

export interface Limits {
  /** The most lag that is still ready (seconds). */
  maxLagSeconds: number;
  /** The oldest last pass that is still ready (seconds). */
  maxPassAgeSeconds: number;
  /** A verify older than this is a note (seconds). */
  maxVerifyAgeSeconds: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxLagSeconds: 120,
  maxPassAgeSeconds: 600,
  maxVerifyAgeSeconds: 7 * 24 * 3600,
};

export interface TableReadiness extends TableFacts {
  ready: boolean;
  reasons: string[];
  notes: string[];
}

export interface Readiness {
  ready: boolean;
  tables: TableReadiness[];
  /** Every table's reasons, prefixed by its name, and those of the whole (auth users…). */
  reasons: string[];
  notes: string[];
}

const READY_STATES = new Set(['running']);

function age(ms: number, now: number): number {
  return Math.max(0, Math.round((now - ms) / 1000));
}

export function judgeTable(f: TableFacts, limits: Limits, now: number): TableReadiness {
  const reasons: string[] = [...f.errors];
  const notes: string[] = [];
  if (!READY_STATES.has(f.state)) reasons.push(`state is ${f.state}, not running`);
  if (f.lagSeconds === null) reasons.push('lag unknown (no pass has succeeded yet)');
  else if (f.lagSeconds > limits.maxLagSeconds)
    reasons.push(`lag ${Math.round(f.lagSeconds)} s is over ${limits.maxLagSeconds} s`);
  if (f.lastPass === null) reasons.push('no pass yet');
  else {
    if (!f.lastPass.ok) reasons.push('the last pass failed');
    const passAge = age(f.lastPass.finishedAt, now);
    if (passAge > limits.maxPassAgeSeconds)
      reasons.push(`the last pass was ${passAge} s ago (over ${limits.maxPassAgeSeconds} s)`);
  }
  if (typeof f.oldestPendingDeletion === 'string') {
    // Older than the last successful pass: compared as durations, each on its own clock (the
    // entry's age on the database's, the pass's on this host's), so clock skew cannot move it.
    const at = Date.parse(f.oldestPendingDeletion);
    const beforePass =
      f.lastSuccessAt === null ||
      (f.oldestPendingAgeMs !== undefined
        ? f.oldestPendingAgeMs > now - f.lastSuccessAt
        : !Number.isFinite(at) || at < f.lastSuccessAt);
    const what = f.oldestPendingKind === 'truncate' ? 'a TRUNCATE' : 'a delete';
    if (beforePass)
      reasons.push(`deletion ledger not drained (${what} of ${f.oldestPendingDeletion} is not replayed)`);
    else notes.push('deletes newer than the last pass are waiting for the next one');
  }
  if (f.sequences) {
    for (const b of f.sequences.behind)
      reasons.push(
        `sequence ${b.sequence} behind on the target (${b.target === null ? 'missing there' : `next ${b.target}`}, source ${b.source})`,
      );
  }
  if (f.schema) for (const d of f.schema) reasons.push(`schema: ${d}`);
  if (f.verify === null) notes.push('never verified (supabase-sync verify)');
  else if (!f.verify.equal) reasons.push('the last verify found differences (supabase-sync verify --repair)');
  else if (age(f.verify.at, now) > limits.maxVerifyAgeSeconds)
    notes.push(`last verified ${Math.round(age(f.verify.at, now) / 86400)} days ago`);
  return { ...f, ready: reasons.length === 0, reasons, notes };
}

/** The whole backup: every table ready and no reason of its own (`extra`: auth users, …). */
export function judge(
  facts: TableFacts[],
  extra: { reasons: string[]; notes: string[] },
  limits: Limits = DEFAULT_LIMITS,
  now = Date.now(),
): Readiness {
  const tables = facts.map((f) => judgeTable(f, limits, now));
  const reasons = [...tables.flatMap((t) => t.reasons.map((r) => `${t.table}: ${r}`)), ...extra.reasons];
  const notes = [...tables.flatMap((t) => t.notes.map((n) => `${t.table}: ${n}`)), ...extra.notes];
  if (facts.length === 0) reasons.push('no tables configured');
  return { ready: reasons.length === 0, tables, reasons, notes };
}
