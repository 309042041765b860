/**
 * The target's Postgres for the direct path (SYNC_TARGET_DATABASE_URL): a table's COPY plan from
 * its catalog, a range's rows streamed (pg-copy-streams) into a temporary staging table and merged
 * by `sync_apply_staged` (supabase/migrations/20261208123400_…: the version guard, tombstones and
 * silenced triggers of the API's writes) in one transaction, and verify's range checksums.
 */
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { CopyPlan, DirectTarget, RangeCopy, StagedResult } from '../contracts/direct-ports.js';
import { SyncError, type TableRef } from '../contracts/ports.js';
import { tableName } from '../core/names.js';
import { DirectDatabase } from './direct-pool.js';
import {
  STAGING_TABLE,
  copyInSql,
  copyTableSql,
  createStagingSql,
  qualified,
  rangeBusySql,
} from './direct-sql.js';

/**
 * The stored columns (generated ones are computed by the target), and whether the binary format
 * is safe: a composite value, or an array of a type the project created (an enum, a domain, an
 * extension's type), carries type oids in binary, and those differ between two databases.
 */
const PLAN_SQL = `
SELECT a.attname::text AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       (b.typtype = 'c' OR (b.typcategory = 'A' AND (b.typelem >= 16384 OR e.typtype = 'c'))) AS textual,
       coalesce(a.attnum = ANY (i.indkey), false) AS in_key
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
  LEFT JOIN pg_catalog.pg_type e ON e.oid = b.typelem
  LEFT JOIN pg_catalog.pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
 ORDER BY a.attnum`;

export class DirectTargetDatabase extends DirectDatabase implements DirectTarget {
  constructor(url: string, parallel: number) {
    super('target', url, parallel + 1);
  }

  async copyPlan(ref: TableRef): Promise<CopyPlan> {
    const columns = await this.query<{ name: string; type: string; textual: boolean }>(
      `reading the columns of ${tableName(ref)}`,
      PLAN_SQL,
      [qualified(ref)],
    );
    if (columns.length === 0) {
      throw new SyncError(
        `${tableName(ref)} does not exist on the target (SYNC_TARGET_DATABASE_URL)`,
        'schema',
      );
    }
    const keyTypes = ref.primaryKeys.map((k) => {
      const column = columns.find((c) => c.name === k);
      if (!column) throw new SyncError(`${tableName(ref)} has no key column ${k} on the target`, 'schema');
      return column.type;
    });
    return {
      columns: columns.map((c) => c.name),
      types: columns.map((c) => c.type),
      format: columns.some((c) => c.textual) ? 'text' : 'binary',
      keyTypes,
    };
  }

  async copyIn(copy: RangeCopy): Promise<StagedResult> {
    return (await this.copyIntoEmpty(copy)) ?? (await this.copyStaged(copy));
  }

  /**
   * A range the target holds no row of (the first copy), while the table had no delete in the last
   * two minutes (no tombstone to respect): COPY straight into the table, with the target's
   * triggers and foreign-key checks silenced (`SET LOCAL session_replication_role`, a SET statement
   * hosted lets `postgres` run). No row there means the version guard has nothing to keep; a row
   * the feed writes into the range meanwhile makes the COPY fail on its key (or a unique value),
   * and the range goes the staged way instead (undefined).
   */
  private async copyIntoEmpty(copy: RangeCopy): Promise<StagedResult | undefined> {
    const { ref, plan, range } = copy;
    return this.withSession(`writing a range of ${tableName(ref)}`, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      const probe = await client.query<{ busy: boolean }>(rangeBusySql(ref, plan, range), [
        ref.schema,
        ref.table,
      ]);
      if (probe.rows[0]!.busy) {
        await client.query('ROLLBACK');
        return undefined;
      }
      const ingest = client.query(copyFrom(copyTableSql(ref, plan)));
      try {
        await pipeline(copy.data(), ingest, { signal: copy.signal });
      } catch (error) {
        if ((error as { code?: unknown }).code !== '23505') throw error;
        await client.query('ROLLBACK');
        return undefined;
      }
      await client.query('COMMIT');
      // No newest version (reading the range again would cost as much as a tenth of the copy): a
      // whole-table pass then leaves its checkpoint where it was, which only ever re-reads more.
      return { rows: ingest.rowCount, written: ingest.rowCount, skipped: 0, maxVersion: null };
    });
  }

  /**
   * Through a staging table merged by `sync_apply_staged`, which hands the rows to
   * `sync_apply_upserts` (the API's writes' rule). Not committed (an error, an abort): the session
   * is closed, which rolls the transaction back, so nothing of the range is written.
   */
  private async copyStaged(copy: RangeCopy): Promise<StagedResult> {
    const { ref, plan, versionColumn } = copy;
    return this.withSession(`writing a range of ${tableName(ref)}`, async (client) => {
      await client.query('BEGIN');
      await client.query(createStagingSql(plan));
      await pipeline(copy.data(), client.query(copyFrom(copyInSql(plan))), { signal: copy.signal });
      const result = await client.query<{ r: StagedJson }>(
        'SELECT public.sync_apply_staged($1, $2, $3, $4, $5) AS r',
        [ref.schema, ref.table, ref.primaryKeys, versionColumn, STAGING_TABLE],
      );
      await client.query('COMMIT');
      const r = result.rows[0]!.r;
      return {
        rows: Number(r.rows),
        written: Number(r.written),
        skipped: Number(r.skipped),
        maxVersion: r.max_version ?? null,
        ...(r.conflict !== undefined ? { conflict: r.conflict } : {}),
      };
    });
  }
}

interface StagedJson {
  rows: number;
  written: number;
  skipped: number;
  max_version?: string | null;
  conflict?: string;
}
