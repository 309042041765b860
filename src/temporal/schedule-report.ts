/**
 * Reading a schedule back (`schedule describe`, `schedule trigger`, `verify --schedule`): its spec,
 * tables, next runs and the results of its recent runs, as data. The CLI renders them (src/cli/).
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleDescription } from '@temporalio/client';
import { errorMessage } from '../core/errors.js';
import { tableName } from '../core/names.js';
import type { ReconcileScheduleInput, ReconcileScheduleResult } from '../workflows/reconcile-schedule.js';
import type { VerifyTablesResult } from '../workflows/verify.js';
import type { ScheduleMemo } from './schedules.js';

export interface RecentRun {
  workflowId: string;
  runId: string;
  scheduledAt: Date;
  takenAt: Date;
  status: string;
  /** A completed run's result. */
  result?: ReconcileScheduleResult | VerifyTablesResult;
  /** A failed run's message. */
  failure?: string;
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

/** One of the schedule's recent runs, with its result or failure when the run is still known. */
async function recentRun(client: Client, action: ScheduleDescription['info']['recentActions'][number]) {
  const { workflowId, firstExecutionRunId } = action.action.workflow;
  const run: RecentRun = {
    workflowId,
    runId: firstExecutionRunId,
    scheduledAt: action.scheduledAt,
    takenAt: action.takenAt,
    status: 'unknown',
  };
  try {
    const handle = client.workflow.getHandle(workflowId, firstExecutionRunId);
    run.status = (await handle.describe()).status.name;
    if (run.status === 'COMPLETED') run.result = (await handle.result()) as RecentRun['result'];
    if (run.status === 'FAILED') run.failure = await handle.result().then(() => undefined, errorMessage);
  } catch {
    // retention may have removed it
  }
  return run;
}

export async function describeSchedule(
  client: Client,
  scheduleId: string,
  recentCount = 5,
): Promise<ScheduleReport> {
  const description = await client.schedule.getHandle(scheduleId).describe();
  const memo = description.memo as ScheduleMemo | undefined;
  const action = description.action;
  const args =
    action.type === 'startWorkflow' ? (action.args as ReconcileScheduleInput[] | undefined) : undefined;
  const recent: RecentRun[] = [];
  for (const a of description.info.recentActions.slice(-recentCount)) recent.push(await recentRun(client, a));
  return {
    scheduleId,
    spec: specText(description, memo),
    tables: memo?.tables ?? args?.[0]?.tables.map(tableName) ?? [],
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
export async function triggerSchedule(
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
