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
