/**
 * `supabase-sync` CLI: start, pause, resume, stop and inspect the table workflows, run a
 * reconciliation pass or a backfill on demand, manage the reconcile-only schedule, and print or
 * apply the migrations. Reads the same configuration as `npm run sync`. Commands live in src/cli/.
 */
import { Command } from 'commander';
import { registerBackfill } from './cli/backfill.js';
import { announceProjects, CliError } from './cli/common.js';
import { registerDashboard } from './cli/dashboard.js';
import { errorMessage } from './core/errors.js';
import { registerFailover } from './cli/failover.js';
import { registerLifecycle } from './cli/lifecycle.js';
import { registerMigrate } from './cli/migrate.js';
import { registerSchedule } from './cli/schedule.js';
import { registerSchema } from './cli/schema.js';
import { registerStatus } from './cli/status.js';
import { registerVerify } from './cli/verify.js';

// `supabase-sync migrate | head`: the reader went away; stop quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

const program = new Command('supabase-sync')
  .description(
    'Operate the supabase-sync table workflows on Temporal (config: .env.sync and sync/tables.config.json).',
  )
  .addHelpText(
    'after',
    '\nEach command has --help. Errors are one line on stderr. Exit codes: 0 done, 1 failure, 2 bad configuration or usage, 130 interrupted.',
  )
  // Usage errors as one line, like every other error.
  .configureOutput({
    outputError: (text, write) =>
      // commander puts "(Did you mean …?)" on a line of its own: one line, as promised.
      write(
        `supabase-sync: ${text
          .replace(/^error: /, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ')} (see --help)\n`,
      ),
  })
  // --help exits 0; usage errors (unknown option, missing argument, no command) exit 2.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

registerLifecycle(program);
registerStatus(program);
registerBackfill(program);
registerSchedule(program);
registerVerify(program);
registerSchema(program);
registerMigrate(program);
registerFailover(program);
registerDashboard(program);

try {
  await program.parseAsync();
} catch (error) {
  // A failure (not a usage error) after the configuration was read: which projects, first.
  if (!(error instanceof CliError && error.exitCode === 2)) announceProjects();
  console.error(`supabase-sync: ${error instanceof CliError ? error.message : errorMessage(error)}`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
