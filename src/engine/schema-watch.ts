/**
 * The schema watch of a running worker: every SYNC_SCHEMA_WATCH_INTERVAL_MS (60 s) it reads each
 * project's app fingerprint (one md5 per schema of its policies, privileges, functions, views,
 * triggers, types, indexes and the synced tables' columns: supabase/migrations/20261207130000_…),
 * and only when one changed (or the synced tables did) compares the app's objects on both projects
 * (schema-compare.ts). Each new difference is one warning line with the SQL that makes the target
 * match, and `supabase_sync_schema_differences` counts them (schema-drift-log.ts). With
 * `"schema": {"follow": true}` it first applies what only adds (schema-follow.ts). In the worker
 * process, outside Temporal: no workflow, activity, signal or query, whatever the number of tables.
 * A project without the fingerprint function: one warning naming the migration, then silence
 * (looked for again quietly every interval); the sync itself is not affected.
 */
import type { AppCatalogScope, AppFingerprint } from '../contracts/app-catalog.js';
import type { StorageConfig, TableConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import { SyncError } from '../contracts/ports.js';
import { changedSchemas } from '../core/app-fingerprint.js';
import { BackgroundTask } from '../core/background-task.js';
import { errorMessage } from '../core/errors.js';
import { formatSeconds } from '../core/format.js';
import { DEFAULT_SCHEMA_WATCH_INTERVAL_MS } from '../config/index.js';
import { connectSchemaReader, type SchemaReader } from '../supabase/schema-project.js';
import type { RunContext } from './run-context.js';
import { appScope, compareAppObjects } from './schema-compare.js';
import { DriftLog } from './schema-drift-log.js';
import { followSource, type ApplySteps } from './schema-follow.js';

export interface SchemaWatchOptions {
  source: SchemaReader;
  target: SchemaReader;
  /** The tables the worker syncs now (discovery adds to them). */
  tables: () => TableConfig[];
  storage?: StorageConfig;
  logger: Logger;
  intervalMs: number;
  /** `"schema": {"follow": true}`: the target's database URL what only adds is applied through. */
  follow?: { databaseUrl: string; apply?: ApplySteps };
  /** The number of the app's objects that differ (the metric). */
  onDifferences?: (n: number) => void;
}

/** How long stopping waits for a look in flight (its statements roll back if the process exits). */
const STOP_WAIT_MS = 5000;

interface Fingerprints {
  source: AppFingerprint;
  target: AppFingerprint;
}

export class SchemaWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly task = new BackgroundTask();
  private readonly log: DriftLog;
  /** The last fingerprints compared, and the scope they were read for. */
  private last: (Fingerprints & { scope: string }) | undefined;
  /** A project lacks the fingerprint function: said once, quiet until it answers. */
  private missing = false;
  private lastError: string | undefined;

  constructor(private readonly options: SchemaWatchOptions) {
    this.log = new DriftLog(options.logger, options.follow !== undefined, options.onDifferences);
  }

  /** Looks at once, then every interval. */
  start(): void {
    this.task.start(() => this.look());
    this.timer = setInterval(() => this.task.start(() => this.look()), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer; waits for a look in flight at most STOP_WAIT_MS (a project that hangs must not hold the worker's exit). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
      timer.unref();
    });
    await Promise.race([this.task.settled(), waited]);
    clearTimeout(timer);
  }

  /** One look: the fingerprints, and when one changed, the comparison (never throws). */
  async look(): Promise<void> {
    const tables = this.options.tables();
    const scope = appScope(tables, this.options.storage);
    const read = await this.fingerprints(scope);
    if (!read) return;
    const scopeKey = JSON.stringify(scope);
    const sameScope = this.last?.scope === scopeKey;
    const changed = new Set([
      ...changedSchemas(sameScope ? this.last?.source : undefined, read.source),
      ...changedSchemas(sameScope ? this.last?.target : undefined, read.target),
    ]);
    if (sameScope && changed.size === 0) return;
    try {
      const after = await this.compare(
        tables.filter((t) => changed.has(t.schema)),
        tables,
        read,
      );
      this.last = { ...after, scope: scopeKey };
      this.lastError = undefined;
    } catch (error) {
      this.warnOnce(`comparing the schemas failed: ${errorMessage(error)}`);
    }
  }

  /** Compares (after following, when on) and reports; returns the fingerprints to compare the next look's with. */
  private async compare(
    changedTables: TableConfig[],
    tables: TableConfig[],
    read: Fingerprints,
  ): Promise<Fingerprints> {
    const { source, target, storage, follow, logger } = this.options;
    let objects = await compareAppObjects(source, target, tables, storage);
    if (follow !== undefined) {
      const applied = await followSource({
        source,
        target,
        tables: changedTables,
        objects,
        logger,
        ...follow,
      });
      if (applied > 0) objects = await compareAppObjects(source, target, tables, storage);
    }
    this.log.report(objects);
    // The fingerprints read before comparing, not after: a change the source made meanwhile (or
    // what was just applied to the target) changes them, so the next look compares and follows again.
    return read;
  }

  /** Both projects' fingerprints, or null (said once) when one cannot be read. */
  private async fingerprints(scope: AppCatalogScope): Promise<Fingerprints | null> {
    const { source, target, logger } = this.options;
    const [s, t] = await Promise.allSettled([
      source.readAppFingerprint(scope),
      target.readAppFingerprint(scope),
    ]);
    if (s.status === 'fulfilled' && t.status === 'fulfilled') {
      if (this.missing)
        logger.info('schema watch: both projects have the fingerprint function now; watching');
      this.missing = false;
      return { source: s.value, target: t.value };
    }
    const errors = [s, t].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const lacking = errors.filter((e) => e instanceof SyncError && e.kind === 'migration');
    if (lacking.length > 0) {
      if (!this.missing) {
        logger.warn(
          `schema watch off: ${lacking.map(errorMessage).join('; ')}; until then changes to policies, functions and grants are not watched (the sync itself goes on)`,
        );
      }
      this.missing = true;
      return null;
    }
    this.warnOnce(`reading the schema fingerprints failed: ${errors.map(errorMessage).join('; ')}`);
    return null;
  }

  /** A failure, logged when it is not the one logged last. */
  private warnOnce(message: string): void {
    if (message === this.lastError) return;
    this.lastError = message;
    this.options.logger.warn(
      `schema watch: ${message} (tried again every ${formatSeconds(this.options.intervalMs)})`,
    );
  }
}

/** The worker's watch (run-loop.ts), started; undefined when SYNC_SCHEMA_WATCH_INTERVAL_MS is 0. */
export function watchSchema(ctx: RunContext, tables: () => TableConfig[]): SchemaWatch | undefined {
  const { config, logger } = ctx;
  const intervalMs = config.schemaWatch?.intervalMs ?? DEFAULT_SCHEMA_WATCH_INTERVAL_MS;
  if (intervalMs === 0) return undefined;
  const databaseUrl = config.schema?.follow === true ? config.targetDatabaseUrl : undefined;
  const watch = new SchemaWatch({
    source: connectSchemaReader({ ...config.source, role: 'source' }),
    target: connectSchemaReader({ ...config.target, role: 'target' }),
    tables,
    ...(config.storage ? { storage: config.storage } : {}),
    logger,
    intervalMs,
    ...(databaseUrl !== undefined ? { follow: { databaseUrl } } : {}),
    onDifferences: (n) => ctx.sync.metrics.schemaDifferences(n),
  });
  watch.start();
  logger.info(
    `schema watch: the app's policies, privileges, functions, views, triggers, types and columns compared when they change (looked at every ${formatSeconds(intervalMs)})${databaseUrl !== undefined ? "; schema.follow applies what the source adds to the target's database" : ''}`,
  );
  return watch;
}
