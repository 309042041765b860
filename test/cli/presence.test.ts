/**
 * How the CLI tells from the server's records whether a worker polls (src/cli/workers.ts
 * `judgePresence`), without a server: worker heartbeats and pollers' last access times as
 * ListWorkers and DescribeTaskQueue return them, in the cases a user meets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgePresence, noWorkerLine, type Heartbeat } from '../../src/cli/workers.js';

const NOW = Date.parse('2026-01-31T12:00:00Z');
const s = (n: number) => n * 1000;

function beat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  return { identity: '1@host', running: true, at: NOW - s(10), intervalMs: s(60), ...overrides };
}

describe('is a worker polling?', () => {
  test('a running worker with a recent heartbeat: yes', () => {
    assert.deepEqual(judgePresence([beat()], [{ identity: '1@host', at: NOW - s(50) }], NOW), {
      live: true,
      lastSeen: NOW - s(10),
    });
  });

  test('a worker that stopped says so: no, at once, even though its last poll is recent', () => {
    const stopped = beat({ running: false, at: NOW - s(3) });
    const r = judgePresence([stopped], [{ identity: '1@host', at: NOW - s(5) }], NOW);
    assert.equal(r.live, false);
    assert.equal(r.lastSeen, NOW - s(3));
  });

  test('a worker killed without a word: no, once its heartbeat is two intervals old', () => {
    assert.equal(judgePresence([beat({ at: NOW - s(100) })], [], NOW).live, true);
    assert.equal(judgePresence([beat({ at: NOW - s(131) })], [], NOW).live, false);
  });

  test('a worker that sends no heartbeats: judged by its last poll (an idle one polls every minute)', () => {
    assert.equal(judgePresence([], [{ identity: 'old@host', at: NOW - s(60) }], NOW).live, true);
    const r = judgePresence([], [{ identity: 'old@host', at: NOW - s(120) }], NOW);
    assert.equal(r.live, false);
    assert.equal(r.lastSeen, NOW - s(120));
  });

  test('a worker started again in the same process (same identity, no heartbeat yet): its new poll counts', () => {
    const stopped = beat({ running: false, at: NOW - s(20) });
    assert.equal(judgePresence([stopped], [{ identity: '1@host', at: NOW - s(10) }], NOW).live, true);
  });

  test('nothing on the task queue for 5 minutes', () => {
    const r = judgePresence([], [], NOW);
    assert.deepEqual(r, { live: false, lastSeen: null });
    assert.equal(
      noWorkerLine({ ...r, taskQueue: 'supabase-sync', namespace: 'default' }, NOW),
      'no worker is polling task queue "supabase-sync" (namespace default) (none in the last 5 minutes): start one with `npm run sync` (same TEMPORAL_TASK_QUEUE)',
    );
    assert.match(
      noWorkerLine({ live: false, lastSeen: NOW - s(180), taskQueue: 'q', namespace: 'default' }, NOW),
      /^no worker is polling task queue "q" \(namespace default\) since 2026-01-31 11:57:00Z \(3m ago\): /,
    );
  });
});
