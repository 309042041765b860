/**
 * Finding tables created on the source while the worker runs: every DISCOVERY_INTERVAL_MS the
 * tables are resolved again (resolve-tables.ts); one the tables file selects and no workflow syncs
 * yet gets delete tracking and its workflow, and every other table is reported as "on the source,
 * not synced" (log line and metric). A failed look is logged and tried again next time. In the
 * worker process, outside Temporal: it costs no Temporal action while nothing changes.
 */
import type { Client } from '@temporalio/client';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import type { SourceProject } from '../contracts/ports.js';
import type { SyncSettings } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { DISCOVERY_INTERVAL_MS, resolveTables, type ResolvedTables } from './resolve-tables.js';
import { enableDeleteTracking, ensureTableWorkflows, logReports } from './tables.js';

export interface DiscoveryOptions {
  client: Client;
  config: SyncConfig;
  settings: SyncSettings;
  source: SourceProject;
  logger: Logger;
  /** The tables the worker syncs already. */
  known: Iterable<string>;
  /** Tables on the source that nothing selects (for the metric). */
  onUnsynced?: (tables: string[]) => void;
  /** New tables whose workflows were started (the schema watch's scope grows with them). */
  onSynced?: (tables: TableConfig[]) => void;
  intervalMs?: number;
}

/** Logs what a resolution found that no table syncs (once per change of the list). */
export function reportUnsynced(logger: Logger, resolved: ResolvedTables, previous: string[] = []): void {
  for (const s of resolved.skipped) logger.warn({ table: s.table }, `not synced: ${s.reason}`);
  const added = resolved.unsynced.filter((t) => !previous.includes(t));
  if (added.length > 0) {
    const shown = added.slice(0, 20).join(', ');
    logger.info(
      { tables: added.length },
      `on the source, not synced (no entry or pattern of the tables file selects them): ${shown}${added.length > 20 ? ` and ${added.length - 20} more (supabase-sync status lists them)` : ''}`,
    );
  }
}

export class TableDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly known: Set<string>;
  private unsynced: string[] = [];

  constructor(private readonly options: DiscoveryOptions) {
    this.known = new Set(options.known);
  }

  start(): void {
    const every =
      this.options.intervalMs ?? this.options.config.discovery?.intervalMs ?? DISCOVERY_INTERVAL_MS;
    this.timer = setInterval(() => {
      this.running ??= this.look().finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One look at the source. */
  async look(): Promise<void> {
    const { client, config, settings, source, logger } = this.options;
    try {
      const resolved = await resolveTables(config, source);
      const fresh = resolved.tables.filter((t) => !this.known.has(t.qualifiedName));
      if (JSON.stringify(resolved.unsynced) !== JSON.stringify(this.unsynced)) {
        reportUnsynced(logger, { ...resolved, skipped: [] }, this.unsynced);
        this.unsynced = resolved.unsynced;
        this.options.onUnsynced?.(resolved.unsynced);
      }
      if (fresh.length === 0) return;
      const withNew = { ...config, tables: fresh };
      logReports(logger, await enableDeleteTracking(source, withNew, settings));
      const ensured = await ensureTableWorkflows(client, withNew, settings);
      this.options.onSynced?.(fresh.filter((t) => ensured.some((e) => e.table === t.qualifiedName)));
      for (const e of ensured) {
        this.known.add(e.table);
        logger.info(
          { table: e.table, workflowId: e.workflowId },
          `${e.table}: a new table on the source that the tables file selects: ${e.started ? 'started' : 'kept'} workflow ${e.workflowId}`,
        );
      }
    } catch (error) {
      logger.warn(
        `looking for new tables on the source failed (tried again in a minute): ${errorMessage(error)}`,
      );
    }
  }
}
