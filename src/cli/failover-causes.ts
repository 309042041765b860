/**
 * One reason per root cause in `failover check` and `promote`. A project out of reach fails every
 * check that needs it the same way — per table the ledger, the sequences, the schema, then the
 * auth comparisons and the named sequences —, and the tables' sync fails for it too: instead of a
 * long reason for each, one short line names the project, the cause and how much it affected
 * (`mergeCauses`). Reasons are matched by what the adapters' errors say (api-errors.ts
 * `unreachableIn`), so a check added later is grouped too. Pure: test/unit/failover-causes.test.ts.
 */
import { oneLine } from '../core/errors.js';
import { unreachableIn } from '../supabase/api-errors.js';
import { judgeTable, type Limits, type Readiness } from './failover-readiness.js';

/** No line of the report is longer than this (an unknown error's text is cut to fit). */
export const MAX_LINE = 200;

/** What made checks fail: a project out of reach, or no answer in time (`bounded`). */
interface Cause {
  key: string;
  /** The short reason a table's checks give for it. */
  brief: string;
  /** The line for the whole report, given what it affected. */
  line(checks: number, tables: number, failing: number): string;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** The root cause behind a reason, if it is one that many checks share. */
function causeOf(reason: string): Cause | undefined {
  const u = unreachableIn(reason);
  if (u) {
    const brief = `the ${u.role} project is unreachable (${u.cause})`;
    return {
      key: `${u.role} ${u.url}`,
      brief,
      line: (checks, tables, failing) =>
        `the ${u.role} project (${u.url}) is unreachable (${u.cause}): ${count(checks, 'check')} could not run` +
        (tables > 0 ? ` on ${count(tables, 'table')}` : '') +
        (failing > 0 ? `; ${count(failing, 'table')} failing` : ''),
    };
  }
  const timeout = /: (no answer within [\d.]+ s)$/.exec(reason)?.[1];
  if (timeout)
    return {
      key: timeout,
      brief: timeout,
      line: (checks, tables) =>
        `${count(checks, 'check')}${tables > 0 ? ` on ${count(tables, 'table')}` : ''} got ${timeout} (a project is slow or hanging)`,
    };
  return undefined;
}

/** A failed step's error as a short line: the project and cause when it is one out of reach. */
export function briefError(error: string): string {
  const u = unreachableIn(error);
  return u ? `the ${u.role} project (${u.url}) is unreachable (${u.cause})` : oneLine(error, MAX_LINE - 40);
}

interface Group {
  cause: Cause;
  checks: number;
  tables: Set<string>;
  failing: Set<string>;
}

/**
 * The readiness with one reason per root cause: the reasons a cause explains (checks that could
 * not run, and the state, lag and pass of a table whose sync fails with that same cause —
 * `lastErrors`: each table's last error) become one line, first; each table keeps one brief
 * reason for it. Other reasons are kept as they are, cut to MAX_LINE.
 */
export function mergeCauses(
  r: Readiness,
  lastErrors: Map<string, string>,
  limits: Limits,
  now = Date.now(),
): Readiness {
  const groups = new Map<string, Group>();
  const groupOf = (cause: Cause): Group => {
    let g = groups.get(cause.key);
    if (!g) groups.set(cause.key, (g = { cause, checks: 0, tables: new Set(), failing: new Set() }));
    return g;
  };
  const tableNames = r.tables.map((t) => t.table);
  const tableOf = (reason: string) => tableNames.find((name) => reason.startsWith(`${name}: `));
  const kept: string[] = [];
  for (const reason of r.reasons) {
    const cause = causeOf(reason);
    if (!cause) {
      kept.push(reason);
      continue;
    }
    const g = groupOf(cause);
    g.checks++;
    const table = tableOf(reason) ?? /^comparing (\S+):/.exec(reason)?.[1];
    if (table) g.tables.add(table);
  }
  // A table syncing (not paused, stopped…) whose last error is a cause that made checks fail now:
  // its state, lag and last pass are that cause.
  const folded = new Set<string>();
  for (const t of r.tables) {
    const lastError = lastErrors.get(t.table);
    const syncing = t.state === 'failing' || t.state === 'running';
    const cause = syncing && lastError ? causeOf(lastError) : undefined;
    const g = cause && groups.get(cause.key);
    if (!g) continue;
    const healthy = judgeTable(
      { ...t, state: 'running', lagSeconds: 0, lastPass: { finishedAt: now, ok: true } },
      limits,
      now,
    ).reasons;
    const fromStatus = t.reasons.filter((reason) => !healthy.includes(reason));
    if (fromStatus.length === 0) continue;
    g.failing.add(t.table);
    for (const reason of fromStatus) folded.add(`${t.table}: ${reason}`);
  }
  const lines = [...groups.values()].map((g) => g.cause.line(g.checks, g.tables.size, g.failing.size));
  const reasons = [
    ...lines,
    ...kept.filter((reason) => !folded.has(reason)).map((x) => oneLine(x, MAX_LINE)),
  ];
  const tables = r.tables.map((t) => ({
    ...t,
    reasons: [...new Set(t.reasons.map((reason) => causeOf(reason)?.brief ?? reason))],
  }));
  return { ...r, tables, reasons, ready: reasons.length === 0 };
}

/**
 * The reasons in one line of at most `maxChars`: those that fit, and how many more there are
 * (listed above it); when not even the first fits, it is cut at a word, with "…".
 */
export function summarize(reasons: string[], maxChars: number): string {
  const more = (n: number) => (n > 0 ? `; and ${n} more (above)` : '');
  let shown = 0;
  while (
    shown < reasons.length &&
    [...reasons.slice(0, shown + 1)].join('; ').length + more(reasons.length - shown - 1).length <= maxChars
  )
    shown++;
  if (shown > 0) return reasons.slice(0, shown).join('; ') + more(reasons.length - shown);
  const tail = more(reasons.length - 1);
  const room = Math.max(20, maxChars - tail.length - 1);
  return `${reasons[0]!.slice(0, room).replace(/\s+\S*$/, '')}…${tail}`;
}
