/**
 * Workflow code changes must not break the workflows already running on a server: every history in
 * test/fixtures/histories/ (recorded from the code as it was on the day in its name: a table
 * workflow through every message — reconcileNow, pause, resume, configure, new key columns,
 * backfill, a dropped Realtime socket, stop —, a failing table that recovers and continues as new,
 * scheduled reconcile-only runs with their child, a verify run, a bucket's storage sync through its
 * first copy, deletes and moves, and a stop; a table workflow whose passes ended with their own
 * syncSequences activity) replays with today's code.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { FeedControlRegistry, feedControlSinks } from '../../src/temporal/feed-control.js';
import { workflowBundle } from '../support/sync.js';

// The SDK's own logs: warnings and errors only.
Runtime.install({ logger: new DefaultLogger('WARN') });

const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

test('histories recorded by earlier versions of the workflow code replay deterministically', async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 8, `histories in ${dir}`);
  const bundle = await workflowBundle();
  for (const file of files) {
    const history = historyFromJSON(JSON.parse(await readFile(`${dir}${file}`, 'utf8')) as unknown);
    // With the worker's sinks, as it runs: the feedControl sink is not called on replay.
    const sinks = feedControlSinks(new FeedControlRegistry());
    await Worker.runReplayHistory({ workflowBundle: bundle, sinks }, history, file);
  }
});
