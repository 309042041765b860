/**
 * What the dashboard page shows, gathered as `failover check` and `status` gather it (no worker
 * needed): the verdict and its facts (failover-check.ts `readinessAndFacts`, which reads every
 * table's status), the buckets' statuses (storage-status.ts) and each table's lag history. One
 * gathering at a time, reused for MAX_AGE_MS, so page loads and refreshes cost the projects and
 * Temporal the same as one `failover check` every few seconds at most.
 */
import type { Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import { errorMessage } from '../core/errors.js';
import type { LagHistory, LagPoint } from '../temporal/lag-history.js';
import { readinessAndFacts } from './failover-check.js';
import type { Readiness } from './failover-readiness.js';
import type { StatusEntry } from './recorded.js';
import { readStorageStatuses, type StorageEntry } from './storage-status.js';
import { noWorkerLine } from './workers.js';

const MAX_AGE_MS = 5000;

export interface DashboardSnapshot {
  /** When it was gathered (epoch ms). */
  at: number;
  readiness: Readiness;
  /** Each configured table's status, in the order of `readiness.tables`. */
  statuses: StatusEntry[];
  storage: StorageEntry[];
  /** Null while a worker polls; else the line `status` prints. */
  noWorker: string | null;
  /** Each table's lag over the last hour, oldest first. */
  history: Map<string, LagPoint[]>;
}

export type DashboardView = DashboardSnapshot | { at: number; error: string };

export class DashboardData {
  private last: { at: number; view: Promise<DashboardView> } | undefined;

  constructor(
    private readonly client: Client,
    private readonly config: SyncConfig,
    /** The worker's history (fed by its feeds), or the page's own; each status read adds its lag. */
    private readonly history: LagHistory,
  ) {}

  view(now = Date.now()): Promise<DashboardView> {
    if (this.last === undefined || now - this.last.at >= MAX_AGE_MS)
      this.last = { at: now, view: this.gather() };
    return this.last.view;
  }

  private async gather(): Promise<DashboardView> {
    try {
      const { readiness, gathered } = await readinessAndFacts(this.client, this.config);
      const storage = await readStorageStatuses(this.client, this.config, gathered.presence.live).catch(
        (error: unknown): StorageEntry[] => [
          { bucket: '(buckets)', workflowId: '', state: 'unknown', note: errorMessage(error) },
        ],
      );
      const at = Date.now();
      for (const s of gathered.statuses)
        if ('counters' in s && s.lagSeconds !== null) this.history.record(s.table, s.lagSeconds, at);
      const history = new Map(readiness.tables.map((t) => [t.table, this.history.points(t.table, at)]));
      return {
        at,
        readiness,
        statuses: gathered.statuses,
        storage,
        noWorker: gathered.presence.live ? null : noWorkerLine(gathered.presence, at),
        history,
      };
    } catch (error) {
      return { at: Date.now(), error: errorMessage(error) };
    }
  }
}
