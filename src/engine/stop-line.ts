/**
 * The worker's last line, once it stopped: what it synced (tables and buckets) and what became of
 * their workflows. They wait on the Temporal server for the next worker, unless `failover promote`
 * stopped them (the target is the primary now: no worker syncs into it again).
 */
import { errorMessage } from '../core/errors.js';
import { formatSeconds } from '../core/format.js';
import { promotedTarget } from './failover-record.js';
import type { RunContext } from './run-context.js';

export async function workerStoppedLine(
  ctx: RunContext,
  tables: number,
  times: { stopAskedAt: number; began: number },
): Promise<string> {
  const { client, config, buckets } = ctx;
  const promoted = await promotedTarget(client, config).catch((error: unknown) => {
    ctx.logger.debug(`failover record not read: ${errorMessage(error)}`);
    return null;
  });
  const fate = promoted
    ? `their workflows were stopped by \`failover promote\` at ${new Date(promoted.promotedAt).toISOString()} (${config.target.url} is the primary now)`
    : 'their workflows wait on the Temporal server for the next worker';
  const what = `${tables} table(s)${buckets.length > 0 ? ` and ${buckets.length} bucket(s)` : ''}`;
  const took = times.stopAskedAt ? ` in ${formatSeconds(Date.now() - times.stopAskedAt)}` : '';
  return `worker stopped${took} after ${formatSeconds(Date.now() - times.began)}: ${what} on task queue ${config.temporal.taskQueue}; ${fate}`;
}
