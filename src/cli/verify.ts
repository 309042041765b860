/**
 * `supabase-sync verify [TABLE…|--all] [--repair] [--json]`: runs the `verifyTables` workflow
 * (src/workflows/verify.ts) and prints one line per table; exit 0 when the target equals the source,
 * 1 when differences remain (or a table could not be compared), 2 for bad usage or configuration.
 * `--schedule 1d` (or `--cron`) puts it on a Temporal Schedule instead (src/temporal/schedules.ts). The
 * worker (`npm run sync`) must be running on the same task queue: it does the comparison (checked
 * first; if it goes away, or on Ctrl-C, the run is terminated: runs.ts).
 */
import { randomBytes } from 'node:crypto';
import { ScheduleAlreadyRunning, WorkflowFailedError } from '@temporalio/client';
import { Option, type Command } from 'commander';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import type { KeyTextValues } from '../contracts/ports.js';
import { errorMessage } from '../core/errors.js';
import { describeSchedule } from '../temporal/schedule-report.js';
import {
  DEFAULT_VERIFY_SCHEDULE_ID,
  ScheduleUsageError,
  createVerifySchedule,
  parseEvery,
} from '../temporal/schedules.js';
import { oneOffWorkflowId } from '../workflows/ids.js';
import {
  verifyTables,
  type VerifiedTable,
  type VerifyTablesInput,
  type VerifyTablesResult,
} from '../workflows/verify.js';
import { announceProjects, CliError, client, clock, config } from './common.js';
import { awaitRun } from './runs.js';
import { selectTables, withPatternTables } from './targets.js';
import { requireWorker } from './workers.js';
import { resolveBuckets } from '../engine/storage.js';
import { connectStorageSource } from '../supabase/storage-source.js';
import { bucketLine, verifyBuckets, type BucketVerdict } from './verify-storage.js';

interface VerifyOptions {
  all?: boolean;
  repair?: boolean;
  json?: boolean;
  schedule?: string;
  cron?: string;
  id: string;
  replace?: boolean;
}

/** `17`, or `(1, b)` for a composite key. */
function showKey(key: KeyTextValues): string {
  return key.length === 1 ? key[0]! : `(${key.join(', ')})`;
}

export function verifyLine(t: VerifiedTable): string {
  const r = t.result;
  if (!r) return `${t.table}: not verified: ${t.error ?? 'unknown error'}`;
  // Schema differences come first: they are compared before the rows.
  const schema = (r.schema ?? [])
    .map((d) => `\n  schema: ${d.message}; fix on the target: ${d.sql.replace(/\s*\n\s*/g, ' ')}`)
    .join('');
  if (r.rowsCompared === false) return `${t.table}: the columns differ, rows not compared${schema}`;
  return rowsLine(t.table, r, schema !== '') + schema + sequenceLines(r);
}

/** A sequence behind on the target: the first insert with a default id there would collide. */
function sequenceLines(r: NonNullable<VerifiedTable['result']>): string {
  return (r.sequences?.behind ?? [])
    .map(
      (b) =>
        `\n  sequence ${b.sequence} is behind on the target (${b.target === null ? 'missing there' : `next ${b.target}`}, the source's next ${b.source})${r.sequences?.repaired ? ': moved forward' : ': verify --repair or the next pass moves it forward'}`,
    )
    .join('');
}

function rowsLine(table: string, r: NonNullable<VerifiedTable['result']>, schemaDiffers: boolean): string {
  const t = { table };
  const found = r.missing + r.extra + r.different;
  if (found === 0)
    return schemaDiffers
      ? `${t.table}: the ${r.sourceRows} rows are equal, the schema differs`
      : `${t.table}: OK ${r.sourceRows} rows`;
  const counts = `${r.missing} missing, ${r.extra} extra, ${r.different} different`;
  const kinds = (['missing', 'extra', 'different'] as const)
    .map((kind) => {
      const keys = r.sample.filter((s) => s.kind === kind).map((s) => showKey(s.key));
      return keys.length > 0 ? `${kind} ${keys.join(', ')}` : '';
    })
    .filter((s) => s)
    .join('; ');
  const more = r.sample.length < found ? ', …' : '';
  const line = `${t.table}: ${counts} (sample keys: ${kinds}${more})`;
  if (!r.repair) return line;
  const left = r.repair.remaining;
  const after = r.equal
    ? `now OK ${r.sourceRows} rows`
    : `still ${left.missing} missing, ${left.extra} extra, ${left.different} different`;
  return `${line} — repaired: ${r.repair.written} written, ${r.repair.deleted} deleted; ${after}`;
}

async function schedule(options: VerifyOptions, names: string[]): Promise<void> {
  if (options.schedule !== undefined && options.cron !== undefined)
    throw new CliError('give one of --schedule (e.g. 1d) or --cron (e.g. "0 3 * * *")', 2);
  if (options.json) throw new CliError('--json does not apply to --schedule', 2);
  try {
    if (options.schedule !== undefined) parseEvery(options.schedule);
  } catch (error) {
    if (error instanceof ScheduleUsageError)
      throw new CliError(error.message.replace('--every', '--schedule'), 2);
    throw error;
  }
  const cfg = await withPatternTables(config());
  const tables = selectTables(cfg, names, options.all, true);
  const c = await client(cfg);
  try {
    const outcome = await createVerifySchedule(c, cfg, {
      scheduleId: options.id,
      timing: options.schedule !== undefined ? { every: options.schedule } : { cron: options.cron! },
      tables,
      repair: options.repair === true,
      replace: options.replace,
    });
    const report = await describeSchedule(c, options.id, 0);
    console.log(
      `schedule ${options.id} ${outcome}: verify${options.repair ? ' --repair' : ''} ${report.spec}, ${tables.length} table(s) (${tables.map((t) => t.qualifiedName).join(', ')}), task queue ${cfg.temporal.taskQueue}, next run ${report.nextRuns[0] ? clock(report.nextRuns[0]) : '?'}`,
    );
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) {
      throw new CliError(
        `schedule "${options.id}" already exists: \`supabase-sync schedule describe --id ${options.id}\`, or pass --replace`,
      );
    }
    const message = errorMessage(error);
    if (options.cron !== undefined && /cron|invalid/i.test(message))
      throw new CliError(`--cron "${options.cron}": ${message}`, 2);
    throw error;
  } finally {
    await c.connection.close();
  }
}

/** Runs the `verifyTables` workflow (a worker must poll) and waits for its result. */
async function runVerifyTables(
  cfg: SyncConfig,
  tables: TableConfig[],
  repair: boolean,
): Promise<VerifyTablesResult> {
  const c = await client(cfg);
  try {
    await requireWorker(c, cfg.temporal, 'verify');
    const input: VerifyTablesInput = { tables, repair };
    const workflowId = oneOffWorkflowId('verify', new Date(), randomBytes(3).toString('hex'));
    try {
      const handle = await c.workflow.start(verifyTables, {
        taskQueue: cfg.temporal.taskQueue,
        workflowId,
        args: [input],
      });
      return await awaitRun<VerifyTablesResult>(c, cfg, handle, {
        what: `verify run ${workflowId}`,
        terminate: true,
      });
    } catch (error) {
      if (error instanceof WorkflowFailedError)
        throw new CliError(`${workflowId} failed: ${error.cause?.message ?? error.message}`);
      throw error;
    }
  } finally {
    await c.connection.close();
  }
}

/** The tables' lines (or the JSON, with the buckets'); exit 1 when a table or bucket differs. */
function reportTables(result: VerifyTablesResult, verdicts: BucketVerdict[], options: VerifyOptions): void {
  if (options.json)
    console.log(JSON.stringify({ ...result, ...(verdicts.length ? { buckets: verdicts } : {}) }, null, 2));
  else for (const t of result.tables) (t.result ? console.log : console.error)(verifyLine(t));
  if (!options.json) printBuckets(verdicts);
  const buckets = bucketsProblem(verdicts, options.repair);
  if (!result.equal || buckets) {
    const failed = result.tables.filter((t) => !t.result).length;
    const different = result.tables.filter((t) => t.result && !t.result.equal).length;
    throw new CliError(
      [
        different > 0
          ? `${different} of ${result.tables.length} table(s) differ${options.repair ? ' after the repair' : ' (supabase-sync verify --repair fixes them)'}`
          : '',
        failed > 0 ? `${failed} of ${result.tables.length} table(s) could not be verified` : '',
        buckets,
      ]
        .filter((s) => s)
        .join('; '),
    );
  }
}

/** `verify` without a schedule: the buckets compared first, the tables' lines shown first. */
async function verifyNow(names: string[], options: VerifyOptions & { bucket?: string[] }): Promise<void> {
  const cfg = await withPatternTables(config());
  const tables = options.bucket ? [] : selectTables(cfg, names, options.all, true);
  const buckets =
    options.bucket ?? (names.length === 0 ? await resolveBuckets(cfg, connectStorageSource(cfg.source)) : []);
  if (tables.length === 0 && buckets.length === 0)
    throw new CliError(`no tables or buckets configured in ${cfg.tableConfigFile}`, 2);
  announceProjects();
  const verdicts = buckets.length > 0 ? await verifyBuckets(cfg, buckets, options.repair === true) : [];
  if (tables.length === 0) return reportBuckets(verdicts, options);
  let result: VerifyTablesResult;
  try {
    result = await runVerifyTables(cfg, tables, options.repair === true);
  } catch (error) {
    // The buckets' lines stand even if the tables' run cannot start.
    if (!options.json) printBuckets(verdicts);
    throw error;
  }
  reportTables(result, verdicts, options);
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      'prove the backup is complete: compare each table on both projects by key-range checksums; --repair fixes what differs',
    )
    .argument('[tables...]', 'default: all configured')
    .option('--all', 'every configured table')
    .option('--repair', 'write missing/different rows from the source, delete extra rows, and compare again')
    .option('--json', 'the workflow result as JSON')
    .option('--schedule <interval>', 'instead of running now: run it on a Temporal Schedule, e.g. 1d, 12h')
    .option('--cron <expression>', 'like --schedule, with a cron expression in UTC')
    .addOption(
      new Option('--id <scheduleId>', 'schedule id (with --schedule/--cron)').default(
        DEFAULT_VERIFY_SCHEDULE_ID,
      ),
    )
    .option('--replace', 'replace a verify schedule with the same id (with --schedule/--cron)')
    .option(
      '--bucket <ids...>',
      'only these Storage buckets (default with no tables named: every bucket of the "storage" key too)',
    )
    .action(async (names: string[], options: VerifyOptions & { bucket?: string[] }) => {
      if (options.schedule !== undefined || options.cron !== undefined) return schedule(options, names);
      return verifyNow(names, options);
    });
}

/**
 * What is wrong with the buckets, or '': those that differ (which `--repair` mends) and those that
 * could not be compared (a bucket missing on the source, an error: no repair mends that).
 */
function bucketsProblem(verdicts: BucketVerdict[], repair?: boolean): string {
  const all = verdicts.length;
  const differ = verdicts.filter((v) => !v.equal && !v.error).length;
  const failed = verdicts.filter((v) => v.error).length;
  return [
    differ > 0
      ? `${differ} of ${all} bucket(s) ${repair ? 'still differ after the repair' : 'differ (supabase-sync verify --repair fixes them)'}`
      : '',
    failed > 0 ? `${failed} of ${all} bucket(s) could not be verified` : '',
  ]
    .filter((part) => part)
    .join('; ');
}

const printBuckets = (verdicts: BucketVerdict[]) => {
  for (const v of verdicts) (v.error ? console.error : console.log)(bucketLine(v));
};

/** One line a bucket; exit 1 when a bucket differs or could not be compared. */
function reportBuckets(verdicts: BucketVerdict[], options: { json?: boolean; repair?: boolean }): void {
  if (options.json) console.log(JSON.stringify({ buckets: verdicts }, null, 2));
  else printBuckets(verdicts);
  const problem = bucketsProblem(verdicts, options.repair);
  if (problem) throw new CliError(problem);
}
