/**
 * Changes Realtime does not deliver are healed in seconds by the feed itself, without a pass.
 * The stack enforces the hosted plan's quota (free by default: 100 messages/s), dropping changes
 * silently over it while the channel stays joined — so writing at 2.5× the quota for 20 s leaves
 * most rows undelivered. Every row must still reach the target, each within 5 s (p99) of its
 * commit; passes are minutes apart, so only the feed can bring them.
 *
 * The worker reads the source through an API of its own (test/support/own-source.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PLANS, parsePlan } from '../../devstack/realtime/plans.js';
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
const SECONDS = 20;
const TICK_MS = 50;
const STALENESS_P99_MS = 5000;
const name = uniqueName('gaps');
const t = table(name);
let sync: RunningSync;
let own: OwnSourceSync | undefined;

before(async () => {
  await createNotesTable(name, 50);
  own = await startSyncOnOwnSource([t], plan);
  sync = own.sync;
});

after(async () => {
  await own?.close();
  await closeDatabases();
});

describe(`changes over the ${plan.name} plan's Realtime quota (${plan.messagesPerSecond} messages/s)`, () => {
  test(`${RATE} inserts/s for ${SECONDS} s: every row reaches the target, staleness p99 ≤ 5 s, without a pass`, async () => {
    assert.equal(PLANS[plan.name].messagesPerSecond, plan.messagesPerSecond);
    const source = db(stack.source.databaseUrl);
    const target = db(stack.target.databaseUrl);
    const passesBefore = (await sync.status(t)).passes;
    const committedAt = new Map<number, number>();
    const seenAt = new Map<number, number>();
    let writing = true;
    let lastCommit = Date.now();

    // Watches the target: when each row is first there.
    const watching = (async () => {
      while (writing || seenAt.size < committedAt.size) {
        const pending = [...committedAt.keys()].filter((id) => !seenAt.has(id));
        if (pending.length > 0) {
          const { rows } = await target.query<{ id: string }>(
            `SELECT id FROM public.${name} WHERE id = ANY($1::bigint[])`,
            [pending],
          );
          const now = Date.now();
          for (const r of rows) seenAt.set(Number(r.id), now);
        }
        await new Promise((r) => setTimeout(r, 100));
        if (!writing && Date.now() - lastCommit > 60_000) break;
      }
    })();

    // Writes RATE rows a second, a small transaction every TICK_MS, for SECONDS.
    let next = 100_000;
    const started = Date.now();
    while (Date.now() - started < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE) - (next - 100_000);
      if (due > 0) {
        const ids = Array.from({ length: due }, () => next++);
        await source.query(
          `INSERT INTO public.${name} (id, note) SELECT g, 'burst ' || g FROM unnest($1::bigint[]) g`,
          [ids],
        );
        lastCommit = Date.now();
        for (const id of ids) committedAt.set(id, lastCommit);
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const elapsed = (Date.now() - started) / 1000;
    writing = false;
    await watching;

    const written = committedAt.size;
    const staleness = [...committedAt]
      .map(([id, at]) => (seenAt.get(id) ?? Infinity) - at)
      .sort((a, b) => a - b);
    const missing = staleness.filter((s) => s === Infinity).length;
    const p50 = percentile(staleness, 50);
    const p99 = percentile(staleness, 99);
    const max = staleness[staleness.length - 1]!;
    const status = await sync.status(t);
    console.log(
      `${plan.name} plan (${plan.messagesPerSecond} messages/s): wrote ${written} rows in ${elapsed.toFixed(1)} s ` +
        `(${(written / elapsed).toFixed(0)}/s); staleness p50 ${p50} ms, p99 ${p99} ms, max ${max} ms; ` +
        `missing ${missing}; healed by the feed ${status.counters.realtimeHealed ?? 0}`,
    );
    assert.ok(written >= RATE * SECONDS * 0.9, `wrote ${written} rows`);
    assert.equal(missing, 0, `${missing} of ${written} rows never reached the target`);
    assert.ok(p99 <= STALENESS_P99_MS, `staleness p99 ${p99} ms (target ≤ ${STALENESS_P99_MS} ms)`);
    assert.ok(
      (status.counters.realtimeHealed ?? 0) > 0,
      'the quota dropped changes and the feed healed them',
    );

    // Updates and deletes over the quota are healed too.
    await source.query(`UPDATE public.${name} SET note = 'updated', updated_at = now() WHERE id <= 30`);
    await source.query(`DELETE FROM public.${name} WHERE id BETWEEN 31 AND 45`);
    await waitInSync(name, { timeoutMs: 10_000 });
    const after = await sync.status(t);
    assert.equal(after.passes, passesBefore, 'no pass ran: the feed healed the gap itself');
    assert.ok(after.realtime.connected, 'the feed stayed connected');
  });

  test('a delete committed after a later one (out of ledger order) and dropped over the quota: healed within 5 s, without a pass', async () => {
    const source = db(stack.source.databaseUrl);
    const target = db(stack.target.databaseUrl);
    const passesBefore = (await sync.status(t)).passes;
    const onTarget = async (id: number) =>
      (await target.query(`SELECT 1 FROM public.${name} WHERE id = $1`, [id])).rowCount === 1;
    assert.ok((await onTarget(46)) && (await onTarget(47)), 'rows 46 and 47 are on the target');
    // 2,000 changes/s: over any average the quota's ticks can hold, so once the next tick (5 s)
    // has judged it, every change is dropped until the flood ends.
    let flooding = true;
    const flood = (async () => {
      for (let i = 0; flooding; i++) {
        const from = 100_000 + ((i * 100) % 4000);
        await source.query(
          `UPDATE public.${name} SET note = 'flood ' || $2, updated_at = now() WHERE id >= $1 AND id < $1 + 100`,
          [from, i],
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const held = await source.connect();
    let committed = 0;
    try {
      // The DELETE of 46 takes its ledger id first but commits last.
      await held.query('BEGIN');
      await held.query(`DELETE FROM public.${name} WHERE id = 46`);
      await new Promise((r) => setTimeout(r, 6000));
      await source.query(`DELETE FROM public.${name} WHERE id = 47`);
      // The feed has seen the later id (dropped by the quota, healed by its check)…
      await waitFor(async () => !(await onTarget(47)), { timeoutMs: 10_000, message: 'row 47 stays' });
      // …and then the earlier one commits, its delete dropped by the quota too.
      await held.query('COMMIT');
      committed = Date.now();
    } finally {
      held.release();
      await new Promise((r) => setTimeout(r, 2000));
      flooding = false;
      await flood;
    }
    await waitFor(async () => !(await onTarget(46)), {
      timeoutMs: 10_000,
      message: 'the delete committed out of ledger order never reached the target',
    });
    const ms = Date.now() - committed;
    console.log(`delete committed out of ledger order: on the target in ${ms} ms`);
    assert.ok(ms <= STALENESS_P99_MS, `${ms} ms`);
    await waitInSync(name, { timeoutMs: 15_000 });
    assert.equal((await sync.status(t)).passes, passesBefore, 'no pass ran');
  });
});
