/**
 * Runs the `verifyTables` workflow on a running sync until it says the target equals the source
 * (rows and sequences: the sequences the last writes moved follow within seconds), or fails with
 * its last result.
 */
import type { TableConfig } from '../../src/contracts/config.js';
import { verifyTables } from '../../src/workflows/verify.js';
import type { RunningSync } from './sync.js';
import { waitFor } from './wait.js';

export async function verifyUntilEqual(
  sync: RunningSync,
  tables: TableConfig[],
  idPrefix: string,
): Promise<void> {
  let attempt = 0;
  let last: unknown;
  await waitFor(
    async () => {
      const result = await sync.client.workflow.execute(verifyTables, {
        taskQueue: sync.config.temporal.taskQueue,
        workflowId: `${idPrefix}-${++attempt}`,
        args: [{ tables, repair: false }],
      });
      last = result.tables;
      return result.equal;
    },
    { timeoutMs: 20_000, intervalMs: 1000, message: () => JSON.stringify(last, null, 1) },
  );
}
