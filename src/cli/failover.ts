/**
 * `supabase-sync failover check | promote | reverse`: switching to the backup and back
 * (docs/failover.md). check: failover-check.ts; promote: failover-promote.ts; reverse:
 * failover-reverse.ts.
 */
import type { Command } from 'commander';
import { CliError, client, config, interruptSignal, seconds } from './common.js';
import { MAX_LINE, summarize } from './failover-causes.js';
import { checkReadiness, renderReadiness } from './failover-check.js';
import { promote } from './failover-promote.js';
import { DEFAULT_LIMITS, type Limits } from './failover-readiness.js';
import { reverse } from './failover-reverse.js';
import { withPatternTables } from './targets.js';

interface LimitOptions {
  maxLag: string;
  maxPassAge: string;
}

function limitsOf(options: LimitOptions): Limits {
  return {
    ...DEFAULT_LIMITS,
    maxLagSeconds: seconds(options.maxLag, '--max-lag'),
    maxPassAgeSeconds: seconds(options.maxPassAge, '--max-pass-age'),
  };
}

/** `failover check`: the readiness report; exit 1 when not ready. */
async function failoverCheck(options: LimitOptions & { json?: boolean }): Promise<void> {
  const limits = limitsOf(options);
  const cfg = await withPatternTables(config());
  const c = await client(cfg);
  try {
    const readiness = await checkReadiness(c, cfg, limits);
    console.log(options.json ? JSON.stringify(readiness, null, 2) : renderReadiness(readiness));
    // One line (after `supabase-sync: `) of at most MAX_LINE: the reasons are listed above it.
    const lead = 'the backup is not ready: ';
    const room = MAX_LINE - 'supabase-sync: '.length - lead.length;
    if (!readiness.ready) throw new CliError(`${lead}${summarize(readiness.reasons, room)}`, 1);
  } finally {
    await c.connection.close();
  }
}

async function failoverPromote(
  options: LimitOptions & { force?: boolean; sequenceMargin: string },
): Promise<void> {
  const margin = Number(options.sequenceMargin);
  if (!Number.isSafeInteger(margin) || margin < 0)
    throw new CliError(`--sequence-margin "${options.sequenceMargin}": a whole number, 0 or more`, 2);
  const limits = limitsOf(options);
  const cfg = await withPatternTables(config());
  const c = await client(cfg);
  try {
    await promote(c, cfg, {
      force: options.force === true,
      margin,
      limits,
      interrupted: interruptSignal(),
      log: (line) => console.log(line),
      warn: (line) => console.error(line),
    });
  } finally {
    await c.connection.close();
  }
}

async function failoverReverse(options: { force?: boolean }): Promise<void> {
  const cfg = await withPatternTables(config());
  const c = await client(cfg);
  try {
    await reverse(c, cfg, {
      force: options.force === true,
      log: (line) => console.log(line),
      warn: (line) => console.error(line),
    });
  } finally {
    await c.connection.close();
  }
}

export function registerFailover(program: Command): void {
  const failover = program
    .command('failover')
    .description('switch the application to the backup project and back (docs/failover.md)');
  failover
    .command('check')
    .description(
      'is the backup ready? per table: lag, last pass, ledger drained, sequences, schema, last verify; exit 0 ready, 1 not',
    )
    .option('--json', 'one JSON document')
    .option('--max-lag <seconds>', 'the most lag that is ready', String(DEFAULT_LIMITS.maxLagSeconds))
    .option(
      '--max-pass-age <seconds>',
      'the oldest last pass that is ready',
      String(DEFAULT_LIMITS.maxPassAgeSeconds),
    )
    .action(failoverCheck);
  failover
    .command('promote')
    .description(
      'make the backup the primary: a final pass, the sync stopped, sequences moved past with a margin; refused when not ready unless --force',
    )
    .option('--force', 'promote even when failover check says not ready (e.g. the source is gone)')
    .option(
      '--sequence-margin <n>',
      'move the sequences this far past the source (ids it may have handed out since the last pass)',
      '10000',
    )
    .option('--max-lag <seconds>', 'as for failover check', String(DEFAULT_LIMITS.maxLagSeconds))
    .option('--max-pass-age <seconds>', 'as for failover check', String(DEFAULT_LIMITS.maxPassAgeSeconds))
    .action(failoverPromote);
  failover
    .command('reverse')
    .description(
      'failback: with the configuration swapped (promoted project as source), report rows written on the old primary after the promote and start the sync into it',
    )
    .option('--force', 'go on without a recorded promotion')
    .action(failoverReverse);
}
