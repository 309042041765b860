/** The configured tables (and the app's objects around them) compared on both projects, as `schema diff` and `schema push` do. */
import type { SyncConfig } from '../contracts/config.js';
import { compareSchemas, type SchemaComparison } from '../engine/schema-compare.js';
import { resolveTables } from '../engine/resolve-tables.js';
import { connectSource } from '../supabase/source.js';
import { connectTarget } from '../supabase/target.js';
import { announceProjects } from './common.js';
import { selectTables } from './targets.js';

/** The named tables (default: all configured, patterns resolved) compared on both projects. */
export async function compareConfigured(cfg: SyncConfig, names: string[]): Promise<SchemaComparison> {
  const source = connectSource(cfg.source);
  const target = connectTarget(cfg.target);
  const resolved = await resolveTables(cfg, source);
  const tables = selectTables({ ...cfg, tables: resolved.tables }, names, false, true);
  announceProjects();
  return compareSchemas(source, target, tables, cfg.storage);
}
