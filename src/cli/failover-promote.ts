/**
 * `supabase-sync failover promote [--force]`: the backup becomes the primary. Each step is logged:
 * 1. a final catch-up pass per table through its workflow (skipped, with a warning, when the source
 *    cannot be reached or no worker runs): only a pass as the sync runs anyway, so the check sees the
 *    backup as it will be promoted;
 * 2. readiness (failover-check.ts): refused with the reasons unless --force (or already promoted);
 * 3. the sync stopped: each table workflow stopped (terminated when no worker answers), so nothing
 *    writes to the promoted project any more; the change logs (tables without a version column)
 *    removed from the old primary when it can be reached, so an app still writing there does not
 *    fill them;
 * 4. sequences moved forward with a safety margin (past the source's, or past the target's own when
 *    the source is gone): ids the lost primary handed out after the last pass cannot come back;
 * 5. delete tracking enabled on the promoted project (for a later `failover reverse`);
 * 6. the promotion recorded (failover-record.ts); then the steps that remain are printed.
 * Idempotent: run again, every step finds its work done and says so.
 */
import type { Client } from '@temporalio/client';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import type { ReconcileResult, TableStatus } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { unreachableIn } from '../supabase/api-errors.js';
import { connectSource } from '../supabase/source.js';
import { reconcileNowUpdate, stopUpdate } from '../workflows/messages.js';
import { isRunning } from '../engine/tables.js';
import { CliError } from './common.js';
import { briefError, MAX_LINE, summarize } from './failover-causes.js';
import { checkReadiness, projectsOf } from './failover-check.js';
import { bounded, type Projects } from './failover-gather.js';
import type { Limits } from './failover-readiness.js';
import { readPromoteRecord, writePromoteRecord } from '../engine/failover-record.js';
import { sendRequest } from './requests.js';
import { targetOf } from './targets.js';
import { workerPresence } from './workers.js';

export interface PromoteOptions {
  force: boolean;
  /** How far past the source's position the target's sequences are moved. */
  margin: number;
  limits: Limits;
  interrupted: AbortSignal;
  /** Where the steps are told (stdout); warnings go to `warn` (stderr). */
  log(line: string): void;
  warn(line: string): void;
}

const PASS_TIMEOUT_MS = 10 * 60_000;
const STOP_TIMEOUT_MS = 120_000;

async function finalPasses(c: Client, cfg: SyncConfig, o: PromoteOptions): Promise<void> {
  for (const t of cfg.tables) {
    const target = targetOf(t);
    if (!(await isRunning(c, target.workflowId))) {
      o.log(`  ${t.qualifiedName}: no running workflow (already stopped): no pass`);
      continue;
    }
    try {
      const r = await sendRequest<ReconcileResult>(
        c,
        target,
        {
          what: 'final pass',
          update: reconcileNowUpdate.name,
          args: [{}],
          resultTimeoutMs: PASS_TIMEOUT_MS,
          waitingFor: 'the pass',
        },
        o.interrupted,
      );
      if (r.ok && r.pass)
        o.log(
          `  ${t.qualifiedName}: read ${r.pass.rowsRead}, written ${r.pass.written}, deletes replayed ${r.pass.deletesReplayed}`,
        );
      else o.warn(`  ${t.qualifiedName}: the final pass failed: ${r.error ?? 'unknown error'}`);
    } catch (error) {
      o.warn(`  ${t.qualifiedName}: the final pass did not run: ${errorMessage(error)}`);
    }
  }
}

async function stopSync(c: Client, cfg: SyncConfig, workerLive: boolean, o: PromoteOptions): Promise<void> {
  for (const t of cfg.tables) {
    const target = targetOf(t);
    if (!(await isRunning(c, target.workflowId))) {
      o.log(`  ${t.qualifiedName}: already stopped`);
      continue;
    }
    if (workerLive) {
      try {
        await sendRequest<TableStatus>(
          c,
          target,
          {
            what: 'stop',
            update: stopUpdate.name,
            resultTimeoutMs: STOP_TIMEOUT_MS,
            waitingFor: 'the pass in flight',
          },
          o.interrupted,
        );
        o.log(`  ${t.qualifiedName}: stopped`);
        continue;
      } catch (error) {
        o.warn(
          `  ${t.qualifiedName}: the stop was not acknowledged (${errorMessage(error)}): terminating it`,
        );
      }
    }
    await c.workflow
      .getHandle(target.workflowId)
      .terminate('failover promote: the backup is the primary now');
    o.log(`  ${t.qualifiedName}: terminated`);
  }
}

/** The change logs only a running feed reads (realtime-changes.ts): none reads them any more. */
async function removeChangeLogs(cfg: SyncConfig, o: PromoteOptions): Promise<void> {
  const primary = connectSource(cfg.source);
  for (const t of cfg.tables) {
    const done = await bounded(t.qualifiedName, () => primary.trackChanges(t, false));
    if ('error' in done) o.warn(`  ${t.qualifiedName}: change log not removed: ${briefError(done.message)}`);
    else if (done.value === 'removed') o.log(`  ${t.qualifiedName}: change log removed on the old primary`);
  }
}

async function advanceSequences(
  cfg: SyncConfig,
  projects: Projects,
  sourceUp: boolean,
  o: PromoteOptions,
): Promise<void> {
  const named = cfg.sequences ?? [];
  const groups: Array<Pick<TableConfig, 'schema' | 'table'> & { label: string; named: string[] }> = [
    ...cfg.tables.map((t) => ({ schema: t.schema, table: t.table, label: t.qualifiedName, named: [] })),
    ...(named.length > 0 ? [{ schema: 'public', table: '', label: 'named sequences', named }] : []),
  ];
  for (const g of groups) {
    // Past the source's position; with the source gone, past the target's own (the margin covers
    // the ids the source handed out after the last pass).
    const from = sourceUp ? projects.source : projects.target;
    const positions = (await from.readSequences(g, g.named)).filter((s) => s.next !== null);
    if (positions.length === 0) continue;
    const moved = await projects.target.advanceSequences(positions, o.margin);
    for (const m of moved)
      o.log(
        `  ${m.schema}.${m.name}: ${m.advanced ? `next ${m.before} → ${m.after}` : `next ${m.after ?? '(missing on the target)'} (already ahead)`}`,
      );
  }
}

export async function promote(c: Client, cfg: SyncConfig, o: PromoteOptions): Promise<void> {
  const projects = projectsOf(cfg);
  const record = await readPromoteRecord(c, cfg);
  const again = record !== null && record.promoted === cfg.target.url && record.primary === cfg.source.url;

  const source = await bounded('the source', () => projects.source.functionsVersion(), 5000);
  const sourceUp = 'value' in source;
  const presence = await workerPresence(c, cfg.temporal);

  o.log('1. final catch-up pass');
  if (!sourceUp)
    o.warn(
      `  skipped: the source cannot be reached (${unreachableIn(source.message)?.cause ?? briefError(source.message)})`,
    );
  else if (!presence.live) o.warn('  skipped: no worker is running (npm run sync); the last passes stand');
  else await finalPasses(c, cfg, o);

  o.log('2. readiness');
  const readiness = await checkReadiness(c, cfg, o.limits, projects);
  if (readiness.ready) o.log('  ready');
  else if (again)
    o.log(`  already promoted at ${new Date(record.promotedAt).toISOString()}: going on (idempotent)`);
  else if (!o.force) {
    for (const r of readiness.reasons) o.warn(`  not ready: ${r}`);
    // One line (after `supabase-sync: `) of at most MAX_LINE: the reasons are listed above it.
    const [lead, tail] = ['refusing to promote, the backup is not ready: ', ' (fix it, or pass --force)'];
    const room = MAX_LINE - 'supabase-sync: '.length - lead.length - tail.length;
    throw new CliError(`${lead}${summarize(readiness.reasons, room)}${tail}`);
  } else for (const r of readiness.reasons) o.warn(`  not ready (--force): ${r}`);

  o.log('3. stopping the sync');
  await stopSync(c, cfg, presence.live, o);
  if (sourceUp) await removeChangeLogs(cfg, o);

  o.log(
    `4. sequences (margin ${o.margin}${sourceUp ? ' past the source' : ' past the target: the source is gone'})`,
  );
  await advanceSequences(cfg, projects, sourceUp, o);

  o.log('5. delete tracking on the promoted project (for a later failover reverse)');
  const promoted = connectSource(cfg.target);
  for (const t of cfg.tables) {
    const done = await bounded(t.qualifiedName, () => promoted.enableTable(t, false));
    if ('error' in done) o.warn(`  ${t.qualifiedName}: not tracked: ${briefError(done.message)}`);
    else o.log(`  ${t.qualifiedName}: tracked`);
  }

  o.log('6. recording the promotion');
  if (again) o.log(`  already recorded (${new Date(record.promotedAt).toISOString()})`);
  else
    await writePromoteRecord(c, cfg, {
      promotedAt: Date.now(),
      promoted: cfg.target.url,
      primary: cfg.source.url,
    });

  o.log('');
  o.log(`promoted: ${cfg.target.url} is the primary now. What remains for you:`);
  o.log(
    `  - point the application at ${cfg.target.url}: its SUPABASE_URL, and that project's anon and service role keys (dashboard → Project Settings → API)`,
  );
  o.log(
    '  - stop every `npm run sync` worker of this configuration (nothing may sync into the promoted project)',
  );
  o.log(
    '  - keep the old primary switched off for the application; when it is back, `supabase-sync failover reverse` (docs/failover.md)',
  );
}
