/**
 * `"schema": {"follow": true}`: what the source added, applied to the target by the schema watch
 * (schema-watch.ts) through SYNC_TARGET_DATABASE_URL. The synced tables of the schemas that changed
 * are compared (a new table or column), and with the app's objects that differ, the steps that only
 * add (src/core/schema-follow.ts) run one by one, each in its own transaction (src/supabase/
 * schema-apply.ts), so a step the target refuses (a NOT NULL column on a table with rows) is logged
 * and left as a difference without holding back the others. Each applied step is logged with its
 * SQL; the URL and its password never are.
 */
import type { AppDifference } from '../contracts/app-catalog.js';
import type { TableConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import type { CatalogReader } from '../contracts/ports.js';
import { errorMessage } from '../core/errors.js';
import { followSteps } from '../core/schema-follow.js';
import type { SchemaStep, TableDifferences } from '../core/schema-plan.js';
import { applySchemaSteps } from '../supabase/schema-apply.js';
import { compareTables } from './schema-compare.js';

/** Tables compared at once (two catalog reads each). */
const TABLES_AT_ONCE = 20;

export type ApplySteps = (databaseUrl: string, steps: SchemaStep[]) => Promise<void>;

export interface FollowInput {
  source: CatalogReader;
  target: CatalogReader;
  /** The synced tables in the schemas that changed. */
  tables: TableConfig[];
  /** The app's objects that differ (src/engine/schema-compare.ts compareAppObjects). */
  objects: AppDifference[];
  databaseUrl: string;
  logger: Logger;
  apply?: ApplySteps;
}

async function tableDifferences(input: FollowInput): Promise<TableDifferences[]> {
  const found: TableDifferences[] = [];
  for (let i = 0; i < input.tables.length; i += TABLES_AT_ONCE) {
    const compared = await compareTables(
      input.source,
      input.target,
      input.tables.slice(i, i + TABLES_AT_ONCE),
    );
    for (const t of compared) {
      if (t.differences && t.differences.length > 0)
        found.push({ table: t.table, differences: t.differences });
    }
  }
  return found;
}

/** Applies what only adds; returns how many steps were applied. */
export async function followSource(input: FollowInput): Promise<number> {
  const { logger } = input;
  const apply = input.apply ?? applySchemaSteps;
  const steps = followSteps(await tableDifferences(input), input.objects);
  let applied = 0;
  for (const step of steps) {
    try {
      await apply(input.databaseUrl, [step]);
      applied += 1;
      logger.info(
        { object: step.object },
        `schema follow: applied to the target: ${step.object}: ${step.sql.join(' ')}`,
      );
    } catch (error) {
      logger.warn(
        { object: step.object },
        `schema follow: could not apply ${step.object} to the target (it stays a difference; tried again when the schema changes): ${errorMessage(error)}`,
      );
    }
  }
  return applied;
}
