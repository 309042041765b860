/**
 * Tables without a version column (a join table of posts and tags: composite key, an enum, no
 * timestamp) heal what Realtime drops within seconds too, through the source's change log
 * (20261207150000_sync_change_log.sql): inserts, updates and key changes written at 2.5× the plan's
 * message quota all reach the target, each within 5 s (p99), with passes minutes apart; the log is
 * emptied as the feed handles it; a table with a version column gets no log.
 *
 * The worker reads the source through an API of its own (test/support/own-source.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parsePlan } from '../../devstack/realtime/plans.js';
import { waitInSync } from '../support/compare.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSyncOnOwnSource, type OwnSourceSync } from '../support/own-source.js';
import { percentile } from '../support/stats.js';
import { table, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const stack = testStack();
const plan = parsePlan(process.env.STACK_REALTIME_PLAN, 'STACK_REALTIME_PLAN');
const RATE = 2.5 * plan.messagesPerSecond;
const SECONDS = 10;
const TICK_MS = 50;
const P99_MS = 5000;
const name = uniqueName('post_tags');
const kind = `${name}_kind`;
const notes = uniqueName('versioned');
const KEY = ['post_id', 'tag'];
const t = table(name, { primaryKeys: KEY });
const source = db(stack.source.databaseUrl);
const target = db(stack.target.databaseUrl);
let sync: RunningSync;
let own: OwnSourceSync | undefined;

before(async () => {
  for (const pool of [source, target]) {
    await pool.query(`CREATE TYPE public.${kind} AS ENUM ('topic', 'label')`);
    await pool.query(
      `CREATE TABLE public.${name} (post_id bigint NOT NULL, tag text NOT NULL, kind public.${kind} NOT NULL DEFAULT 'label', weight integer NOT NULL DEFAULT 0, PRIMARY KEY (post_id, tag))`,
    );
  }
  await source.query(
    `INSERT INTO public.${name} (post_id, tag) SELECT g, 'seed' FROM generate_series(1, 50) g`,
  );
  await createNotesTable(notes, 5);
  own = await startSyncOnOwnSource([t, table(notes)], plan);
  sync = own.sync;
});

after(async () => {
  await own?.close();
  await closeDatabases();
});

/**
 * Runs `write(n)` (it returns the keys it committed) RATE times a second for SECONDS while watching
 * the target: the delay from each key's commit until the target first shows `expected` for it.
 */
async function burst(write: (n: number) => Promise<string[]>, expected: string): Promise<number[]> {
  const committedAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  let writing = true;
  const watching = (async () => {
    const deadline = Date.now() + (SECONDS + 30) * 1000;
    while ((writing || seenAt.size < committedAt.size) && Date.now() < deadline) {
      const { rows } = await target.query<{ k: string; w: string }>(
        `SELECT post_id || '/' || tag AS k, weight::text AS w FROM public.${name}`,
      );
      const now = Date.now();
      for (const r of rows)
        if (committedAt.has(r.k) && !seenAt.has(r.k) && r.w === expected) seenAt.set(r.k, now);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  let done = 0;
  const started = Date.now();
  while (Date.now() - started < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * RATE) - done;
    if (due > 0) {
      const keys = await write(due);
      done += due;
      const at = Date.now();
      for (const k of keys) committedAt.set(k, at);
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  writing = false;
  await watching;
  return [...committedAt].map(([k, at]) => (seenAt.get(k) ?? Infinity) - at).sort((a, b) => a - b);
}

function report(what: string, delays: number[]): void {
  const missing = delays.filter((d) => d === Infinity).length;
  console.log(
    `${what} over the ${plan.name} plan's quota (${RATE}/s for ${SECONDS} s): ${delays.length} rows; p50 ${percentile(delays, 50)} ms, p99 ${percentile(delays, 99)} ms; missing ${missing}`,
  );
  assert.equal(missing, 0, `${what}: ${missing} of ${delays.length} rows never reached the target`);
  assert.ok(
    percentile(delays, 99) <= P99_MS,
    `${what}: p99 ${percentile(delays, 99)} ms (target ≤ ${P99_MS} ms)`,
  );
}

describe(`a table without a version column, over the ${plan.name} plan's Realtime quota`, () => {
  test('inserts, updates and key changes all reach the target within 5 s, without a pass', async () => {
    const passesBefore = (await sync.status(t)).passes;
    let post = 1000;
    const keys: number[] = [];
    const inserts = await burst(async (n) => {
      const ids = Array.from({ length: n }, () => post++);
      await source.query(
        `INSERT INTO public.${name} (post_id, tag, kind, weight) SELECT g, 'tag', 'topic', 1 FROM unnest($1::bigint[]) g`,
        [ids],
      );
      keys.push(...ids);
      return ids.map((id) => `${id}/tag`);
    }, '1');
    report('inserts', inserts);

    // Updates: every inserted row again, in the same order, to weight 2.
    const queue = [...keys];
    const updates = await burst(async (n) => {
      const ids = queue.splice(0, n);
      if (ids.length > 0)
        await source.query(
          `UPDATE public.${name} SET weight = 2 WHERE tag = 'tag' AND post_id = ANY($1::bigint[])`,
          [ids],
        );
      return ids.map((id) => `${id}/tag`);
    }, '2');
    report('updates', updates);

    // Key changes (a tag renamed) and deletes, then the whole table equal within 10 s.
    await source.query(
      `UPDATE public.${name} SET tag = 'renamed', weight = 3 WHERE post_id BETWEEN 1 AND 20`,
    );
    await source.query(`DELETE FROM public.${name} WHERE post_id BETWEEN 21 AND 30`);
    await waitInSync(name, { key: KEY, timeoutMs: 10_000 });
    const status = await sync.status(t);
    assert.equal(status.passes, passesBefore, 'no pass ran: the feed healed the gaps itself');
    assert.ok(
      (status.counters.realtimeHealed ?? 0) > 0,
      'the quota dropped changes and the feed healed them',
    );
  });

  test('the same rows updated over and over over the quota: the target equals the source within 5 s of the last write', async () => {
    // A change delivered late must not leave an older value over a healed newer one.
    let round = 0;
    await burst(async (n) => {
      round++;
      await source.query(
        `UPDATE public.${name} SET weight = $1 WHERE post_id IN (SELECT post_id FROM public.${name} WHERE tag = 'seed' ORDER BY post_id LIMIT $2)`,
        [round, Math.min(n, 40)],
      );
      return [];
    }, 'none');
    await waitInSync(name, { key: KEY, timeoutMs: 5000, what: `${name} after ${round} rounds of updates` });
  });

  test('the change log is emptied as the feed handles it; a table with a version column has none', async () => {
    await waitFor(
      async () =>
        Number(
          (
            await source.query<{ n: string }>(
              `SELECT count(*) AS n FROM public.sync_changes WHERE schema_name = 'public' AND table_name = $1`,
              [name],
            )
          ).rows[0]!.n,
        ) === 0,
      { timeoutMs: 10_000, message: 'change-log entries of the table are left on the source' },
    );
    const { rows } = await source.query<{ relname: string; tgname: string }>(
      `SELECT c.relname, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
        WHERE c.relname = ANY($1) AND g.tgname LIKE 'sync_track_%s' AND g.tgname IN ('sync_track_inserts', 'sync_track_updates')
        ORDER BY 1, 2`,
      [[name, notes]],
    );
    assert.deepEqual(
      rows.map((r) => `${r.relname}.${r.tgname}`),
      [`${name}.sync_track_inserts`, `${name}.sync_track_updates`],
    );
  });
});
