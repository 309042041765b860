/**
 * `supabase-sync failover reverse`: failback, once the old primary is reachable again. Run with the
 * configuration swapped (the promoted project as SYNC_SOURCE_*, the old primary as SYNC_TARGET_*;
 * docs/failover.md). Each step is logged:
 * 1. both projects reachable, with the supabase-sync migrations this version needs;
 * 2. the promotion recorded by `promote` found (the old primary is this target), unless --force;
 * 3. the rows written on the old primary after the promote, which the promoted project never saw,
 *    reported per table (counts and a few keys): the first copy does not overwrite them (the version
 *    guard keeps a newer row) nor delete them;
 * 4. delete tracking on the new source; the table workflows started afresh (no checkpoint of the
 *    other direction): a first copy into the old primary, then the same continuous sync.
 * Idempotent: table workflows already running are kept.
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { FUNCTIONS_VERSION } from '../activities/schema-check.js';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import type { TableSyncInput } from '../contracts/table-sync.js';
import { pickVersionColumn } from '../core/table-schema.js';
import { enableDeleteTracking, isRunning } from '../engine/tables.js';
import { syncSettings } from '../config/settings.js';
import { connectSource } from '../supabase/source.js';
import { workflowIdFor } from '../workflows/ids.js';
import { tableSync } from '../workflows/table-sync.js';
import { CliError } from './common.js';
import { bounded } from './failover-gather.js';
import { readPromoteRecord } from '../engine/failover-record.js';

const SAMPLE = 10;
const LIMIT = 10_000;

export interface ReverseOptions {
  force: boolean;
  log(line: string): void;
  warn(line: string): void;
}

/** Rows of `t` changed on the old primary since the promotion (keys only), or why it cannot tell. */
async function writtenAfter(
  cfg: SyncConfig,
  t: TableConfig,
  since: number,
): Promise<{ count: number; keys: string[]; capped: boolean } | { unknown: string }> {
  const old = connectSource(cfg.target);
  const schema = await old.readSchema(t);
  if (!schema.exists) return { unknown: 'the table does not exist on the old primary' };
  const version = pickVersionColumn(schema, t.incrementalFields);
  if (version === null)
    return {
      unknown: `no version column (${t.incrementalFields.join(', ')}): supabase-sync verify lists the differences`,
    };
  const rows = await old.readVersions(t, version, new Date(since).toISOString(), null, LIMIT);
  return {
    count: rows.length,
    keys: rows.slice(0, SAMPLE).map((r) => (r.key.length === 1 ? String(r.key[0]) : `(${r.key.join(', ')})`)),
    capped: rows.length >= LIMIT,
  };
}

export async function reverse(c: Client, cfg: SyncConfig, o: ReverseOptions): Promise<void> {
  o.log('1. both projects and their migrations');
  const projects = [
    ['source (the promoted project)', connectSource(cfg.source)],
    ['target (the old primary)', connectSource(cfg.target)],
  ] as const;
  for (const [role, project] of projects) {
    const v = await bounded(`the ${role}`, () => project.functionsVersion());
    if ('error' in v) throw new CliError(`${v.error}: it must be reachable for a failback`);
    if (v.value === null || v.value < FUNCTIONS_VERSION)
      throw new CliError(
        `the ${role} has supabase-sync functions of ${v.value ?? 'before 20261202120300'}, this version needs ${FUNCTIONS_VERSION}: apply the migrations (npx supabase-sync migrate --apply --db-url …)`,
      );
    o.log(`  ${role}: functions ${v.value}`);
  }

  o.log('2. the promotion');
  const record = await readPromoteRecord(c, cfg);
  const matches = record !== null && record.promoted === cfg.source.url && record.primary === cfg.target.url;
  if (!matches && !o.force)
    throw new CliError(
      `no promotion of ${cfg.source.url} over ${cfg.target.url} is recorded: run failover reverse with the configuration swapped (the promoted project as SYNC_SOURCE_*, the old primary as SYNC_TARGET_*), after failover promote; --force goes on without it`,
    );
  const since = record?.promotedAt ?? null;
  o.log(since === null ? '  none recorded (--force)' : `  promoted at ${new Date(since).toISOString()}`);

  o.log('3. rows written on the old primary after the promote (kept: not overwritten, not deleted)');
  let found = 0;
  const running = await Promise.all(cfg.tables.map((t) => isRunning(c, workflowIdFor(t))));
  if (cfg.tables.length > 0 && running.every(Boolean))
    // The sync into the old primary runs: its own writes would read as late ones now.
    o.log('  already reversed (the sync in this direction runs): reported by the first failover reverse');
  else if (since === null)
    o.warn('  unknown without a recorded promotion: supabase-sync verify lists the differences');
  else
    for (const t of cfg.tables) {
      const w = await writtenAfter(cfg, t, since);
      if ('unknown' in w) o.warn(`  ${t.qualifiedName}: cannot tell: ${w.unknown}`);
      else if (w.count > 0) {
        found += w.count;
        o.warn(
          `  ${t.qualifiedName}: ${w.count}${w.capped ? '+' : ''} row(s) changed there after the promote, never seen by the promoted project (keys ${w.keys.join(', ')}${w.count > w.keys.length ? ', …' : ''}): kept as they are; merge them into the promoted project by hand if they matter`,
        );
      } else o.log(`  ${t.qualifiedName}: none`);
    }

  o.log('4. starting the sync in the other direction');
  const settings = syncSettings(cfg);
  const tracking = await enableDeleteTracking(connectSource(cfg.source), cfg, settings);
  for (const r of tracking) {
    if (r.ok) o.log(`  ${r.message}`);
    else o.warn(`  ${r.message}`);
  }
  for (const t of cfg.tables) {
    const workflowId = workflowIdFor(t);
    if (await isRunning(c, workflowId)) {
      o.log(`  ${t.qualifiedName}: already running (kept)`);
      continue;
    }
    // Afresh: the checkpoint of the other direction does not apply to this one.
    const input: TableSyncInput = { table: t, settings };
    await c.workflow.start(tableSync, {
      workflowId,
      taskQueue: cfg.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    o.log(`  ${t.qualifiedName}: started (a first copy, then continuous sync)`);
  }
  o.log('');
  o.log(
    `reversed: ${cfg.source.url} → ${cfg.target.url}. Run the worker with this configuration (npm run sync)${found > 0 ? `; ${found} row(s) written on the old primary after the promote are listed above` : ''}.`,
  );
}
