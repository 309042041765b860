/**
 * The source's Postgres for the direct path (SYNC_SOURCE_DATABASE_URL): range bounds, a range's
 * rows as a COPY stream (pg-copy-streams), a range's keys, and verify's range checksums. Reads
 * only; every stream ends its session, closed when it did not end cleanly (an abort, an error, a
 * consumer that stopped reading).
 */
import { to as copyTo } from 'pg-copy-streams';
import type { CopyPlan, DirectSource, KeyRange } from '../contracts/direct-ports.js';
import type { KeyTextValues, TableRef } from '../contracts/ports.js';
import { tableName } from '../core/names.js';
import { DirectDatabase, databaseError } from './direct-pool.js';
import { copyOutSql, qualified, rangeBoundsSql, rangeKeysSql } from './direct-sql.js';

export class DirectSourceDatabase extends DirectDatabase implements DirectSource {
  constructor(url: string, parallel: number) {
    super('source', url, parallel + 1);
  }

  async rangeBounds(
    ref: TableRef,
    plan: CopyPlan,
    after: KeyTextValues | null,
    rowsPerRange: number,
    ranges: number,
  ): Promise<KeyTextValues[]> {
    return this.queryArrays(
      `cutting ${tableName(ref)} into key ranges`,
      rangeBoundsSql(ref, plan, after, rowsPerRange, ranges),
    );
  }

  async columnNames(ref: TableRef): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      `reading the columns of ${tableName(ref)}`,
      `SELECT a.attname::text AS name FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        ORDER BY a.attnum`,
      [qualified(ref)],
    );
    return rows.map((r) => r.name);
  }

  async rangeKeys(ref: TableRef, plan: CopyPlan, range: KeyRange, limit: number): Promise<KeyTextValues[]> {
    return this.queryArrays(
      `reading the keys of a range of ${tableName(ref)}`,
      rangeKeysSql(ref, plan, range, limit),
    );
  }

  async *copyOut(
    ref: TableRef,
    plan: CopyPlan,
    range: KeyRange,
    signal: AbortSignal,
  ): AsyncIterable<Uint8Array> {
    const what = `copying a range of ${tableName(ref)}`;
    const client = await this.session(what);
    let clean = false;
    const stream = client.query(copyTo(copyOutSql(ref, plan, range)));
    const abort = () => stream.destroy(new Error('the copy was cancelled'));
    signal.addEventListener('abort', abort, { once: true });
    try {
      if (signal.aborted) abort();
      for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
      clean = true;
    } catch (error) {
      throw databaseError(this.role, this.url, what, error);
    } finally {
      signal.removeEventListener('abort', abort);
      // A COPY cut short leaves its session mid-protocol: it is closed, not reused.
      client.release(!clean);
    }
  }
}
