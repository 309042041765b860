/** `supabase-sync status [TABLE…] [--json] [--watch] [--interval S]`. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { TableConfig } from '../config/index.js';
import { workflowIdFor } from '../workflows/ids.js';
import { statusQuery } from '../workflows/messages.js';
import type { TableStatus } from '../workflows/types.js';
import { ago, client, clock, config, interruptSignal, pause, seconds, selectTables } from './common.js';

export type StatusEntry = TableStatus | { table: string; state: 'not started' };

export async function readStatuses(c: Client, tables: TableConfig[]): Promise<StatusEntry[]> {
  return Promise.all(
    tables.map(async (t): Promise<StatusEntry> => {
      try {
        return await c.workflow.getHandle(workflowIdFor(t)).query(statusQuery);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        return { table: t.qualifiedName, state: 'not started' };
      }
    }),
  );
}

export function statusLines(s: TableStatus, now = Date.now()): string {
  const c = s.counters;
  const p = s.lastPass;
  const pass = p
    ? `${p.kind} ${p.ok ? 'ok' : 'FAILED'} at ${clock(p.finishedAt)} (${ago(p.finishedAt, now)}): read ${p.rowsRead}, written ${p.written}, unchanged ${p.skipped}, deletes replayed ${p.deletesReplayed} (${p.deleted} removed)${p.ok || !p.error ? '' : ` — ${p.error}`}`
    : 'none yet';
  const copy = s.initialCopy.done
    ? ''
    : ` | copying ${s.initialCopy.rowsCopied}${s.initialCopy.total !== null ? `/${s.initialCopy.total}` : ''} rows`;
  const realtime = s.realtime.enabled
    ? s.realtime.connected
      ? 'connected'
      : `disconnected${s.realtime.lostReason ? ` (${s.realtime.lostReason}; retried with backoff)` : ''}`
    : 'off';
  const healed = c.realtimeHealed
    ? ` (${c.realtimeHealed} that Realtime did not deliver, read from the source)`
    : '';
  return [
    `${s.table}: ${s.state}${copy}`,
    `  last pass: ${pass}`,
    `  rows upserted: realtime ${c.realtimeWritten}${healed}, reconcile ${c.reconcileWritten}; deleted: realtime ${c.realtimeDeleted}, ledger ${c.ledgerDeleted}`,
    `  realtime: ${realtime}; lag: ${s.lagSeconds === null ? 'unknown' : `${s.lagSeconds.toFixed(1)} s`}`,
    `  last error: ${s.lastError ? `${s.lastError.where}, ${ago(s.lastError.at, now)}: ${s.lastError.message}` : 'none'}`,
    // Differences that do not stop the table (a blocking one is the last error).
    ...(s.schemaDrift ?? []).map(
      (d) => `  schema drift: ${d.message}; fix on the target: ${d.sql.replace(/\s*\n\s*/g, ' ')}`,
    ),
  ].join('\n');
}

export function renderStatuses(statuses: StatusEntry[], now = Date.now()): string {
  return statuses.map((s) => ('counters' in s ? statusLines(s, now) : `${s.table}: not started`)).join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('state, last pass, rows by path, realtime, lag and last error per table')
    .argument('[tables...]', 'default: all configured')
    .option('--json', 'one JSON document (an array of table statuses); with --watch one line per refresh')
    .option('--watch', 'refresh until Ctrl-C')
    .option('--interval <seconds>', 'refresh interval for --watch', '2')
    .action(async (names: string[], options: { json?: boolean; watch?: boolean; interval: string }) => {
      const interval = seconds(options.interval, '--interval');
      const cfg = config();
      const tables = selectTables(cfg, names, false, true);
      const c = await client(cfg);
      try {
        if (!options.watch) {
          const statuses = await readStatuses(c, tables);
          console.log(options.json ? JSON.stringify(statuses, null, 2) : renderStatuses(statuses));
          return;
        }
        const interrupted = interruptSignal();
        const tty = process.stdout.isTTY === true && !options.json;
        while (!interrupted.aborted) {
          const statuses = await readStatuses(c, tables);
          const now = Date.now();
          if (options.json) {
            console.log(JSON.stringify({ at: new Date(now).toISOString(), tables: statuses }));
          } else {
            const header = `supabase-sync status — ${clock(now)}, every ${interval}s (Ctrl-C to stop)`;
            // On a terminal, redraw in place; otherwise one block per refresh.
            const view = `${header}\n\n${renderStatuses(statuses, now)}\n`;
            process.stdout.write(tty ? `\x1b[H\x1b[2J${view}` : `${view}\n`);
          }
          await pause(interval * 1000, interrupted);
        }
      } finally {
        await c.connection.close();
      }
    });
}
