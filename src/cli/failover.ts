/**
 * `supabase-sync failover check | promote | reverse`: switching to the backup and back
 * (docs/failover.md). check: failover-check.ts; promote: failover-promote.ts; reverse:
 * failover-reverse.ts.
 */
import type { Command } from 'commander';
import { CliError, client, config, seconds } from './common.js';
import { checkReadiness, renderReadiness } from './failover-check.js';
import { DEFAULT_LIMITS, type Limits } from './failover-readiness.js';
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
    .action(async (options: LimitOptions & { json?: boolean }) => {
      const limits = limitsOf(options);
      const cfg = await withPatternTables(config());
      const c = await client(cfg);
      try {
        const readiness = await checkReadiness(c, cfg, limits);
        console.log(options.json ? JSON.stringify(readiness, null, 2) : renderReadiness(readiness));
        if (!readiness.ready)
          throw new CliError(`the backup is not ready: ${readiness.reasons.join('; ')}`, 1);
      } finally {
        await c.connection.close();
      }
    });
}
