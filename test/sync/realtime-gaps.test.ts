/**
 * Changes Realtime does not deliver are healed in seconds by the feed itself, without a pass.
 * The stack enforces the hosted plan's quota (free by default: 100 messages/s), dropping changes
 * silently over it while the channel stays joined — so writing at 2.5× the quota for 20 s leaves
 * most rows undelivered. Every row must still reach the target, each within 5 s (p99) of its
 * commit; passes are minutes apart, so only the feed can bring them.
 *
 * The worker reads the source through an API of its own (on the stack's source database, with the
 * stack's plan): a project whose quota counters no other test has touched, as a quiet project's are.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSupabaseApi, type SupabaseApi } from '../../devstack/api.js';
import { makeServiceRoleKey, newJwtSecret } from '../../devstack/keys.js';
import { freePort } from '../../devstack/ports.js';
import { PLANS, parsePlan } from '../../devstack/realtime/plans.js';
import { waitInSync } from '../support/compare.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
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
let api: SupabaseApi;

before(async () => {
  await createNotesTable(name, 50);
  const secret = newJwtSecret();
  api = await startSupabaseApi({
    databaseUrl: stack.source.databaseUrl,
    jwtSecret: secret,
    port: await freePort(),
    name: 'source (own)',
    realtimePlan: plan,
  });
  // Passes every 10 minutes: what arrives within seconds comes through the feed.
  const config = testConfig([t], { reconcile: { intervalMs: 600_000, liveIntervalMs: 600_000 } });
  config.source = { ...config.source, url: api.url, serviceRoleKey: makeServiceRoleKey(secret) };
  sync = await startSync(config, { settings: { realtimeProgressMs: 250 } });
  await waitUntilSyncing(sync, t, { timeoutMs: 30_000 });
  await waitFor(async () => (await sync.status(t)).lastPass?.kind === 'catch-up', { timeoutMs: 15_000 });
});

after(async () => {
  await sync?.close();
  await api?.close();
  await closeDatabases();
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

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
});
