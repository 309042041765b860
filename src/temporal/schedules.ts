/**
 * Temporal Schedules: the reconcile-only mode (`supabase-sync schedule create`: a
 * `reconcileSchedule` workflow every interval or cron tick, one pass per table from the checkpoint
 * of the previous run) and `verify --schedule` (a `verifyTables` workflow). Overlap policy SKIP: a
 * tick that comes while the previous run is still going is skipped. Reading them back:
 * schedule-report.ts.
 */
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import { syncSettings } from '../config/settings.js';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import { reconcileSchedule, type ReconcileScheduleInput } from '../workflows/reconcile-schedule.js';
import { verifyTables, type VerifyTablesInput } from '../workflows/verify.js';
import { searchAttributesRegistered } from './connection.js';

export const DEFAULT_SCHEDULE_ID = 'supabase-sync-reconcile';

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
    tables: request.tables,
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
      workflowType: reconcileSchedule,
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

/** The schedule's calendar: `--every` as an interval, or `--cron`. */
function scheduleSpec(timing: ScheduleTiming): ScheduleOptions['spec'] {
  return 'every' in timing
    ? { intervals: [{ every: parseEvery(timing.every) }] }
    : { cronExpressions: [timing.cron] };
}

/**
 * Creates the schedule. With `replace`, an existing one is deleted first and created anew (its
 * memo, which `describe` reads the spec from, cannot be updated in place); a run in progress is
 * not affected.
 */
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

export const DEFAULT_VERIFY_SCHEDULE_ID = 'supabase-sync-verify';

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
  const input: VerifyTablesInput = { tables: request.tables, repair: request.repair };
  const memo: ScheduleMemo = {
    spec: describeTiming(request.timing),
    tables: request.tables.map((t) => t.qualifiedName),
  };
  const options: ScheduleOptions = {
    scheduleId: request.scheduleId,
    spec: scheduleSpec(request.timing),
    action: {
      type: 'startWorkflow',
      workflowType: verifyTables,
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
