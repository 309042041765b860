/**
 * `supabase-sync verify` reports a sequence that is behind on the target (the rows being equal),
 * `verify --repair` moves it forward, and verify is then OK.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, type RunningSync } from '../support/sync.js';
import { CliEnv, show } from './cli.js';

const stack = testStack();
const name = uniqueName('cli_verify_seq');
let sync: RunningSync;
let cli: CliEnv;

before(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    const pool = db(url);
    await pool.query(`CREATE TABLE public.${name} (id bigserial PRIMARY KEY, note text)`);
    await pool.query(`GRANT ALL ON public.${name} TO service_role`);
    await pool.query(
      `INSERT INTO public.${name} (id, note) SELECT g, 'n' || g FROM generate_series(1, 40) g`,
    );
  }
  // The same rows on both; only the source's sequence has moved (as when rows are copied with ids).
  await db(stack.source.databaseUrl).query(`SELECT setval('public.${name}_id_seq', 40)`);
  sync = await startSync(testConfig([table(name)]), { startWorkflows: false });
  cli = await CliEnv.create(sync.config.temporal.taskQueue, [name]);
});

after(async () => {
  await sync?.close();
  await cli?.remove();
  await closeDatabases();
});

describe('supabase-sync verify: sequences', () => {
  test('a sequence behind on the target is reported, --repair moves it, then OK', async () => {
    const r = await cli.run(['verify', name]);
    assert.equal(r.code, 1, show(r));
    assert.equal(
      r.stdout,
      `public.${name}: OK 40 rows\n  sequence public.${name}_id_seq is behind on the target (next 1, the source's next 41): verify --repair or the next pass moves it forward\n`,
    );
    const repaired = await cli.run(['verify', name, '--repair']);
    assert.equal(repaired.code, 0, show(repaired));
    assert.match(repaired.stdout, /moved forward/);
    const again = await cli.run(['verify', name]);
    assert.equal(again.code, 0, show(again));
    assert.equal(again.stdout, `public.${name}: OK 40 rows\n`);
    const { rows } = await db(stack.target.databaseUrl).query<{ id: string }>(
      `INSERT INTO public.${name} (note) VALUES ('x') RETURNING id`,
    );
    assert.equal(rows[0]!.id, '41');
  });
});
