import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goneOnThisHost, pidAlive } from '../../src/engine/local-workers.js';

const self = `host-a/${process.pid}/aa11bb`;
const alive = (pids: number[]) => (pid: number) => pids.includes(pid);

describe('goneOnThisHost', () => {
  test('a process of this host that no longer exists is gone', () => {
    assert.equal(goneOnThisHost('host-a/4242/cc22dd', self, alive([])), true);
  });
  test('a process of this host that runs is not known to be gone', () => {
    assert.equal(goneOnThisHost('host-a/4242/cc22dd', self, alive([4242])), false);
  });
  test("this process's own pid with another nonce (a restarted container) is gone", () => {
    assert.equal(goneOnThisHost(`host-a/${process.pid}/cc22dd`, self, alive([process.pid])), true);
  });
  test('this worker itself is not gone', () => {
    assert.equal(goneOnThisHost(self, self, alive([])), false);
  });
  test('other hosts and identities of another shape are left to the liveness workflows', () => {
    assert.equal(goneOnThisHost('host-b/4242/cc22dd', self, alive([])), false);
    assert.equal(goneOnThisHost('4242@host-a', self, alive([])), false);
    assert.equal(goneOnThisHost('host-a/x/cc22dd', self, alive([])), false);
  });
  test('hostnames with slashes still parse from the right', () => {
    const me = `a/b/${process.pid}/aa11bb`;
    assert.equal(goneOnThisHost('a/b/4242/cc22dd', me, alive([])), true);
    assert.equal(goneOnThisHost('b/4242/cc22dd', me, alive([])), false);
  });
});

describe('pidAlive', () => {
  test('this process runs; a pid beyond the kernel limit does not', () => {
    assert.equal(pidAlive(process.pid), true);
    assert.equal(pidAlive(2 ** 22 + 1), false);
  });
});
