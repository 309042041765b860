/**
 * The direct path's two databases, when both URLs are configured (SYNC_SOURCE_DATABASE_URL and
 * SYNC_TARGET_DATABASE_URL); undefined otherwise, and everything goes through the Data API.
 */
import type { SyncConfig } from '../contracts/config.js';
import type { DirectDatabases } from '../contracts/direct-ports.js';
import { DirectSourceDatabase } from './direct-source.js';
import { DirectTargetDatabase } from './direct-target.js';

/** The default when the config does not say (SYNC_DIRECT_COPY_PARALLEL). */
const PARALLEL = 4;

export function connectDirect(
  config: Pick<SyncConfig, 'sourceDatabaseUrl' | 'targetDatabaseUrl' | 'directParallel'>,
): DirectDatabases | undefined {
  if (config.sourceDatabaseUrl === undefined || config.targetDatabaseUrl === undefined) return undefined;
  const parallel = config.directParallel ?? PARALLEL;
  return {
    source: new DirectSourceDatabase(config.sourceDatabaseUrl, parallel),
    target: new DirectTargetDatabase(config.targetDatabaseUrl, parallel),
    parallel,
  };
}

/** Closes both pools (sessions in use close as they are released). */
export async function closeDirect(direct: DirectDatabases | undefined): Promise<void> {
  if (direct) await Promise.all([direct.source.close(), direct.target.close()]);
}
