/**
 * `supabase-sync` CLI: start, pause, resume, stop and inspect the table workflows, run a
 * reconciliation pass or a backfill on demand, manage the reconcile-only schedule, and print or
 * apply the migrations. Reads the same configuration as `npm run sync`. Commands live in src/cli/.
 */
import { Command } from 'commander';
import { registerBackfill } from './cli/backfill.js';
import { CliError, client, config, selectTables, withTables } from './cli/common.js';
import { registerMigrate } from './cli/migrate.js';
import { registerSchedule } from './cli/schedule.js';
import { registerStatus } from './cli/status.js';
import { registerVerify } from './cli/verify.js';
import { ensureTableWorkflows, searchAttributesRegistered, syncSettings } from './engine.js';
import { pauseUpdate, reconcileNowUpdate, resumeUpdate, stopUpdate } from './workflows/messages.js';

const program = new Command('supabase-sync')
  .description(
    'Operate the supabase-sync table workflows on Temporal (config: .env.sync and sync/tables.config.json).',
  )
  .addHelpText(
    'after',
    '\nEach command has --help. Errors are one line on stderr; exit code 1 (2: bad configuration or usage).',
  )
  // Usage errors as one line, like every other error.
  .configureOutput({
    outputError: (text, write) =>
      write(`supabase-sync: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
  })
  // --help exits 0; usage errors (unknown option, missing argument, no command) exit 2.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

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

registerStatus(program);
registerBackfill(program);

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

registerSchedule(program);
registerVerify(program);
registerMigrate(program);

try {
  await program.parseAsync();
} catch (error) {
  console.error(`supabase-sync: ${(error as Error).message}`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
