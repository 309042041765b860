import type { ActivityDeps } from './deps.js';
import type { PrepareTableInput, PrepareTableResult } from './types.js';
import { failClearly } from './errors.js';

/** Checks the table on both projects and picks the version column (first incremental field that exists). */
export function createPrepareActivities(deps: ActivityDeps) {
  return {
    async prepareTable({ table }: PrepareTableInput): Promise<PrepareTableResult> {
      return failClearly(async () => {
        const versionColumn = await deps.source.findVersionColumn(table, table.incrementalFields);
        await deps.target.checkTable(table);
        const sourceRows = (await deps.source.countRows(table)) ?? null;
        const maxVersion = versionColumn ? await deps.source.readMaxVersion(table, versionColumn) : null;
        deps.logger.info(
          { table: `${table.schema}.${table.table}`, versionColumn, sourceRows },
          versionColumn
            ? `version column: ${versionColumn}`
            : `none of ${table.incrementalFields.join(', ')} exists: every pass re-reads the whole table`,
        );
        return { versionColumn: versionColumn ?? null, sourceRows, maxVersion };
      });
    },
  };
}
