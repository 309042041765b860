/**
 * One reason per root cause (src/cli/failover-causes.ts, pure): the reasons an unreachable project
 * causes — as the adapters word them (api-errors.ts) — become one short line naming the project,
 * the cause and how much it affected; a table failing for that cause has its state and pass folded
 * in; other reasons are kept; the one-line summary stays short and never cuts a reason it lists.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_LINE, mergeCauses, summarize } from '../../src/cli/failover-causes.js';
import { DEFAULT_LIMITS, judge, type TableFacts } from '../../src/cli/failover-readiness.js';
import { apiError, unreachableIn } from '../../src/supabase/api-errors.js';

const now = Date.parse('2026-12-02T12:00:00Z');
const source = { role: 'source' as const, url: 'http://127.0.0.1:54321', serviceRoleKey: 'sekret-key' };

/** What supabase-js reports when nothing listens on the project's port. */
function refused(what: string): string {
  return apiError(source, {
    what,
    status: 0,
    error: {
      message: 'TypeError: fetch failed',
      details:
        'TypeError: fetch failed\n\nCaused by: Error: connect ECONNREFUSED 127.0.0.1:54321 (ECONNREFUSED)\nError: connect ECONNREFUSED 127.0.0.1:54321\n    at TCPConnectWrap.afterConnect (node:net:1611:16)',
      hint: '',
      code: '',
    },
  }).message;
}

function facts(table: string, over: Partial<TableFacts> = {}): TableFacts {
  return {
    table,
    state: 'running',
    lagSeconds: 1,
    lastPass: { finishedAt: now - 2000, ok: true },
    lastSuccessAt: now - 3000,
    oldestPendingDeletion: null,
    sequences: { checked: 1, behind: [] },
    schema: [],
    verify: { at: now - 60_000, equal: true },
    errors: [],
    ...over,
  };
}

void test('the project and its cause are read back from the adapters’ messages, without the key', () => {
  const message = refused('reading the deletion ledger');
  assert.ok(message.length > 250, 'the message a single call fails with is long');
  assert.deepEqual(unreachableIn(`public.orders: the source: ${message}`), {
    role: 'source',
    url: 'http://127.0.0.1:54321',
    cause: 'connection refused',
  });
  const failing = apiError(source, { what: 'reading rows', status: 503, error: { message: 'down' } });
  assert.equal(unreachableIn(failing.message)?.cause, 'HTTP 503');
  assert.equal(unreachableIn('public.orders: schema: column note is on the target only'), undefined);
});

void test('an unreachable source: one line for every check it failed and every table it failed', () => {
  const tables = ['public.orders', 'public.items', 'auth.users'];
  const down = (t: string) =>
    facts(t, {
      state: 'failing',
      lastPass: { finishedAt: now - 1000, ok: false },
      sequences: null,
      schema: null,
      oldestPendingDeletion: undefined,
      errors: [
        `the source: ${refused('reading the deletion ledger')}`,
        `the sequences: ${refused(`reading the sequences of ${t}`)}`,
        `the schema: ${refused(`reading the catalog of ${t}`)}`,
      ],
    });
  const judged = judge(
    [
      ...tables.map(down),
      facts('public.fine', { schema: ['column note is on the target but not on the source'] }),
    ],
    {
      reasons: [
        `the named sequences: ${refused('reading the sequences public.invoice_no')}`,
        `comparing auth.users: ${refused('checksumming key ranges')}`,
      ],
      notes: [],
    },
    DEFAULT_LIMITS,
    now,
  );
  assert.equal(judged.reasons.length, 3 * 5 + 2 + 1, 'before: a long reason for each');
  const lastErrors = new Map(tables.map((t) => [t, refused('reading rows')]));
  const merged = mergeCauses(judged, lastErrors, DEFAULT_LIMITS, now);
  assert.deepEqual(merged.reasons, [
    'the source project (http://127.0.0.1:54321) is unreachable (connection refused): 11 checks could not run on 3 tables; 3 tables failing',
    'public.fine: schema: column note is on the target but not on the source',
  ]);
  assert.equal(merged.ready, false);
  assert.deepEqual(merged.tables[0]!.reasons, [
    'the source project is unreachable (connection refused)',
    'state is failing, not running',
    'the last pass failed',
  ]);
  for (const line of merged.reasons) {
    assert.ok(line.length <= MAX_LINE, line);
    assert.doesNotMatch(line, /sekret|\b(public|auth)\.(?![a-z_])/);
  }
});

void test('a table failing for another reason keeps its own reasons', () => {
  const judged = judge(
    [facts('public.orders', { state: 'failing', lastPass: { finishedAt: now - 1000, ok: false } })],
    { reasons: [], notes: [] },
    DEFAULT_LIMITS,
    now,
  );
  const merged = mergeCauses(
    judged,
    new Map([['public.orders', 'a value does not fit']]),
    DEFAULT_LIMITS,
    now,
  );
  assert.deepEqual(merged.reasons, [
    'public.orders: state is failing, not running',
    'public.orders: the last pass failed',
  ]);
});

void test('checks with no answer in time are one line too', () => {
  const judged = judge(
    ['public.a', 'public.b'].map((t) =>
      facts(t, {
        schema: null,
        errors: ['the schema: no answer within 10 s', 'the source: no answer within 10 s'],
      }),
    ),
    { reasons: [], notes: [] },
    DEFAULT_LIMITS,
    now,
  );
  assert.deepEqual(mergeCauses(judged, new Map(), DEFAULT_LIMITS, now).reasons, [
    '4 checks on 2 tables got no answer within 10 s (a project is slow or hanging)',
  ]);
});

void test('the summary line: whole reasons that fit, how many more; a reason alone too long is cut at a word', () => {
  assert.equal(summarize(['a b', 'c d'], 100), 'a b; c d');
  assert.equal(summarize(['first reason', 'second reason', 'third'], 40), 'first reason; and 2 more (above)');
  const long = `the source project (http://127.0.0.1:54321) is unreachable (connection refused): ${'x '.repeat(60)}`;
  const cut = summarize([long, 'other'], 120);
  assert.ok(cut.length <= 120, cut);
  assert.match(
    cut,
    /^the source project \(http:\/\/127\.0\.0\.1:54321\) is unreachable .*…; and 1 more \(above\)$/,
  );
});
