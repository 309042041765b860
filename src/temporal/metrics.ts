/**
 * Prometheus metrics, served by the Temporal SDK's own exporter (Runtime.install
 * `telemetryOptions.metrics.prometheus`) at SYNC_METRICS_ADDRESS, next to the SDK's `temporal_*`
 * series. The custom series are recorded through the runtime's metric meter:
 *
 * - from activity results, timings and failures, by an activity inbound interceptor (the activity
 *   code itself is not touched);
 * - from the realtime feed's batches as they are applied, by wrapping `deps.notify.observeRealtime`.
 *
 * Labels are the table (`schema.table`), the activity type and the path; never row data or keys.
 * Recording a metric never fails an activity or a progress report.
 */
import { performance } from 'node:perf_hooks';
import { CancelledFailure, type MetricMeter } from '@temporalio/common';
import type { ActivityInterceptorsFactory, MetricsExporterConfig } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps.js';
import type { Logger } from '../contracts/logger.js';
import type { SchemaDifference } from '../contracts/schema-difference.js';
import type { RealtimeProgress } from '../contracts/table-sync.js';
import { tableFromWorkflowId } from '../workflows/ids.js';
import { tableName } from '../core/names.js';

export const METRICS = {
  rowsApplied: 'supabase_sync_rows_applied_total',
  lag: 'supabase_sync_realtime_lag_seconds',
  realtimeConnected: 'supabase_sync_realtime_connected',
  activityDuration: 'supabase_sync_activity_duration_seconds',
  activityErrors: 'supabase_sync_activity_errors_total',
  schemaDrift: 'supabase_sync_schema_drift',
  unsyncedTables: 'supabase_sync_unsynced_tables',
  schemaDifferences: 'supabase_sync_schema_differences',
} as const;

/** Seconds: sub-second REST calls up to hour-long realtime feeds. */
export const ACTIVITY_DURATION_BUCKETS = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 300, 900, 3600, 21600,
];

export type ApplyPath = 'realtime' | 'reconcile' | 'deletes';

/** The `telemetryOptions.metrics` part of Runtime.install, or undefined when metrics are off. */
export function prometheusExporter(address: string | null): MetricsExporterConfig | undefined {
  if (address === null) return undefined;
  return {
    prometheus: {
      bindAddress: address,
      histogramBucketOverrides: { [METRICS.activityDuration]: ACTIVITY_DURATION_BUCKETS },
    },
  };
}

/** `schema.table` from an activity's first argument (every activity takes `{ table: { schema, table } }`). */
function tableFromArgs(args: readonly unknown[]): string {
  const ref = (args[0] as { table?: { schema?: unknown; table?: unknown } } | undefined)?.table;
  return typeof ref?.schema === 'string' && typeof ref.table === 'string'
    ? tableName({ schema: ref.schema, table: ref.table })
    : 'unknown';
}

function count(value: unknown, field: string): number {
  const n = (value as Record<string, unknown> | null | undefined)?.[field];
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

export class SyncMetrics {
  private readonly rowsApplied;
  private readonly lag;
  private readonly connected;
  private readonly duration;
  private readonly errors;
  private readonly drift;
  private readonly unsynced;
  private readonly differences;
  /** The drift series set to 1 per table, to set back to 0 when they go away. */
  private readonly driftShown = new Map<string, Array<Record<string, string>>>();
  private unsyncedShown: string[] = [];

  constructor(
    meter: MetricMeter,
    private readonly logger?: Logger,
  ) {
    this.rowsApplied = meter.createCounter(
      METRICS.rowsApplied,
      'rows',
      'Rows written or deleted on the target, by table and path (realtime, reconcile, deletes)',
    );
    this.lag = meter.createGauge(
      METRICS.lag,
      'float',
      's',
      'Commit-to-apply delay of the latest realtime batch, by table',
    );
    this.connected = meter.createGauge(
      METRICS.realtimeConnected,
      'int',
      '',
      '1 while the table’s realtime subscription is live, else 0',
    );
    this.duration = meter.createHistogram(
      METRICS.activityDuration,
      'float',
      's',
      'Activity duration by table, activity and outcome (ok, error, cancelled)',
    );
    this.errors = meter.createCounter(
      METRICS.activityErrors,
      'errors',
      'Failed activity attempts, by table and activity',
    );
    this.drift = meter.createGauge(
      METRICS.schemaDrift,
      'int',
      '',
      '1 per difference of the target table from the source (kind, column or index; blocking 1 stops the table)',
    );
    this.unsynced = meter.createGauge(
      METRICS.unsyncedTables,
      'int',
      '',
      '1 per table on the source that the tables file does not select (not synced)',
    );
    this.differences = meter.createGauge(
      METRICS.schemaDifferences,
      'int',
      '',
      'Objects of the app (policies, privileges, functions, views, triggers, types, indexes, …) that differ on the target, by the schema watch',
    );
  }

  /** How many of the app's objects differ on the target (src/engine/schema-watch.ts). */
  schemaDifferences(n: number): void {
    this.safely('schema differences', () => this.differences.set(n));
  }

  /** The schema differences a check found for `table` (those no longer found go back to 0). */
  schema(table: string, differences: SchemaDifference[]): void {
    const now = differences.map((d) => ({
      table,
      kind: d.kind,
      name: d.name ?? '',
      blocking: d.blocking ? '1' : '0',
    }));
    const key = (l: Record<string, string>) => JSON.stringify(l);
    const current = new Set(now.map(key));
    for (const old of this.driftShown.get(table) ?? []) {
      if (!current.has(key(old))) this.safely('schema drift', () => this.drift.set(0, old));
    }
    for (const labels of now) this.safely('schema drift', () => this.drift.set(1, labels));
    this.driftShown.set(table, now);
  }

  /** Tables on the source that no pattern or entry of the tables file selects. */
  unsyncedTables(tables: string[]): void {
    for (const old of this.unsyncedShown) {
      if (!tables.includes(old)) this.safely('unsynced tables', () => this.unsynced.set(0, { table: old }));
    }
    for (const table of tables) this.safely('unsynced tables', () => this.unsynced.set(1, { table }));
    this.unsyncedShown = [...tables];
  }

  /** Metrics are best effort: a recording problem is logged once per kind, never thrown. */
  private readonly warned = new Set<string>();
  private safely(what: string, record: () => void): void {
    try {
      record();
    } catch (error) {
      if (this.warned.has(what)) return;
      this.warned.add(what);
      this.logger?.warn({ err: String(error) }, `could not record the ${what} metric`);
    }
  }

  rows(table: string, path: ApplyPath, n: number): void {
    if (n > 0) this.safely('rows applied', () => this.rowsApplied.add(n, { table, path }));
  }

  realtimeProgress(table: string, progress: RealtimeProgress): void {
    this.rows(table, 'realtime', progress.written + progress.deleted);
    this.safely('realtime connected', () => this.connected.set(progress.connected ? 1 : 0, { table }));
    const lagMs = progress.lagMs;
    if (lagMs !== null && Number.isFinite(lagMs) && lagMs >= 0) {
      this.safely('lag', () => this.lag.set(lagMs / 1000, { table }));
    }
  }

  activityFinished(
    table: string,
    activity: string,
    outcome: 'ok' | 'error' | 'cancelled',
    seconds: number,
    result?: unknown,
  ): void {
    this.safely('activity duration', () =>
      this.duration.record(Math.max(0, seconds), { table, activity, outcome }),
    );
    if (outcome === 'error') this.safely('activity errors', () => this.errors.add(1, { table, activity }));
    if (outcome !== 'ok') return;
    if (activity === 'reconcileChunk') this.rows(table, 'reconcile', count(result, 'written'));
    else if (activity === 'replayDeletions') this.rows(table, 'deletes', count(result, 'deleted'));
  }

  /**
   * Worker `interceptors.activity`: times every activity, counts its failures and reads the row
   * counts from its result. A cancelled attempt (pause, stop, continue-as-new) or one ended by the
   * worker's own shutdown is `cancelled`, not an error.
   */
  activityInterceptor(shuttingDown?: AbortSignal): ActivityInterceptorsFactory {
    return (ctx) => ({
      inbound: {
        execute: async (input, next) => {
          const activity = ctx.info.activityType;
          const table = tableFromArgs(input.args);
          const started = performance.now();
          const elapsed = () => (performance.now() - started) / 1000;
          let result: unknown;
          try {
            result = await next(input);
          } catch (error) {
            const cancelled =
              error instanceof CancelledFailure ||
              ctx.cancellationSignal.aborted ||
              shuttingDown?.aborted === true;
            this.activityFinished(table, activity, cancelled ? 'cancelled' : 'error', elapsed());
            throw error;
          }
          this.activityFinished(table, activity, 'ok', elapsed(), result);
          return result;
        },
      },
    });
  }

  /**
   * `deps.notify` with the feed's realtime counts, lag and connection state recorded as each batch
   * is applied (`observeRealtime`), not when they are signalled to the workflow (at most every 30 s).
   */
  wrapNotify(notify: ActivityDeps['notify']): ActivityDeps['notify'] {
    return {
      ...notify,
      observeRealtime: (workflowId, progress) => {
        const table = tableFromWorkflowId(workflowId);
        if (table) this.realtimeProgress(table, progress);
        notify.observeRealtime?.(workflowId, progress);
      },
    };
  }
}
