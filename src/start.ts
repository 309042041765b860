/**
 * `npm start`, the main job.
 * - With an env file (.env.sync or SYNC_ENV_PATH): it is `npm run sync`. Without TEMPORAL_ADDRESS,
 *   an embedded Temporal dev server keeps its state in .temporal/temporal.sqlite, so a restart resumes.
 * - Without one: a demo on the local stack (kept in .stack/demo): a sample table on both sides, the
 *   sync running, changes written on the source and shown arriving on the target with their lag.
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { serveDashboard } from './cli/dashboard-server.js';
import { demo, envFileGiven, syncWithEnvFile } from './engine/local.js';

const program = new Command('start')
  .description('Run the sync (with .env.sync), or a self-contained demo on a local stack (without one).')
  .option('--data-dir <dir>', 'demo: where the local stack keeps its data', '.stack/demo')
  .option('--changes <n>', 'demo: stop after this many changes', (v) => Number.parseInt(v, 10))
  .option('--interval <ms>', 'demo: time between changes', (v) => Number.parseInt(v, 10), 1000)
  .option(
    '--rows <n>',
    'demo: rows in the sample table (its first copy shows its progress)',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of rows, 1 or more');
      return n;
    },
    1000,
  )
  .option('--verbose', "demo: the worker's JSON log on the screen (otherwise in <data-dir>/worker.log)")
  .parse();
const opts = program.opts<{
  dataDir: string;
  changes?: number;
  interval: number;
  rows: number;
  verbose?: boolean;
}>();
const code = envFileGiven()
  ? await syncWithEnvFile(serveDashboard)
  : await demo({
      dashboard: serveDashboard,
      dataDir: path.resolve(opts.dataDir),
      changes: opts.changes,
      intervalMs: opts.interval,
      rows: opts.rows,
      verbose: opts.verbose === true,
    });
process.exit(code);
