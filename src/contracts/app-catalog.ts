/**
 * What the app needs of a database besides its rows, as a project's catalog describes it
 * (supabase/migrations/20261207120000_sync_app_catalog.sql, `sync_app_catalog`): one object per
 * policy, privilege set, index, constraint, trigger, function, view, type, extension and publication
 * membership, with Postgres's own rendering of its definition. src/core/app-catalog-diff.ts compares
 * two projects' objects by identity; src/core/app-catalog-sql.ts writes the SQL that makes one match.
 */

interface Named {
  schema: string;
  name: string;
}
interface OnTable {
  schema: string;
  table: string;
}

export type AppObject =
  | ({ kind: 'schema' } & Named)
  | ({ kind: 'extension'; version: string } & Named)
  | ({ kind: 'enum'; labels: string[] } & Named)
  | ({
      kind: 'domain';
      base: string;
      default: string | null;
      notNull: boolean;
      checks: Array<{ name: string; definition: string }>;
    } & Named)
  | ({ kind: 'composite'; attributes: Array<{ name: string; type: string }> } & Named)
  | ({ kind: 'rls'; enabled: boolean; forced: boolean } & OnTable)
  | ({ kind: 'constraint'; name: string; definition: string } & OnTable)
  | ({ kind: 'function'; args: string; result: string | null; definition: string } & Named)
  | ({ kind: 'view' | 'matview'; definition: string; options: string[] } & Named)
  | ({ kind: 'index'; name: string; definition: string } & OnTable)
  | ({
      kind: 'policy';
      name: string;
      permissive: boolean;
      command: 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
      roles: string[];
      using: string | null;
      check: string | null;
    } & OnTable)
  | ({ kind: 'trigger'; name: string; definition: string; enabled: 'O' | 'D' | 'R' | 'A' } & OnTable)
  | ({
      kind: 'privileges';
      on: 'table' | 'view' | 'matview' | 'sequence' | 'column' | 'function' | 'schema';
      column?: string;
      args?: string;
      grantee: string;
      privileges: string[];
    } & Named)
  | ({ kind: 'publication'; publication: string } & OnTable);

export type AppObjectKind = AppObject['kind'];

/** What `sync_app_catalog` is asked for: the synced tables (their schemas too) and buckets. */
export interface AppCatalogScope {
  /** "schema.table" of each synced table. */
  tables: string[];
  buckets: string[];
  /** Schemas described besides those the project finds itself (the source's, when the target is read). */
  schemas?: string[];
}

/** Reads the app's objects of one project. */
export interface AppCatalogReader {
  readAppCatalog(scope: AppCatalogScope): Promise<AppObject[]>;
}

/**
 * One md5 per schema of what `readAppCatalog` returns there and of the synced tables' columns
 * (supabase/migrations/20261207130000_sync_app_fingerprint.sql): it changes when any of them does.
 */
export type AppFingerprint = Record<string, string>;

/** Reads a project's fingerprint (a few bytes, where the catalog is many kilobytes). */
export interface AppFingerprintReader {
  readAppFingerprint(scope: AppCatalogScope): Promise<AppFingerprint>;
}

/**
 * One object that differs: missing on the target, different there, or only there. `sql` makes the
 * target match, statement by statement; `dropsData` when it would drop or narrow what holds data (a
 * type in use, a materialized view's rows), which `schema push` does only with --allow-drop;
 * `leftOut` says why when hosted projects do not let `postgres` do it (the structure of `auth` and `storage`).
 */
export interface AppDifference {
  kind: AppObjectKind;
  /** The object as a user names it: `policy "own rows" on public.posts`. */
  object: string;
  change: 'missing' | 'different' | 'extra';
  /** One line a user reads. */
  message: string;
  sql: string[];
  dropsData: boolean;
  leftOut?: string;
}
