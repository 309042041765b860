/**
 * The tables to sync, from the tables file and the source's catalog: the file's entries (a key it
 * does not give is read from the catalog), and the tables its `include` patterns select minus the
 * `exclude` ones (an entry of the file overrides their settings). Every other table on the source
 * is "on the source, not synced" (status and a metric list them: no table is left out by accident).
 * Run at start and, while the worker runs, every SYNC_DISCOVERY_INTERVAL_MS to find new tables.
 */
import { DEFAULT_INCREMENTAL_FIELDS, selectedByPatterns } from '../config/index.js';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import type { CatalogReader } from '../contracts/ports.js';
import type { TableListing } from '../contracts/table-schema.js';
import { tableName } from '../core/names.js';

export { DEFAULT_DISCOVERY_INTERVAL_MS as DISCOVERY_INTERVAL_MS } from '../config/env.js';

export interface ResolvedTables {
  tables: TableConfig[];
  /** On the source, selected by nothing in the tables file (`schema.table`). */
  unsynced: string[];
  /** Selected but not syncable, with the reason (e.g. no primary key). */
  skipped: Array<{ table: string; reason: string }>;
}

function fromListing(t: TableListing): TableConfig {
  return {
    schema: t.schema,
    table: t.table,
    qualifiedName: tableName(t),
    primaryKeys: t.primaryKey ?? [],
    primaryKeysFromCatalog: true,
    incrementalFields: [...DEFAULT_INCREMENTAL_FIELDS],
    realtime: true,
    reconcile: true,
  };
}

/** Pure: the tables file and the source's listing → what to sync. */
export function resolveFromListing(
  cfg: Pick<SyncConfig, 'tables' | 'tablePatterns'>,
  listing: TableListing[],
): ResolvedTables {
  const byName = new Map(listing.map((t) => [tableName(t), t]));
  const skipped: ResolvedTables['skipped'] = [];
  const tables: TableConfig[] = [];
  const chosen = new Set<string>();
  const patterns = cfg.tablePatterns;
  const add = (entry: TableConfig) => {
    const listed = byName.get(entry.qualifiedName);
    if (entry.primaryKeysFromCatalog && listed) {
      if (!listed.primaryKey) {
        skipped.push({
          table: entry.qualifiedName,
          reason: `${entry.qualifiedName} has no primary key: add one, or give "primaryKeys" (a unique column) in its entry of the tables file`,
        });
        return;
      }
      entry = { ...entry, primaryKeys: listed.primaryKey };
    }
    chosen.add(entry.qualifiedName);
    tables.push(entry);
  };
  for (const entry of cfg.tables) add(entry);
  if (patterns) {
    for (const listed of listing) {
      const name = tableName(listed);
      if (chosen.has(name) || !selectedByPatterns(patterns, name)) continue;
      add(fromListing(listed));
    }
  }
  const unsynced = listing
    .map((t) => tableName(t))
    .filter((name) => !chosen.has(name) && !skipped.some((s) => s.table === name));
  return { tables, unsynced, skipped };
}

/**
 * Resolves the tables against the source. Without patterns, a source that cannot list its tables
 * (functions older than the catalog migration) leaves the file's entries as they are.
 */
export async function resolveTables(
  cfg: Pick<SyncConfig, 'tables' | 'tablePatterns'>,
  source: Pick<CatalogReader, 'listTables'>,
): Promise<ResolvedTables> {
  let listing: TableListing[];
  try {
    listing = await source.listTables();
  } catch (error) {
    if (cfg.tablePatterns) throw error;
    return { tables: cfg.tables, unsynced: [], skipped: [] };
  }
  return resolveFromListing(cfg, listing);
}
