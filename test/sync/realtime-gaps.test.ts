/**
 * Changes Realtime does not deliver are healed in seconds by the feed itself, without a pass:
 * hosted Realtime drops messages silently over the plan's quota while the channel stays joined. A
 * source whose Realtime delivers only one change in three (the others dropped, as over a quota)
 * stands in for it here; passes are minutes apart, so only the feed can bring the rest.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SourceProject } from '../../src/supabase/ports.js';
import { connectSource } from '../../src/supabase/source.js';
import { waitInSync } from '../support/compare.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const name = uniqueName('gaps');
const t = table(name);
let sync: RunningSync;
let delivered = 0;
let dropped = 0;

/** Realtime that delivers every third change and drops the others silently. */
function lossy(inner: SourceProject): SourceProject {
  let n = 0;
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'subscribe') {
        const subscribe: SourceProject['subscribe'] = (ref, onChange, onStatus, entities) =>
          inner.subscribe(
            ref,
            (event) => {
              if (n++ % 3 === 0) {
                delivered++;
                onChange(event);
              } else dropped++;
            },
            onStatus,
            entities,
          );
        return subscribe;
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

before(async () => {
  await createNotesTable(name, 50);
  sync = await startSync(
    // Passes every 10 minutes: what arrives within seconds comes through the feed.
    testConfig([t], { reconcile: { intervalMs: 600_000, liveIntervalMs: 600_000 } }),
    { source: lossy(connectSource(stack.source)), settings: { realtimeProgressMs: 250 } },
  );
  await waitUntilSyncing(sync, t, { timeoutMs: 30_000 });
  await waitFor(async () => (await sync.status(t)).lastPass?.kind === 'catch-up', { timeoutMs: 15_000 });
});

after(async () => {
  await sync?.close();
  await closeDatabases();
});

describe('changes Realtime did not deliver', () => {
  test('inserts, updates and deletes dropped by Realtime reach the target within seconds, without a pass', async () => {
    const source = db(stack.source.databaseUrl);
    const passesBefore = (await sync.status(t)).passes;
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      await source.query(
        `INSERT INTO public.${name} (id, note) SELECT g, 'burst ' || g FROM generate_series(${1000 + i * 30}, ${1029 + i * 30}) g`,
      );
    }
    await source.query(`UPDATE public.${name} SET note = 'updated', updated_at = now() WHERE id <= 30`);
    await source.query(`DELETE FROM public.${name} WHERE id BETWEEN 31 AND 45`);
    await waitInSync(name, { timeoutMs: 10_000 });
    const took = Date.now() - started;
    assert.ok(dropped > delivered, `Realtime dropped ${dropped}, delivered ${delivered}`);
    const status = await waitFor(
      async () => {
        const s = await sync.status(t);
        return (s.counters.realtimeHealed ?? 0) > 0 ? s : undefined;
      },
      { timeoutMs: 5000, message: async () => JSON.stringify((await sync.status(t)).counters) },
    );
    assert.equal(status.passes, passesBefore, 'no pass ran: the feed healed the gap itself');
    assert.ok(took < 8000, `took ${took} ms`);
    assert.ok(status.realtime.connected);
  });
});
