/**
 * Workflow `verifyTables`: proves the backup is complete. One `verifyTable` activity per table (all
 * tables at once); the activity compares the table on both projects by primary-key ranges and, with
 * `repair`, fixes the differences itself — row data never enters history. The result holds counts
 * and at most `sampleSize` differing keys per table. Started by `supabase-sync verify` (and by its
 * schedule, `verify --schedule`). It completes with `equal: false` when differences remain; a table
 * that could not be compared carries `error`.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import type { VerifyTableResult } from '../activities/verify.js';
import type { TableConfig } from '../contracts/config.js';
import { errorMessage } from '../core/errors.js';
import { tableName } from '../core/names.js';

export interface VerifyTablesInput {
  tables: TableConfig[];
  repair: boolean;
  /** Differing keys returned per table at most (default 20). */
  sampleSize?: number;
}

export interface VerifiedTable {
  table: string;
  result?: VerifyTableResult;
  error?: string;
}

export interface VerifyTablesResult {
  tables: VerifiedTable[];
  /** Every table was compared and the target equals the source (after repair, with `repair`). */
  equal: boolean;
  repair: boolean;
}

const { verifyTable } = proxyActivities<SyncActivities>({
  // A table of a million rows takes seconds; the bound is for very large tables on slow projects.
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '2s', maximumInterval: '30s' },
});

export async function verifyTables(input: VerifyTablesInput): Promise<VerifyTablesResult> {
  const tables = await Promise.all(
    input.tables.map(async (spec): Promise<VerifiedTable> => {
      const table = tableName(spec);
      try {
        const result = await verifyTable({
          table: spec,
          repair: input.repair,
          sampleSize: input.sampleSize ?? 20,
        });
        log.info(
          `${table}: ${result.equal ? 'equal' : 'DIFFERENT'} — ${result.missing} missing, ${result.extra} extra, ${result.different} different`,
        );
        return { table, result };
      } catch (error) {
        const message = errorMessage(error);
        log.warn(`${table}: not verified — ${message}`);
        return { table, error: message };
      }
    }),
  );
  return {
    tables,
    equal: tables.every((t) => t.result?.equal === true),
    repair: input.repair,
  };
}
