/**
 * The ledger's windows go by the source's clock, never the worker host's: each pending entry says
 * how long ago it happened by the database's clock (`age_ms`, 20261207140000_sync_ledger_age.sql),
 * so a worker whose clock is an hour off still keeps a TRUNCATE settling for its 30 seconds.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { entryAgeMs } from '../../src/activities/deletions.js';
import { connectSource } from '../../src/supabase/source.js';
import type { SourceProject } from '../../src/contracts/ports.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { table, testConfig } from '../support/sync.js';

const stack = testStack();
const name = uniqueName('ledger_clock');
const ref = table(name);
let source: SourceProject;

before(async () => {
  await createNotesTable(name, 3);
  source = connectSource(testConfig([ref]).source);
  await source.enableTable(ref, false);
  const sql = db(stack.source.databaseUrl);
  await sql.query(`DELETE FROM public.${name} WHERE id = 1`);
  await sql.query(`TRUNCATE public.${name}`);
  // The TRUNCATE happened 20 s ago by the database's clock; the delete an hour ago.
  await sql.query(
    `UPDATE public.sync_deletions SET deleted_at = clock_timestamp() - CASE kind WHEN 'truncate' THEN interval '20 seconds' ELSE interval '1 hour' END
      WHERE schema_name = 'public' AND table_name = $1`,
    [name],
  );
});

after(async () => {
  await closeDatabases();
});

test('each pending entry says its age by the source’s clock, whatever the worker’s says', async () => {
  const realNow = Date.now;
  // The worker host's clock an hour ahead of the database's.
  Date.now = () => realNow() + 3_600_000;
  try {
    for (const entries of [
      await source.readPendingDeletions(ref, 10),
      await source.readDeletionsAfter(ref, 0, 10),
    ]) {
      const truncate = entries.find((e) => e.kind === 'truncate');
      const deleted = entries.find((e) => e.kind === 'delete');
      assert.ok(truncate && deleted, JSON.stringify(entries));
      assert.ok(truncate.ageMs! >= 20_000 && truncate.ageMs! < 25_000, `truncate age ${truncate.ageMs}`);
      assert.ok(deleted.ageMs! >= 3_600_000 && deleted.ageMs! < 3_605_000, `delete age ${deleted.ageMs}`);
      // Still settling (under 30 s) by the source's clock; the worker's would call it an hour old.
      assert.ok(entryAgeMs(truncate) < 30_000);
      assert.ok(Date.now() - Date.parse(truncate.deletedAt) > 3_600_000);
    }
  } finally {
    Date.now = realNow;
  }
});

test('a source whose functions predate the age field: the worker’s clock, as before', () => {
  const deletedAt = new Date(Date.parse('2026-12-07T12:00:00Z')).toISOString();
  const entry = { id: 1, kind: 'truncate' as const, primaryKey: {}, deletedAt };
  assert.equal(entryAgeMs(entry, Date.parse('2026-12-07T12:00:12Z')), 12_000);
  assert.equal(entryAgeMs({ ...entry, ageMs: 5 }, Date.parse('2026-12-07T12:00:12Z')), 5);
});
