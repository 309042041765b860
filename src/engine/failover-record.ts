/**
 * Where a promotion is remembered (for `promote` run again, and for `reverse`): a workflow
 * execution of its own, `failover-promoted:<task queue>`, that carries the promotion in its memo
 * (when, which project was promoted, which was the primary: URLs only, no keys) and is terminated
 * at once, on a task queue no worker polls, so it never runs. Read back with describe.
 */
import { WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';

export interface PromoteRecord {
  promotedAt: number;
  /** The project promoted (the target of the sync that was stopped). */
  promoted: string;
  /** The primary that was left (the source of that sync). */
  primary: string;
}

const MEMO = 'failoverPromoted';

function recordId(cfg: SyncConfig): string {
  return `failover-promoted:${cfg.temporal.taskQueue}`;
}

export async function readPromoteRecord(c: Client, cfg: SyncConfig): Promise<PromoteRecord | null> {
  try {
    const d = await c.workflow.getHandle(recordId(cfg)).describe();
    const memo = d.memo?.[MEMO] as PromoteRecord | undefined;
    return memo && typeof memo.promotedAt === 'number' ? memo : null;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

export async function writePromoteRecord(c: Client, cfg: SyncConfig, record: PromoteRecord): Promise<void> {
  const handle = await c.workflow.start('failoverRecord', {
    workflowId: recordId(cfg),
    taskQueue: `${cfg.temporal.taskQueue}-failover-records`,
    args: [],
    memo: { [MEMO]: record },
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  await handle.terminate('a record of the promotion, not meant to run');
}

const sameProject = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The promotion of this configuration's target, if it was promoted. */
export async function promotedTarget(c: Client, cfg: SyncConfig): Promise<PromoteRecord | null> {
  const record = await readPromoteRecord(c, cfg);
  return record && sameProject(record.promoted, cfg.target.url) ? record : null;
}

/**
 * Why `npm run sync` must not start, or null: its target is the project `failover promote` made the
 * primary, so syncing into it would overwrite what the application has written there since.
 */
export async function promotedTargetRefusal(c: Client, cfg: SyncConfig): Promise<string | null> {
  const record = await promotedTarget(c, cfg);
  if (!record) return null;
  return `${cfg.target.url} was promoted to primary at ${new Date(record.promotedAt).toISOString()} (supabase-sync failover promote): syncing into it would overwrite what the application wrote there since; to sync the other way, swap the SYNC_SOURCE_* and SYNC_TARGET_* values in ${cfg.envFile ?? 'the environment'} and run \`supabase-sync failover reverse\` (docs/failover.md)`;
}
