/**
 * The `streamRealtimeChanges` activity: one attempt of a table's realtime feed (feed-run.ts says
 * what it does and how it stops). The worker's feeds share one look at the source's positions per
 * second (realtime-positions.ts), the key-and-version reads their checks then make
 * (realtime-versions.ts), and gather their writes (apply-batches.ts).
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { RealtimeFeedInput } from '../contracts/activities.js';
import { rereadColumns, streamedColumns } from '../core/table-schema.js';
import type { ActivityDeps } from './deps.js';
import { FeedRun, type SharedReads } from './feed-run.js';
import { PositionWatch } from './realtime-positions.js';
import { VersionReads } from './realtime-versions.js';
import { ApplyBatches, gatheringTarget } from './apply-batches.js';
import { FeedProgress } from './realtime-progress.js';
import { tableName } from '../core/names.js';

/** Counts and the watermark go to the workflow at most this often; input `progressIntervalMs` overrides it. */
export const PROGRESS_INTERVAL_MS = 60_000;

export function createRealtimeActivities(deps: ActivityDeps) {
  const shared: SharedReads = {
    positions: new PositionWatch(deps.source, deps.logger),
    versions: new VersionReads(deps.source),
  };
  const feedDeps = {
    ...deps,
    target: gatheringTarget(deps.target, new ApplyBatches(deps.target, deps.logger)),
  };
  return {
    async streamRealtimeChanges(input: RealtimeFeedInput): Promise<void> {
      const ref = input.table;
      const workflowId = activityInfo().workflowExecution?.workflowId;
      if (!workflowId)
        throw ApplicationFailure.nonRetryable('streamRealtimeChanges runs only inside a table workflow');
      const log = deps.logger.child({ table: tableName(ref), attempt: activityInfo().attempt });
      const progress = new FeedProgress(
        deps.notify,
        workflowId,
        log,
        input.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
        shared.positions.clock,
      );
      // The columns a complete change carries, and those whose values Realtime may render otherwise.
      const schema = await deps.source.readSchema(ref).catch(() => null);
      const known = schema?.exists ? schema : null;
      const shape = {
        columns: new Set<string>(known ? streamedColumns(known) : []),
        unscaled: new Set<string>(known ? rereadColumns(known) : []),
        entities: known && known.publishedAs.length > 0 ? known.publishedAs : undefined,
      };
      await new FeedRun(feedDeps, shared, input, workflowId, log, progress, shape).run();
    },
  };
}
