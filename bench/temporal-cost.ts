/** Counts a table workflow's history events and billable actions in a time window (all its runs). */
import type { Client } from '@temporalio/client';

export interface HistoryCost {
  windowSeconds: number;
  events: number;
  counts: {
    activities: number;
    timers: number;
    signals: number;
    updates: number;
    searchAttributeUpserts: number;
    continueAsNew: number;
  };
  actions: number;
  eventsPerHour: number;
  actionsPerHour: number;
  perHour: { activities: number; timers: number; signals: number; updates: number };
  runs: number;
}

function ms(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return 0;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

export async function historyCost(
  client: Client,
  workflowId: string,
  from: number,
  to: number,
  /** The workflow ran on a clock this many times faster: per-hour figures are divided by it. */
  timeScale = 1,
): Promise<HistoryCost> {
  const counts = {
    activities: 0,
    timers: 0,
    signals: 0,
    updates: 0,
    searchAttributeUpserts: 0,
    continueAsNew: 0,
  };
  let events = 0;
  let runs = 0;
  // Walk every run of this workflow id (continue-as-new chains) that overlaps the window.
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs++;
    const history = await client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const t = ms(e.eventTime);
      if (t < from || t > to) continue;
      events++;
      if (e.activityTaskScheduledEventAttributes) counts.activities++;
      else if (e.timerStartedEventAttributes) counts.timers++;
      else if (e.workflowExecutionSignaledEventAttributes) counts.signals++;
      else if (e.workflowExecutionUpdateAcceptedEventAttributes) counts.updates++;
      else if (e.upsertWorkflowSearchAttributesEventAttributes) counts.searchAttributeUpserts++;
      else if (e.workflowExecutionContinuedAsNewEventAttributes) counts.continueAsNew++;
    }
    if (runs > 50) break;
  }
  const hours = ((to - from) / 3_600_000) * timeScale;
  const actions = Object.values(counts).reduce((a, b) => a + b, 0);
  const h = (x: number) => Math.round(x / hours);
  return {
    windowSeconds: Math.round((to - from) / 1000),
    events,
    counts,
    actions,
    eventsPerHour: h(events),
    actionsPerHour: h(actions),
    perHour: {
      activities: h(counts.activities),
      timers: h(counts.timers),
      signals: h(counts.signals),
      updates: h(counts.updates),
    },
    runs,
  };
}

/**
 * The Temporal server's own estimate of billable actions (its `action` counter, by action type) for
 * one namespace: timers, activities, signals and updates as in the history, plus what the history
 * does not show — activity heartbeats that reached the server and queries.
 */
export async function serverActions(metricsUrl: string, namespace: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('action{') || !line.includes(`namespace="${namespace}"`)) continue;
    const type = /action_type="([^"]+)"/.exec(line)?.[1];
    if (!type) continue;
    counts[type] = (counts[type] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

/**
 * Action types that follow wall-clock time, not the tables' clock: the bench's own queries. (The
 * feed's heartbeats follow its heartbeat timeout, which the bench scales with the clock; a pass's
 * heartbeats come every 5 s of its run, and passes come COST_SCALE times as often.)
 */
const WALL_CLOCK_TYPES = new Set(['grpc_QueryWorkflow']);

export interface ActionCost {
  windowSeconds: number;
  /** Per table-hour, by the server's action type. */
  perHour: Record<string, number>;
  actionsPerHour: number;
}

/**
 * Per-hour actions from two readings of `serverActions`. With a time scale (the workflow's periods
 * divided by it), its actions are divided by it again; queries follow wall-clock time.
 */
export function actionCost(
  before: Record<string, number>,
  after: Record<string, number>,
  windowMs: number,
  timeScale = 1,
): ActionCost {
  const hours = windowMs / 3_600_000;
  const perHour: Record<string, number> = {};
  for (const type of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const delta = (after[type] ?? 0) - (before[type] ?? 0);
    if (delta <= 0) continue;
    perHour[type] = Math.round(delta / hours / (WALL_CLOCK_TYPES.has(type) ? 1 : timeScale));
  }
  return {
    windowSeconds: Math.round(windowMs / 1000),
    perHour,
    actionsPerHour: Object.values(perHour).reduce((a, b) => a + b, 0),
  };
}
