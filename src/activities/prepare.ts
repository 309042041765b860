import type { PrepareTableInput, PrepareTableResult } from '../contracts/activities.js';
import { started } from '../core/started.js';
import { pickVersionColumn } from '../core/table-schema.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import { checkSchema, driftNotes } from './schema-check.js';

/**
 * Checks the table on both projects (schema-check.ts), picks the version column (the first
 * incremental field that exists), and estimates the rows the first copy will bring (exact when
 * few: the copy's progress, src/core/copy-progress.ts).
 */
export function createPrepareActivities(deps: ActivityDeps) {
  return {
    async prepareTable({ table }: PrepareTableInput): Promise<PrepareTableResult> {
      return failClearly(() =>
        keepBeating(
          () => ({ table: table.qualifiedName }),
          async () => {
            // The estimate needs nothing the check finds: both at once (a first copy waits for
            // them). The check's error first: it says best what is wrong with the table.
            const estimating = started(() => deps.source.estimateRows(table));
            const { source, differences } = await checkSchema(deps, table);
            const estimate = await estimating;
            const versionColumn = pickVersionColumn(source, table.incrementalFields);
            const sourceRows = estimate.rows;
            const maxVersion = versionColumn
              ? (await deps.source.readPosition(table, versionColumn)).version
              : null;
            deps.logger.info(
              { table: table.qualifiedName, versionColumn, sourceRows },
              versionColumn
                ? `version column: ${versionColumn}`
                : `none of ${table.incrementalFields.join(', ')} exists: every pass re-reads the whole table`,
            );
            return {
              versionColumn,
              sourceRows,
              ...(estimate.exact ? {} : { sourceRowsExact: false }),
              maxVersion,
              drift: driftNotes(differences),
            };
          },
        ),
      );
    },
  };
}
