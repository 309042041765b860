/** The table workflow's phases and the decisions about them: pure functions, no server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildStatus,
  initialState,
  phaseOf,
  planInitialCopy,
  realtimeEnabled,
  recordPrepared,
  stateName,
} from '../../src/workflows/decisions.js';
import type { SyncSettings, SyncState } from '../../src/workflows/types.js';

const NOW = Date.parse('2026-01-31T12:00:00Z');
const settings: SyncSettings = {
  intervalMs: 30_000,
  lookbackMs: 300_000,
  batchSize: 500,
  initialBackfillMs: null,
  realtime: true,
  loop: true,
  maxPassesPerRun: 500,
  searchAttributes: false,
};
const table = {
  schema: 'public',
  table: 'orders',
  qualifiedName: 'public.orders',
  primaryKeys: ['id'],
  incrementalFields: ['updated_at'],
  realtime: true,
  reconcile: true,
};
const fresh = (): SyncState => initialState(settings, NOW);
const prepared = { versionColumn: 'updated_at', sourceRows: 1200, maxVersion: '2026-01-31T11:59:00+00:00' };

describe('phases', () => {
  test('preparing, then copying, then running; paused and stopping win over them', () => {
    const state = fresh();
    assert.equal(phaseOf(state, false), 'preparing');
    const ready = recordPrepared(state, prepared);
    assert.equal(phaseOf(ready, false), 'copying');
    const copied = { ...ready, initialCopy: { ...ready.initialCopy, done: true } };
    assert.equal(phaseOf(copied, false), 'running');
    assert.equal(phaseOf({ ...copied, paused: true }, false), 'paused');
    assert.equal(phaseOf({ ...state, paused: true }, false), 'paused', 'paused before it was prepared');
    assert.equal(phaseOf({ ...copied, paused: true }, true), 'stopping');
  });

  test('the state a user reads is the phase, or failing while passes or prepare fail', () => {
    const ready = { ...recordPrepared(fresh(), prepared) };
    assert.equal(stateName(fresh(), false), 'starting');
    assert.equal(stateName(ready, false), 'copying');
    assert.equal(stateName({ ...ready, consecutiveFailures: 2 }, false), 'failing');
    const notPrepared = { ...fresh(), lastError: { at: NOW, where: 'prepare' as const, message: 'x' } };
    assert.equal(stateName(notPrepared, false), 'failing');
    assert.equal(stateName({ ...notPrepared, paused: true }, false), 'paused');
    assert.equal(stateName({ ...ready, consecutiveFailures: 2 }, true), 'stopped');
  });
});

describe('preparing', () => {
  test('records the version column and the row count, and clears a prepare error and the failure streak', () => {
    const failing = {
      ...fresh(),
      consecutiveFailures: 3,
      lastError: { at: NOW, where: 'prepare' as const, message: 'table does not exist' },
    };
    const state = recordPrepared(failing, prepared);
    assert.equal(state.prepared, true);
    assert.equal(state.versionColumn, 'updated_at');
    assert.equal(state.initialCopy.total, 1200);
    assert.equal(state.consecutiveFailures, 0);
    assert.equal(state.lastError, null);
  });

  test('a whole-table copy resumes reconciliation from the newest version that existed when it began', () => {
    const state = recordPrepared(fresh(), prepared);
    assert.equal(state.initialCopy.from, prepared.maxVersion);
    // Prepared again later (new key columns, a worker restart): the copy's start stays as it was.
    const again = recordPrepared(state, {
      ...prepared,
      sourceRows: 5000,
      maxVersion: '2026-02-01T00:00:00+00:00',
    });
    assert.equal(again.initialCopy.from, prepared.maxVersion);
    assert.equal(again.initialCopy.total, 1200, 'the count of the copy in progress');
  });

  test('a windowed copy keeps its window start; another error than prepare is kept', () => {
    const windowed = { ...fresh(), initialCopy: planInitialCopy({ initialBackfillMs: 86_400_000 }, NOW) };
    const withRealtimeError = {
      ...windowed,
      lastError: { at: NOW, where: 'realtime' as const, message: 'channel error' },
    };
    const state = recordPrepared(withRealtimeError, prepared);
    assert.equal(state.initialCopy.from, windowed.initialCopy.from);
    assert.equal(state.lastError?.where, 'realtime');
  });

  test('a table without a version column is prepared too (every pass reads it whole)', () => {
    const state = recordPrepared(fresh(), { versionColumn: null, sourceRows: 3, maxVersion: null });
    assert.equal(state.versionColumn, null);
    assert.equal(state.prepared, true);
  });
});

describe('realtime enabled', () => {
  test('on for the table and the worker, in a workflow that keeps running', () => {
    assert.equal(realtimeEnabled(table, settings), true);
    assert.equal(realtimeEnabled({ realtime: false }, settings), false);
    assert.equal(realtimeEnabled(table, { ...settings, realtime: false }), false);
    assert.equal(realtimeEnabled(table, { ...settings, loop: false }), false, 'a one-pass run has no feed');
  });

  test('status says the same as the workflow does', () => {
    const state = fresh();
    assert.equal(buildStatus(table, settings, state, false, NOW).realtime.enabled, true);
    assert.equal(buildStatus(table, { ...settings, loop: false }, state, false, NOW).realtime.enabled, false);
  });
});
