/**
 * The reconcile-only mode on a Temporal Schedule: the schedule starts a `reconcileSchedule`
 * workflow (src/workflows/reconcile-schedule.ts) every interval or cron tick, which runs one pass
 * per table from the checkpoint of the previous run. Overlap policy SKIP: a tick that comes while
 * the previous run is still going is skipped.
 */
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { SyncConfig, TableConfig } from './config/index.js';
import { searchAttributesRegistered, syncSettings, tableSpec } from './engine.js';
import type { ReconcileScheduleInput, ReconcileScheduleResult } from './workflows/reconcile-schedule.js';
import type { VerifyTablesInput, VerifyTablesResult } from './workflows/verify.js';

export const DEFAULT_SCHEDULE_ID = 'supabase-sync-reconcile';
export const SCHEDULE_WORKFLOW_TYPE = 'reconcileSchedule';

export type ScheduleTiming = { every: string } | { cron: string };

/** What the schedule's memo keeps for `describe`: the spec as the user wrote it and the tables. */
export interface ScheduleMemo {
  spec: string;
  tables: string[];
}

export class ScheduleUsageError extends Error {}

/** `5m`, `30s`, `1h`, `1d` (whole or decimal numbers); at least 1 s. Returns milliseconds. */
export function parseEvery(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (!match)
    throw new ScheduleUsageError(`--every "${text}": use a number and a unit, e.g. 30s, 5m, 1h, 1d`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(match[1]) * unit);
  if (ms < 1000) throw new ScheduleUsageError(`--every "${text}": the interval must be at least 1s`);
  return ms;
}

function describeTiming(timing: ScheduleTiming): string {
  return 'every' in timing ? `every ${timing.every}` : `cron "${timing.cron}" (UTC)`;
}

export interface ReconcileScheduleRequest {
  scheduleId: string;
  timing: ScheduleTiming;
  tables: TableConfig[];
  paused?: boolean;
  note?: string;
}

async function scheduleOptions(
  client: Client,
  config: SyncConfig,
  request: ReconcileScheduleRequest,
): Promise<ScheduleOptions> {
  const input: ReconcileScheduleInput = {
    tables: request.tables.map(tableSpec),
    settings: syncSettings(config, {
      loop: false,
      realtime: false,
      searchAttributes: await searchAttributesRegistered(client, config.temporal.namespace),
    }),
  };
  const memo: ScheduleMemo = {
    spec: describeTiming(request.timing),
    tables: request.tables.map((t) => t.qualifiedName),
  };
  return {
    scheduleId: request.scheduleId,
    spec: scheduleSpec(request.timing),
    action: {
      type: 'startWorkflow',
      workflowType: SCHEDULE_WORKFLOW_TYPE,
      // Temporal appends the scheduled time to this id for each run.
      workflowId: request.scheduleId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage, one missed pass is enough: the next one reads from the checkpoint anyway.
      catchupWindow: '1 minute',
      pauseOnFailure: false,
    },
    memo: memo as unknown as Record<string, unknown>,
    state: {
      paused: request.paused ?? false,
      note: request.note ?? `reconcile-only passes, ${memo.spec}`,
    },
  };
}

/**
 * Creates the schedule. With `replace`, an existing one is deleted first and created anew (its
 * memo, which `describe` reads the spec from, cannot be updated in place); a run in progress is
 * not affected.
 */
/** The schedule's calendar: `--every` as an interval, or `--cron`. */
function scheduleSpec(timing: ScheduleTiming): ScheduleOptions['spec'] {
  return 'every' in timing
    ? { intervals: [{ every: parseEvery(timing.every) }] }
    : { cronExpressions: [timing.cron] };
}

/** Creates the schedule; with `replace`, deletes one of the same id first (its spec cannot be updated in place). */
async function createOrReplace(
  client: Client,
  options: Parameters<Client['schedule']['create']>[0],
  replace: boolean,
): Promise<'created' | 'replaced'> {
  let replaced = false;
  if (replace) {
    try {
      await client.schedule.getHandle(options.scheduleId).delete();
      replaced = true;
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }
  await client.schedule.create(options);
  return replaced ? 'replaced' : 'created';
}

export async function createReconcileSchedule(
  client: Client,
  config: SyncConfig,
  request: ReconcileScheduleRequest & { replace?: boolean },
): Promise<'created' | 'replaced'> {
  const options = await scheduleOptions(client, config, request);
  return createOrReplace(client, options, request.replace === true);
}

export interface RecentRun {
  workflowId: string;
  runId: string;
  scheduledAt: Date;
  takenAt: Date;
  status: string;
  summary?: string;
}

export interface ScheduleReport {
  scheduleId: string;
  spec: string;
  tables: string[];
  paused: boolean;
  note?: string;
  overlap: string;
  taskQueue?: string;
  workflowType?: string;
  nextRuns: Date[];
  recent: RecentRun[];
  running: string[];
  actionsTaken: number;
  skippedOverlap: number;
  missedCatchupWindow: number;
}

function specText(description: ScheduleDescription, memo: ScheduleMemo | undefined): string {
  if (memo?.spec) return memo.spec;
  const spec = description.spec;
  const parts: string[] = [];
  for (const i of spec.intervals ?? []) parts.push(`every ${Math.round(i.every / 1000)}s`);
  if ((spec.calendars ?? []).length > 0) parts.push(`${spec.calendars!.length} calendar spec(s)`);
  return parts.join(', ') || '(no spec)';
}

function runSummary(result: ReconcileScheduleResult | VerifyTablesResult): string {
  if ('equal' in result) return verifySummary(result);
  return result.tables
    .map(
      (t) =>
        `${t.table} ${t.ok ? 'ok' : 'FAILED'}: read ${t.rowsRead}, written ${t.written}, deletes replayed ${t.deletesReplayed}${t.resumed ? '' : ' (first run: full copy)'}`,
    )
    .join('; ');
}

/** A `verifyTables` run in one line (for `schedule describe` of a verify schedule). */
export function verifySummary(result: VerifyTablesResult): string {
  return result.tables
    .map((t) => {
      const r = t.result;
      if (!r) return `${t.table} FAILED: ${t.error ?? 'unknown error'}`;
      const found = `${r.missing} missing, ${r.extra} extra, ${r.different} different`;
      if (r.repair)
        return `${t.table} ${r.equal ? 'repaired' : 'NOT EQUAL'}: ${found}, ${r.repair.written} written, ${r.repair.deleted} deleted`;
      return `${t.table} ${r.equal ? `OK ${r.sourceRows} rows` : `DIFFERENT: ${found}`}`;
    })
    .join('; ');
}

export const DEFAULT_VERIFY_SCHEDULE_ID = 'supabase-sync-verify';
export const VERIFY_WORKFLOW_TYPE = 'verifyTables';

export interface VerifyScheduleRequest {
  scheduleId: string;
  timing: ScheduleTiming;
  tables: TableConfig[];
  repair: boolean;
  replace?: boolean;
}

/**
 * `supabase-sync verify --schedule 1d`: a Temporal Schedule that starts `verifyTables` every
 * interval (overlap SKIP, like the reconcile schedule). Managed afterwards with `supabase-sync
 * schedule describe|pause|unpause|trigger|delete --id supabase-sync-verify`.
 */
export async function createVerifySchedule(
  client: Client,
  config: SyncConfig,
  request: VerifyScheduleRequest,
): Promise<'created' | 'replaced'> {
  const input: VerifyTablesInput = { tables: request.tables.map(tableSpec), repair: request.repair };
  const memo: ScheduleMemo = {
    spec: describeTiming(request.timing),
    tables: request.tables.map((t) => t.qualifiedName),
  };
  const options: ScheduleOptions = {
    scheduleId: request.scheduleId,
    spec: scheduleSpec(request.timing),
    action: {
      type: 'startWorkflow',
      workflowType: VERIFY_WORKFLOW_TYPE,
      workflowId: request.scheduleId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute', pauseOnFailure: false },
    memo: memo as unknown as Record<string, unknown>,
    state: { paused: false, note: `verify${request.repair ? ' --repair' : ''}, ${memo.spec}` },
  };
  return createOrReplace(client, options, request.replace === true);
}

export async function describeReconcileSchedule(
  client: Client,
  scheduleId: string,
  recentCount = 5,
): Promise<ScheduleReport> {
  const description = await client.schedule.getHandle(scheduleId).describe();
  const memo = description.memo as ScheduleMemo | undefined;
  const action = description.action;
  const args =
    action.type === 'startWorkflow' ? (action.args as ReconcileScheduleInput[] | undefined) : undefined;
  const tables = memo?.tables ?? args?.[0]?.tables.map((t) => `${t.schema}.${t.table}`) ?? ([] as string[]);
  const recent: RecentRun[] = [];
  for (const a of description.info.recentActions.slice(-recentCount)) {
    const { workflowId, firstExecutionRunId } = a.action.workflow;
    let status = 'unknown';
    let summary: string | undefined;
    try {
      const handle = client.workflow.getHandle(workflowId, firstExecutionRunId);
      status = (await handle.describe()).status.name;
      if (status === 'COMPLETED')
        summary = runSummary((await handle.result()) as ReconcileScheduleResult | VerifyTablesResult);
      if (status === 'FAILED') {
        summary = await handle.result().then(
          () => undefined,
          (error: unknown) => {
            const e = error as { cause?: { message?: string }; message?: string };
            return e.cause?.message ?? e.message;
          },
        );
      }
    } catch {
      // retention may have removed it
    }
    recent.push({
      workflowId,
      runId: firstExecutionRunId,
      scheduledAt: a.scheduledAt,
      takenAt: a.takenAt,
      status,
      summary,
    });
  }
  return {
    scheduleId,
    spec: specText(description, memo),
    tables,
    paused: description.state.paused,
    note: description.state.note,
    overlap: String(description.policies.overlap),
    taskQueue: action.type === 'startWorkflow' ? action.taskQueue : undefined,
    workflowType: action.type === 'startWorkflow' ? action.workflowType : undefined,
    nextRuns: description.info.nextActionTimes,
    recent,
    running: description.info.runningActions.map((r) => r.workflow.workflowId),
    actionsTaken: description.info.numActionsTaken,
    skippedOverlap: description.info.numActionsSkippedOverlap,
    missedCatchupWindow: description.info.numActionsMissedCatchupWindow,
  };
}

/**
 * Triggers the schedule now and returns the workflow it started: the new entry in its recent
 * actions (the trigger itself does not return it).
 */
export async function triggerReconcileSchedule(
  client: Client,
  scheduleId: string,
  options: { timeoutMs?: number } = {},
): Promise<{ workflowId: string; runId: string } | undefined> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = await handle.describe();
  const seen = new Set(before.info.recentActions.map((a) => a.action.workflow.firstExecutionRunId));
  const running = new Set(before.info.runningActions.map((a) => a.workflow.firstExecutionRunId));
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  // A run already in progress: SKIP means this trigger starts nothing; do not wait long for it.
  const deadline = Date.now() + (running.size > 0 ? 2000 : (options.timeoutMs ?? 10_000));
  while (Date.now() < deadline) {
    const now = await handle.describe();
    const started = now.info.recentActions.find((a) => !seen.has(a.action.workflow.firstExecutionRunId));
    if (started) {
      return {
        workflowId: started.action.workflow.workflowId,
        runId: started.action.workflow.firstExecutionRunId,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}
