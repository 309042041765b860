/**
 * A short subset of the fault-injection suite (`npm run test:chaos` runs the full one): one seed,
 * a randomized workload over three tables while the worker (`npm run sync` as a child process) is
 * SIGKILLed mid-batch, the target API answers 503 in bursts, Realtime sockets are dropped, and
 * Temporal (a dev server of this test's own, SQLite-backed) is restarted. Afterwards the target
 * must equal the source row by row within a deadline.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testStack } from '../support/stack-env.js';
import { runChaos, workerLogTail } from '../chaos/scenario.js';
import { holdDuringFile } from '../support/resource-lock.js';

const stack = testStack();
const seed = Number(process.env.CHAOS_SEED ?? 20251120);

// The app workload adds users to auth.users: not while a file compares all of it (test/support/resource-lock.ts).
holdDuringFile('auth.users', 'shared');

describe('chaos (short)', () => {
  test(`seed ${seed}: the target equals the source after SIGKILLs, 503 bursts, dropped sockets and a Temporal restart`, async () => {
    const result = await runChaos({
      source: stack.source,
      target: stack.target,
      seed,
      durationMs: 12_000,
      // A worker SIGKILLed during a reconciliation pass leaves that activity to Temporal's heartbeat
      // timeout (1 minute in src/workflows/feed.ts) before a new attempt runs: the deadline
      // covers it. The kill comes first so that wait overlaps the rest of the run.
      convergeTimeoutMs: 75_000,
      faults: [
        'kill-worker',
        'target-503',
        'drop-realtime',
        'restart-temporal',
        'target-503',
        'drop-realtime',
      ],
      faultOrder: 'cycle',
      faultEveryMs: 2000,
      clients: 2,
      log: (line) => {
        if (process.env.TEST_VERBOSE) console.error(line);
      },
    });
    console.log(`chaos-short: ${result.summary}`);
    const tail = result.ok || !result.artifacts ? '' : `\n${await workerLogTail(result.artifacts)}`;
    assert.ok(result.ok, `${result.summary}${tail}`);
    assert.ok(result.faults.length >= 2, `only ${result.faults.length} faults were injected`);
  });

  test(`seed ${seed + 1}: a SaaS app's schema (unique swaps, cascades, TRUNCATE, a column added mid-run) under the same faults`, async () => {
    const result = await runChaos({
      source: stack.source,
      target: stack.target,
      seed: seed + 1,
      workload: 'app',
      durationMs: 10_000,
      convergeTimeoutMs: 75_000,
      faults: ['kill-worker', 'target-503', 'drop-realtime', 'target-503'],
      faultOrder: 'cycle',
      faultEveryMs: 2000,
      clients: 2,
      log: (line) => {
        if (process.env.TEST_VERBOSE) console.error(line);
      },
    });
    console.log(`chaos-short (app): ${result.summary}`);
    const tail = result.ok || !result.artifacts ? '' : `\n${await workerLogTail(result.artifacts)}`;
    assert.ok(result.ok, `${result.summary}${tail}`);
    assert.ok(result.workload.ops > 20, JSON.stringify(result.workload));
  });
});
