/**
 * The copy chunk in flight as `status` reads it (src/temporal/copy-chunk.ts), without a server: the
 * rows its heartbeat counted, decoded through the client's codec (an encrypted history), and the
 * time it had run; a chunk the workflow's counts already hold is left out, as are other activities.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import type { InitialCopyState } from '../../src/contracts/table-sync.js';
import { AesGcmPayloadCodec } from '../../src/temporal/codec.js';
import { runningCopyChunk } from '../../src/temporal/copy-chunk.js';

const NOW = Date.parse('2026-12-08T12:00:00Z');

void test('the running chunk: its heartbeat rows through the codec, since it started; one already counted is not', async () => {
  const codec = new AesGcmPayloadCodec(randomBytes(32), 'k1');
  // A lazy connection: nothing is asked of a server when the pending activities are given.
  const client = new Client({ dataConverter: { payloadCodecs: [codec] } });
  const [payload] = await codec.encode([
    defaultPayloadConverter.toPayload({ rowsRead: 3000, written: 2900, afterKey: ['row key'] }),
  ]);
  const chunk = {
    activityType: { name: 'reconcileChunk' },
    heartbeatDetails: { payloads: [payload!] },
    lastHeartbeatTime: msNumberToTs(NOW),
    lastStartedTime: msNumberToTs(NOW - 5000),
    scheduledTime: msNumberToTs(NOW - 5100),
    attempt: 1,
  };
  const feed = { ...chunk, activityType: { name: 'streamRealtimeChanges' } };
  const copy: InitialCopyState = {
    done: false,
    mode: 'full',
    from: null,
    keyCursor: null,
    versionCursor: null,
    rowsCopied: 20_000,
    total: 100_000,
    startedAt: NOW - 30_000,
    finishedAt: null,
    lastChunkAt: NOW - 5200,
  };
  assert.deepEqual(await runningCopyChunk(client, 'wf', copy, [feed, chunk]), {
    rows: 3000,
    ms: 5000,
    at: NOW,
  });
  // Chunks side by side (key ranges in parallel): their rows add up, the time is the longest's.
  const second = { ...chunk, lastStartedTime: msNumberToTs(NOW - 2000) };
  assert.deepEqual(await runningCopyChunk(client, 'wf', copy, [chunk, second]), {
    rows: 6000,
    ms: 5000,
    at: NOW,
  });
  // A retried attempt resumed from the heartbeat: its rows count from the chunk's schedule.
  assert.equal((await runningCopyChunk(client, 'wf', copy, [{ ...chunk, attempt: 2 }]))?.ms, 5100);
  // Scheduled before the workflow recorded its last chunk: that chunk's rows are in its counts.
  assert.equal(
    await runningCopyChunk(client, 'wf', { ...copy, lastChunkAt: NOW - 1000 }, [chunk]),
    undefined,
  );
  assert.equal(await runningCopyChunk(client, 'wf', { ...copy, done: true }, [chunk]), undefined);
  // No heartbeat yet, or one another key encrypted: the chunk counts when it completes.
  assert.equal(await runningCopyChunk(client, 'wf', copy, [{ ...chunk, heartbeatDetails: null }]), undefined);
  const other = new Client({
    dataConverter: { payloadCodecs: [new AesGcmPayloadCodec(randomBytes(32), 'k1')] },
  });
  assert.equal(await runningCopyChunk(other, 'wf', copy, [chunk]), undefined);
});
