/**
 * One Realtime connection per project per worker process: twelve tables' feeds share one socket
 * to the source (hosted Realtime limits channels per connection, concurrent channels and joins per
 * second); a connection takes at most 100 channels, the next ones open another.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CHANNELS_PER_CONNECTION, realtimeConnections } from '../../src/supabase/realtime-connections.js';
import { waitInSync } from '../support/compare.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';

const stack = testStack();
const names = Array.from({ length: 12 }, () => uniqueName('conn'));
const tables = names.map((n) => table(n));
let sync: RunningSync;

before(async () => {
  for (const n of names) await createNotesTable(n, 5);
  sync = await startSync(testConfig(tables));
  for (const t of tables) await waitUntilSyncing(sync, t, { timeoutMs: 30_000 });
});

after(async () => {
  await sync?.close();
  await closeDatabases();
});

test("twelve tables' feeds on one connection to the source; a change to each arrives through it", async () => {
  const source = { ...stack.source, role: 'source' as const };
  assert.deepEqual(realtimeConnections(source).sizes, [12]);
  for (const n of names)
    await db(stack.source.databaseUrl).query(
      `UPDATE public.${n} SET note = 'live', updated_at = now() WHERE id = 1`,
    );
  for (const n of names) await waitInSync(n, { timeoutMs: 5000 });
});

test('a connection carries at most 100 channels; released places are taken again', () => {
  const pool = realtimeConnections({
    url: 'http://127.0.0.1:1',
    serviceRoleKey: 'unused-key-for-a-pool',
    role: 'source',
  });
  const leases = Array.from({ length: CHANNELS_PER_CONNECTION + 30 }, () => pool.lease());
  assert.deepEqual(pool.sizes, [100, 30]);
  for (const l of leases.slice(0, 10)) l.release();
  pool.lease();
  assert.deepEqual(pool.sizes, [91, 30]);
});
