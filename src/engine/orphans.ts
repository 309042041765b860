/**
 * Table workflows of tables no longer configured: running `tableSync` workflows with a
 * `table-sync:` id on this task queue whose table is not in the tables file (found by listing
 * workflows, not from the file). `npm run sync` reports them and stops them (their checkpoint is
 * the result, so adding the table back resumes it), or keeps them with --keep-unconfigured.
 */
import type { Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import { errorMessage } from '../core/errors.js';
import { syncTableFromWorkflowId } from '../workflows/ids.js';
import { stopUpdate } from '../workflows/messages.js';

export interface Unconfigured {
  table: string;
  workflowId: string;
}

/** A visibility query literal; task queue names with quotes are filtered here instead. */
function literal(value: string): string | undefined {
  return /^[\w.:/@-]+$/.test(value) ? `'${value}'` : undefined;
}

export async function findUnconfigured(
  client: Client,
  config: Pick<SyncConfig, 'tables' | 'temporal'>,
): Promise<Unconfigured[]> {
  const configured = new Set(config.tables.map((t) => t.qualifiedName));
  const queue = literal(config.temporal.taskQueue);
  const query = [
    `WorkflowType = 'tableSync'`,
    `ExecutionStatus = 'Running'`,
    ...(queue ? [`TaskQueue = ${queue}`] : []),
  ].join(' AND ');
  const found: Unconfigured[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const table = syncTableFromWorkflowId(wf.workflowId);
    if (!table || configured.has(table) || wf.taskQueue !== config.temporal.taskQueue) continue;
    found.push({ table, workflowId: wf.workflowId });
  }
  return found.sort((a, b) => a.table.localeCompare(b.table));
}

/**
 * Reports each one, and stops it unless `keep`. The stops run in the background (a stop waits for
 * the pass in flight); each is logged when done. Resolves when all have ended, one way or another.
 */
export function handleUnconfigured(
  client: Client,
  found: Unconfigured[],
  options: { keep: boolean; tableConfigFile: string; logger: Logger },
): Promise<void> {
  const { logger } = options;
  return Promise.all(
    found.map(async (u) => {
      const where = { table: u.table, workflowId: u.workflowId };
      if (options.keep) {
        logger.warn(
          where,
          `${u.table}: not in ${options.tableConfigFile}, its workflow ${u.workflowId} kept running (--keep-unconfigured); \`supabase-sync stop ${u.workflowId}\` stops it`,
        );
        return;
      }
      logger.warn(
        where,
        `${u.table}: not in ${options.tableConfigFile}: stopping its workflow ${u.workflowId} (its checkpoint is kept: adding the table back resumes it; --keep-unconfigured keeps it running)`,
      );
      try {
        await client.workflow.getHandle(u.workflowId).executeUpdate(stopUpdate);
        logger.info(where, `${u.table}: workflow ${u.workflowId} stopped`);
      } catch (error) {
        logger.warn(where, `${u.table}: could not stop ${u.workflowId}: ${errorMessage(error)}`);
      }
    }),
  ).then(() => undefined);
}
