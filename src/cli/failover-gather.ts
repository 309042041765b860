/**
 * The facts `failover check` (and `promote`) judge (failover-readiness.ts): per table, the status
 * its workflow reports or last recorded (no worker needed: status.ts), the oldest deletion not yet
 * replayed, the sequences behind on the target, the schema difference, and the last completed
 * verify (the result of the newest `verifyTables` run on the task queue that compared it). Every
 * read is bounded; a project that does not answer becomes a reason, not a crash.
 */
import type { Client } from '@temporalio/client';
import { sequencesBehind } from '../activities/sequences.js';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import type { SourceProject, TargetProject } from '../contracts/ports.js';
import { errorMessage } from '../core/errors.js';
import { diffTableSchemas } from '../core/schema-diff.js';
import { compareAppObjects } from '../engine/schema-compare.js';
import type { VerifyTablesResult } from '../workflows/verify.js';
import type { StatusEntry } from './recorded.js';
import { readStatuses } from './status.js';
import { targetOf } from './targets.js';
import type { TableFacts } from './failover-readiness.js';
import type { WorkerPresence } from './workers.js';

const READ_TIMEOUT_MS = 10_000;
/** How many of the newest verify runs are looked at for each table's last verify. */
const VERIFY_RUNS = 20;

export interface Projects {
  source: SourceProject;
  target: TargetProject;
}

/** `work()`, or its error as one line (`what: message`; and the message alone), within `ms`. */
export async function bounded<T>(
  what: string,
  work: () => Promise<T>,
  ms = READ_TIMEOUT_MS,
): Promise<{ value: T } | { error: string; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return { value: await Promise.race([work(), deadline]) };
  } catch (error) {
    return { error: `${what}: ${errorMessage(error)}`, message: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Each table's last completed verify (newest first among the last VERIFY_RUNS on the task queue). */
export async function lastVerifies(
  c: Client,
  cfg: SyncConfig,
): Promise<Map<string, { at: number; equal: boolean }>> {
  const found = new Map<string, { at: number; equal: boolean }>();
  const query = `WorkflowType = 'verifyTables' AND ExecutionStatus = 'Completed' AND TaskQueue = '${cfg.temporal.taskQueue.replace(/'/g, "''")}'`;
  const runs: Array<{ workflowId: string; runId: string; closeTime?: Date }> = [];
  for await (const w of c.workflow.list({ query })) {
    runs.push({
      workflowId: w.workflowId,
      runId: w.runId,
      ...(w.closeTime ? { closeTime: w.closeTime } : {}),
    });
    if (runs.length >= VERIFY_RUNS) break;
  }
  runs.sort((a, b) => (b.closeTime?.getTime() ?? 0) - (a.closeTime?.getTime() ?? 0));
  for (const run of runs) {
    const result = (await c.workflow
      .getHandle(run.workflowId, run.runId)
      .result()
      .catch(() => null)) as VerifyTablesResult | null;
    for (const t of result?.tables ?? []) {
      if (found.has(t.table) || !t.result) continue;
      found.set(t.table, { at: run.closeTime?.getTime() ?? 0, equal: t.result.equal });
    }
  }
  return found;
}

function statusFacts(
  s: StatusEntry,
): Pick<TableFacts, 'state' | 'lagSeconds' | 'lastPass' | 'lastSuccessAt'> {
  if (!('counters' in s)) return { state: s.state, lagSeconds: null, lastPass: null, lastSuccessAt: null };
  return {
    state: s.state,
    lagSeconds: s.lagSeconds,
    lastPass: s.lastPass ? { finishedAt: s.lastPass.finishedAt, ok: s.lastPass.ok } : null,
    lastSuccessAt: s.lastSuccessAt,
  };
}

/** One table's facts from both projects (the status is read before, for all tables at once). */
async function tableFacts(
  projects: Projects,
  t: TableConfig,
  status: StatusEntry,
  verify: { at: number; equal: boolean } | undefined,
): Promise<TableFacts> {
  const errors: string[] = [];
  const [pending, sequences, schema] = await Promise.all([
    bounded('the source', () => projects.source.readDeletionsAfter(t, 0, 1)),
    bounded('the sequences', () => sequencesBehind(projects, t, [])),
    bounded('the schema', async () => {
      const [s, g] = await Promise.all([projects.source.readSchema(t), projects.target.readSchema(t)]);
      if (!s.exists) throw new Error(`${t.qualifiedName} does not exist on the source`);
      return diffTableSchemas(s, g).map((d) => d.message);
    }),
  ]);
  for (const r of [pending, sequences, schema]) if ('error' in r) errors.push(r.error);
  return {
    table: t.qualifiedName,
    ...statusFacts(status),
    oldestPendingDeletion: 'value' in pending ? (pending.value[0]?.deletedAt ?? null) : undefined,
    ...('value' in pending && pending.value[0]
      ? {
          oldestPendingKind: pending.value[0].kind,
          ...(pending.value[0].ageMs !== undefined ? { oldestPendingAgeMs: pending.value[0].ageMs } : {}),
        }
      : {}),
    sequences: 'value' in sequences ? sequences.value : null,
    schema: 'value' in schema ? schema.value : null,
    verify: verify ?? null,
    errors: [...new Set(errors)],
  };
}

export interface Gathered {
  facts: TableFacts[];
  presence: WorkerPresence;
  /** Reasons of the whole (the named sequences behind, a project unreachable). */
  reasons: string[];
  notes: string[];
  /** Each table's last error, as its status reports it (failover-causes.ts groups by it). */
  lastErrors: Map<string, string>;
  /** Each configured table's status, in the tables file's order (the dashboard shows them). */
  statuses: StatusEntry[];
}

export async function gatherFacts(c: Client, cfg: SyncConfig, projects: Projects): Promise<Gathered> {
  const targets = cfg.tables.map(targetOf);
  const [report, verifies] = await Promise.all([
    readStatuses(c, cfg, targets, false),
    lastVerifies(c, cfg).catch(() => new Map<string, { at: number; equal: boolean }>()),
  ]);
  const facts = await Promise.all(
    cfg.tables.map((t, i) => tableFacts(projects, t, report.statuses[i]!, verifies.get(t.qualifiedName))),
  );
  const reasons: string[] = [];
  const notes: string[] = [];
  if (cfg.sequences && cfg.sequences.length > 0) {
    const named = await bounded('the named sequences', () =>
      sequencesBehind(projects, { schema: 'public', table: '' }, cfg.sequences!),
    );
    if ('error' in named) reasons.push(named.error);
    else
      for (const b of named.value.behind)
        reasons.push(
          `sequence ${b.sequence} behind on the target (${b.target === null ? 'missing there' : `next ${b.target}`}, source ${b.source})`,
        );
  }
  if (cfg.auth) reasons.push(...(await authDifferences(cfg, projects)));
  reasons.push(...(await objectDifferences(cfg, projects)));
  if (!report.presence.live) notes.push('no worker is polling: the sync is not running now');
  const lastErrors = new Map<string, string>();
  cfg.tables.forEach((t, i) => {
    const s = report.statuses[i]!;
    if ('lastError' in s && s.lastError) lastErrors.set(t.qualifiedName, s.lastError.message);
  });
  return { facts, presence: report.presence, reasons, notes, lastErrors, statuses: report.statuses };
}

/** With `"auth": true`: auth.users and auth.identities compared whole (row count and checksum, no values). */
async function authDifferences(cfg: SyncConfig, projects: Projects): Promise<string[]> {
  const reasons: string[] = [];
  for (const t of cfg.tables.filter((x) => x.schema === 'auth')) {
    const compared = await bounded(`comparing ${t.qualifiedName}`, async () => {
      const [s, g] = await Promise.all([
        projects.source.hashRanges(t, null, [null]),
        projects.target.hashRanges(t, null, [null]),
      ]);
      return { source: s[0]!, target: g[0]! };
    });
    if ('error' in compared) reasons.push(compared.error);
    else if (
      compared.value.source.rows !== compared.value.target.rows ||
      compared.value.source.hash !== compared.value.target.hash
    )
      reasons.push(
        `auth users: ${t.qualifiedName} differs (${compared.value.source.rows} rows on the source, ${compared.value.target.rows} on the target)`,
      );
  }
  return reasons;
}

/** At most this many differing objects are named one by one. */
const OBJECTS_NAMED = 10;

/** The app's policies, privileges, functions, views, … that differ on the target, one reason each. */
async function objectDifferences(cfg: SyncConfig, projects: Projects): Promise<string[]> {
  const compared = await bounded('comparing the policies, privileges and functions', () =>
    compareAppObjects(projects.source, projects.target, cfg.tables, cfg.storage),
  );
  if ('error' in compared) return [compared.error];
  const differences = compared.value;
  const named = differences.slice(0, OBJECTS_NAMED).map((d) => `schema: ${d.message}`);
  if (differences.length > OBJECTS_NAMED)
    named.push(
      `schema: ${differences.length - OBJECTS_NAMED} more object(s) differ (supabase-sync schema diff)`,
    );
  return named;
}
