import { readFile } from 'node:fs/promises';
import type pg from 'pg';

const schemaSql = new URL('./schema.sql', import.meta.url);

/** Creates (or completes) the `storage` schema as hosted projects have it. Idempotent. */
export async function applyStorageSchema(client: pg.Client): Promise<void> {
  await client.query(await readFile(schemaSql, 'utf8'));
}
