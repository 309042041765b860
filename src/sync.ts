/**
 * `npm run sync`: the original command. Starts the worker and ensures one `tableSync` workflow per
 * configured table (a running one is kept; those of tables no longer configured are stopped unless
 * --keep-unconfigured). `SYNC_MODE=reconcile`, `--cron` or `SYNC_LOOP=false`:
 * one reconciliation + deletion pass per table, awaited, a summary printed, exit 0 or 1.
 */
import { Command } from 'commander';
import { serveDashboard } from './cli/dashboard-server.js';
import { runSync } from './engine/run-sync.js';

const program = new Command('sync')
  .description('Run the supabase-sync worker: one Temporal workflow per table in the tables config.')
  .option('--cron', 'one reconciliation + deletion pass per table, then exit (same as SYNC_MODE=reconcile)')
  .option(
    '--keep-unconfigured',
    'keep the workflows of tables no longer in the tables file running (default: they are stopped)',
  )
  .addHelpText(
    'after',
    '\nConfiguration: .env.sync (or SYNC_ENV_PATH) and sync/tables.config.json (or SYNC_TABLE_CONFIG). See README.',
  )
  .parse();
const opts = program.opts<{ cron?: boolean; keepUnconfigured?: boolean }>();
process.exit(
  await runSync({ cron: opts.cron, keepUnconfigured: opts.keepUnconfigured, dashboard: serveDashboard }),
);
