/**
 * The table workflows' lifecycle from the command line: `start`, `pause`, `resume`, `stop`, and
 * `reconcile` (a pass now, with its result). Each waits for the workflow to acknowledge (an update).
 */
import type { Command } from 'commander';
import { syncSettings } from '../engine/settings.js';
import { ensureTableWorkflows } from '../engine/tables.js';
import { searchAttributesRegistered } from '../temporal/connection.js';
import { pauseUpdate, reconcileNowUpdate, resumeUpdate, stopUpdate } from '../workflows/messages.js';
import { client, config, selectTables, withTables } from './common.js';

export function registerLifecycle(program: Command): void {
  program
    .command('start')
    .description('start the table workflows (a running one is kept); the worker is `npm run sync`')
    .argument('[tables...]', 'tables to start (default: all configured)')
    .option('--all', 'every configured table')
    .action(async (names: string[], options: { all?: boolean }) => {
      const cfg = config();
      const tables = selectTables(cfg, names, options.all, true);
      const c = await client(cfg);
      try {
        const settings = syncSettings(cfg, {
          searchAttributes: await searchAttributesRegistered(c, cfg.temporal.namespace),
        });
        for (const e of await ensureTableWorkflows(c, { ...cfg, tables }, settings)) {
          console.log(
            `${e.table}: ${e.started ? (e.resumed ? 'resumed from its last checkpoint' : 'started') : 'already running'} (${e.workflowId})`,
          );
        }
      } finally {
        await c.connection.close();
      }
    });

  program
    .command('pause')
    .description('pause tables: the current batch finishes, the realtime feed stops (acknowledged)')
    .argument('[tables...]')
    .option('--all', 'every configured table')
    .option('--reason <text>', 'shown in the workflow log')
    .action((names: string[], options: { all?: boolean; reason?: string }) =>
      withTables(names, options, async (c, t, id) => {
        const s = await c.workflow
          .getHandle(id)
          .executeUpdate(pauseUpdate, { args: [options.reason ?? 'paused from the CLI'] });
        return `${t.qualifiedName}: ${s.state}`;
      }),
    );

  program
    .command('resume')
    .description('resume paused tables (acknowledged)')
    .argument('[tables...]')
    .option('--all', 'every configured table')
    .action((names: string[], options: { all?: boolean }) =>
      withTables(names, options, async (c, t, id) => {
        const s = await c.workflow.getHandle(id).executeUpdate(resumeUpdate);
        return `${t.qualifiedName}: ${s.state}`;
      }),
    );

  program
    .command('stop')
    .description('stop table workflows: the current pass finishes and the feed stops (acknowledged)')
    .argument('[tables...]')
    .option('--all', 'every configured table')
    .action((names: string[], options: { all?: boolean }) =>
      withTables(names, options, async (c, t, id) => {
        await c.workflow.getHandle(id).executeUpdate(stopUpdate);
        return `${t.qualifiedName}: stopped`;
      }),
    );

  program
    .command('reconcile')
    .description('run a reconciliation + deletion pass now, wait for it, and print its result')
    .argument('<table>')
    .option('--since <iso>', 're-read rows changed since this time (ISO 8601)')
    .option('--full', 're-read the whole table')
    .action((name: string, options: { since?: string; full?: boolean }) =>
      withTables([name], {}, async (c, t, id) => {
        const result = await c.workflow
          .getHandle(id)
          .executeUpdate(reconcileNowUpdate, { args: [{ since: options.since, full: options.full }] });
        const p = result.pass;
        if (!result.ok || !p) throw new Error(`pass failed: ${result.error ?? 'unknown error'}`);
        return `${t.qualifiedName}: read ${p.rowsRead}, written ${p.written}, unchanged ${p.skipped}, deletes replayed ${p.deletesReplayed} (${p.deleted} removed) in ${((p.finishedAt - p.startedAt) / 1000).toFixed(1)} s`;
      }),
    );
}
