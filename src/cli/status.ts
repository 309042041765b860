/**
 * `supabase-sync status [TABLE…] [--json] [--watch] [--interval S]`. With a worker polling, each
 * table's status query (5 s at most); without one, or if it does not answer in time, what each
 * workflow last recorded (recorded.ts), marked with its age, and since when no worker polls.
 * With no tables named, also the running workflows of tables no longer configured, the source's
 * tables nothing selects and the app's objects that differ on the target (status-objects.ts).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { SyncConfig } from '../contracts/config.js';
import type { CopyProgress, TableStatus } from '../contracts/table-sync.js';
import { copyProgressOf } from '../core/copy-progress.js';
import { errorMessage } from '../core/errors.js';
import { findUnconfigured } from '../engine/orphans.js';
import { resolveTables } from '../engine/resolve-tables.js';
import { connectSource } from '../supabase/source.js';
import { runningCopyChunk } from '../temporal/copy-chunk.js';
import { statusQuery } from '../workflows/messages.js';
import { ago, client, clock, config, interruptSignal, pause, seconds } from './common.js';
import { recordedStatus, type StatusEntry } from './recorded.js';
import { selectTargets, withPatternTables, type Target } from './targets.js';
import { noWorkerLine, workerPresence, type WorkerPresence } from './workers.js';
import { readStorageStatuses, storageLines, type StorageEntry } from './storage-status.js';
import {
  objectEntries,
  objectLines,
  objectsEvery,
  readObjectDifferences,
  type ObjectsReport,
} from './status-objects.js';

export type { StatusEntry } from './recorded.js';

const QUERY_TIMEOUT_MS = 3000;

/**
 * The first copy's progress as of now: the workflow's counts (one update per chunk) plus the
 * running chunk's last heartbeat (temporal/copy-chunk.ts), read after them.
 */
async function withLiveCopy(c: Client, workflowId: string, s: TableStatus): Promise<TableStatus> {
  const chunk = await runningCopyChunk(c, workflowId, s.initialCopy).catch(() => undefined);
  return { ...s, copyProgress: copyProgressOf(s.initialCopy, Date.now(), chunk) };
}

async function liveStatus(c: Client, t: Target): Promise<StatusEntry> {
  try {
    return await c.withDeadline(Date.now() + QUERY_TIMEOUT_MS, async () =>
      withLiveCopy(c, t.workflowId, await c.workflow.getHandle(t.workflowId).query(statusQuery)),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { table: t.name, state: 'not started' };
    // No answer in time (a worker stopping, or busy): what the workflow last recorded.
    return recordedStatus(c, t);
  }
}

export interface StatusReport extends ObjectsReport {
  statuses: StatusEntry[];
  presence: WorkerPresence;
  /** Tables on the source that nothing in the tables file selects (with no names given). */
  unsynced?: string[];
  /** Why the source's tables could not be listed (status still answers). */
  unsyncedError?: string;
  /** The buckets of the `storage` key (docs/storage.md). */
  storage?: StorageEntry[];
}

const LIST_TIMEOUT_MS = 3000;
const OBJECTS_EVERY_MS = 30_000;

/** The source's tables that no entry or pattern of the tables file selects: no table left out by accident. */
async function unsyncedTables(cfg: SyncConfig): Promise<Pick<StatusReport, 'unsynced' | 'unsyncedError'>> {
  const deadline = new Promise<never>((_, reject) => {
    setTimeout(
      () => reject(new Error(`no answer within ${LIST_TIMEOUT_MS / 1000} s`)),
      LIST_TIMEOUT_MS,
    ).unref();
  });
  try {
    const resolved = await Promise.race([resolveTables(cfg, connectSource(cfg.source)), deadline]);
    return { unsynced: [...resolved.unsynced, ...resolved.skipped.map((x) => x.table)] };
  } catch (error) {
    return { unsyncedError: errorMessage(error) };
  }
}

/** The targets' statuses, plus (with no names given) the workflows of tables no longer configured. */
export async function readStatuses(
  c: Client,
  cfg: SyncConfig,
  targets: Target[],
  withUnconfigured: boolean,
  readObjects: (cfg: SyncConfig) => Promise<ObjectsReport> = readObjectDifferences,
): Promise<StatusReport> {
  const presence = await workerPresence(c, cfg.temporal);
  const extra: Target[] = withUnconfigured
    ? (await findUnconfigured(c, cfg)).map((u) => ({ name: u.table, workflowId: u.workflowId }))
    : [];
  const all = [...targets, ...extra];
  const [statuses, unsynced, storage, objects] = await Promise.all([
    Promise.all(
      all.map(async (t): Promise<StatusEntry> => {
        const s = await (presence.live ? liveStatus(c, t) : recordedStatus(c, t));
        return t.table ? s : { ...s, configured: false };
      }),
    ),
    withUnconfigured ? unsyncedTables(cfg) : Promise.resolve({}),
    withUnconfigured ? readStorageStatuses(c, cfg, presence.live) : Promise.resolve([]),
    withUnconfigured ? readObjects(cfg) : Promise.resolve({}),
  ]);
  return { statuses, presence, ...unsynced, ...(storage.length > 0 ? { storage } : {}), ...objects };
}

/**
 * `--json`: the statuses, then one `{table, state: "not synced"}` per table on the source nothing
 * selects, the buckets, and one `{object, state: "differs", …}` per object of the app that differs.
 */
export function jsonEntries(report: StatusReport): unknown[] {
  return [
    ...report.statuses,
    ...(report.unsynced ?? []).map((table) => ({ table, state: 'not synced' })),
    ...(report.storage ?? []),
    ...objectEntries(report),
  ];
}

export function statusLines(s: TableStatus, now = Date.now()): string {
  const c = s.counters;
  const p = s.lastPass;
  const pass = p
    ? `${p.kind} ${p.ok ? 'ok' : 'FAILED'} at ${clock(p.finishedAt)} (${ago(p.finishedAt, now)}): read ${p.rowsRead}, written ${p.written}, unchanged ${p.skipped}, deletes replayed ${p.deletesReplayed} (${p.deleted} removed)${p.ok || !p.error ? '' : ` — ${p.error}`}`
    : 'none yet';
  const copy = copyProgress(s, now);
  // While copying, the copy's line is the state; in another state (failing, paused) it follows it.
  const state = copy.done ? s.state : s.state === 'copying' ? copy.line : `${s.state} | ${copy.line}`;
  const realtime = s.realtime.enabled
    ? s.realtime.connected
      ? 'connected'
      : `disconnected${s.realtime.lostReason ? ` (${s.realtime.lostReason}; retried with backoff)` : ''}`
    : 'off';
  const healed = c.realtimeHealed
    ? ` (${c.realtimeHealed} that Realtime did not deliver, read from the source)`
    : '';
  const recorded =
    'recordedAt' in s && typeof s.recordedAt === 'number'
      ? ` (as recorded ${ago(s.recordedAt, now)}, at ${clock(s.recordedAt)})`
      : '';
  return [
    `${s.table}: ${state}${recorded}`,
    `  last pass: ${pass}`,
    `  rows upserted: realtime ${c.realtimeWritten}${healed}, reconcile ${c.reconcileWritten}; deleted: realtime ${c.realtimeDeleted}, ledger ${c.ledgerDeleted}`,
    `  realtime: ${realtime}; lag: ${s.lagSeconds === null ? 'unknown' : `${s.lagSeconds.toFixed(1)} s`}`,
    `  last error: ${s.lastError ? `${s.lastError.where}, ${ago(s.lastError.at, now)}: ${s.lastError.message}` : 'none'}`,
    // Differences that do not stop the table (a blocking one is the last error).
    ...(s.schemaDrift ?? []).map(
      (d) => `  schema drift: ${d.message}; fix on the target: ${d.sql.replace(/\s*\n\s*/g, ' ')}`,
    ),
    ...(copy.done ? [`  first copy: ${copy.line}`] : []),
  ].join('\n');
}

/**
 * The copy's progress shown for a status: as read (live, or as the memo recorded it), else from its
 * counts (a memo recorded before progress was).
 */
export function copyProgress(s: TableStatus, now = Date.now()): CopyProgress {
  const at = 'recordedAt' in s && typeof s.recordedAt === 'number' ? s.recordedAt : now;
  return s.copyProgress ?? copyProgressOf(s.initialCopy, at);
}

function entryLines(s: StatusEntry, cfg: SyncConfig, now: number): string {
  const main =
    'counters' in s
      ? statusLines(s, now)
      : 'recordedAt' in s
        ? `${s.table}: ${s.state} (from its SyncState search attribute: no details without a worker)`
        : `${s.table}: not started`;
  if (s.configured !== false) return main;
  return `${main}\n  not in ${cfg.tableConfigFile}: npm run sync stops it at start; \`supabase-sync stop table-sync:${s.table}\` now`;
}

export function renderStatuses(report: StatusReport, cfg: SyncConfig, now = Date.now()): string {
  const lines = [
    ...report.statuses.map((s) => entryLines(s, cfg, now)),
    ...(report.storage ?? []).map((s) => storageLines(s, now)),
  ];
  if (report.unsynced && report.unsynced.length > 0) {
    lines.push(
      `on the source, not synced (no entry or pattern of ${cfg.tableConfigFile} selects them): ${report.unsynced.join(', ')}`,
    );
  } else if (report.unsyncedError) {
    lines.push(
      `(the source's tables could not be listed to find tables not synced: ${report.unsyncedError})`,
    );
  }
  lines.push(...objectLines(report));
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('state, last pass, rows by path, realtime, lag and last error per table (no worker needed)')
    .argument('[tables...]', 'default: all configured (and workflows of tables no longer configured)')
    .option('--json', 'one JSON document (an array of table statuses); with --watch one line per refresh')
    .option('--watch', 'refresh until Ctrl-C')
    .option('--interval <seconds>', 'refresh interval for --watch', '2')
    .action(async (names: string[], options: { json?: boolean; watch?: boolean; interval: string }) => {
      const interval = seconds(options.interval, '--interval');
      const cfg = await withPatternTables(config());
      const targets = selectTargets(cfg, names, false, true);
      const c = await client(cfg);
      // --watch compares the app's objects every 30 s at most (two catalog reads each time).
      const objects = objectsEvery(options.watch ? OBJECTS_EVERY_MS : 0);
      const read = () => readStatuses(c, cfg, targets, names.length === 0, objects);
      try {
        if (!options.watch) {
          const report = await read();
          if (!report.presence.live) console.error(`supabase-sync: ${noWorkerLine(report.presence)}`);
          console.log(
            options.json ? JSON.stringify(jsonEntries(report), null, 2) : renderStatuses(report, cfg),
          );
          return;
        }
        const interrupted = interruptSignal();
        const tty = process.stdout.isTTY === true && !options.json;
        while (!interrupted.aborted) {
          const report = await read();
          const now = Date.now();
          if (options.json) {
            console.log(
              JSON.stringify({
                at: new Date(now).toISOString(),
                tables: jsonEntries(report),
                ...(report.presence.live ? {} : { worker: noWorkerLine(report.presence, now) }),
              }),
            );
          } else {
            const header = `supabase-sync status — ${clock(now)}, every ${interval}s (Ctrl-C to stop)`;
            const worker = report.presence.live ? '' : `\n${noWorkerLine(report.presence, now)}`;
            // On a terminal, redraw in place; otherwise one block per refresh.
            const view = `${header}${worker}\n\n${renderStatuses(report, cfg, now)}\n`;
            process.stdout.write(tty ? `\x1b[H\x1b[2J${view}` : `${view}\n`);
          }
          await pause(interval * 1000, interrupted);
        }
      } finally {
        await c.connection.close();
      }
    });
}
