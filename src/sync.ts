/**
 * `npm run sync`: the original command. Starts the worker and ensures one `tableSync` workflow per
 * configured table (a running one is kept). `SYNC_MODE=reconcile`, `--cron` or `SYNC_LOOP=false`:
 * one reconciliation + deletion pass per table, awaited, a summary printed, exit 0 or 1.
 */
import { Command } from 'commander';
import { runSync } from './engine/run-sync.js';

const program = new Command('sync')
  .description('Run the supabase-sync worker: one Temporal workflow per table in the tables config.')
  .option('--cron', 'one reconciliation + deletion pass per table, then exit (same as SYNC_MODE=reconcile)')
  .addHelpText(
    'after',
    '\nConfiguration: .env.sync (or SYNC_ENV_PATH) and sync/tables.config.json (or SYNC_TABLE_CONFIG). See README.',
  )
  .parse();
process.exit(await runSync({ cron: program.opts<{ cron?: boolean }>().cron }));
