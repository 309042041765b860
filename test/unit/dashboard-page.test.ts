/**
 * The dashboard page's pieces without a server: masking and escaping, the lag ring's bounds, the
 * chart, a table's row while it is copied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lagChart } from '../../src/cli/dashboard-chart.js';
import { redact, text } from '../../src/cli/dashboard-escape.js';
import { tableRows } from '../../src/cli/dashboard-rows.js';
import { statusLines } from '../../src/cli/status.js';
import { copyProgressOf } from '../../src/core/copy-progress.js';
import { emptyCounters } from '../../src/workflows/decisions.js';
import { LagHistory } from '../../src/temporal/lag-history.js';

void test('every value is escaped, and keys, hashes and row values in messages are masked', () => {
  assert.equal(
    text('<script>"x" & \'y\'</script>'),
    '&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;',
  );
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlX2hlcmU';
  assert.equal(redact(`invalid key ${jwt}`), 'invalid key ***');
  assert.equal(redact('key sb_secret_abcDEF123'), 'key ***');
  const bcrypt = `$2a$10$${'a'.repeat(53)}`;
  assert.equal(redact(`hash ${bcrypt} differs`), 'hash *** differs');
  assert.equal(
    redact(
      'duplicate key value violates unique constraint "m_email_key": Key (email)=(ann@example.com) already exists',
    ),
    'duplicate key value violates unique constraint "m_email_key": Key (email)=(…) already exists',
  );
  assert.equal(text(null), '');
});

void test('the lag ring keeps an hour at one point per slot, the highest lag of each', () => {
  const h = new LagHistory(20_000, 180);
  const start = 1_000_000_000_000;
  h.record('public.t', 1, start);
  h.record('public.t', 3, start + 5_000);
  h.record('public.t', 2, start + 10_000);
  assert.deepEqual(h.points('public.t', start + 10_000), [{ at: start - (start % 20_000), seconds: 3 }]);
  for (let i = 0; i < 400; i++) h.record('public.t', i, start + i * 20_000);
  const points = h.points('public.t', start + 399 * 20_000);
  assert.ok(points.length <= 180, String(points.length));
  assert.equal(points.at(-1)!.seconds, 399);
  h.record('public.t', null);
  h.record('public.t', Number.NaN);
  assert.deepEqual(h.points('public.u'), []);
});

void test('the chart: nothing recorded says so; points are drawn in an SVG', () => {
  assert.match(lagChart([], Date.now(), 'x'), /no lag recorded/);
  const now = Date.now();
  const svg = lagChart(
    [
      { at: now - 60_000, seconds: 0.5 },
      { at: now - 20_000, seconds: 2 },
    ],
    now,
    'lag of "t"',
  );
  assert.match(svg, /<svg class="lag-chart" data-points="2"/);
  assert.match(svg, /<polyline points="[\d., ]+"/);
  assert.match(svg, /aria-label="lag of &quot;t&quot;"/);
});

void test('a table being copied: its row shows the copy line status shows', () => {
  const now = Date.now();
  const initialCopy = {
    done: false,
    mode: 'full' as const,
    from: null,
    keyCursor: null,
    versionCursor: null,
    rowsCopied: 420_000,
    total: 1_000_000,
    totalExact: false,
    startedAt: now - 30_000,
    finishedAt: null,
    activeMs: 23_000,
    timedRows: 420_000,
    lastChunkAt: now,
  };
  const status = {
    table: 'public.orders',
    state: 'copying' as const,
    versionColumn: 'updated_at',
    reconcileCursor: null,
    ledgerPosition: 0,
    initialCopy,
    realtime: {
      connected: true,
      watermark: null,
      lastLagMs: null,
      subscriptions: 1,
      lastProgressAt: null,
      enabled: true,
    },
    counters: emptyCounters(),
    lastPass: null,
    lastSuccessAt: null,
    lastError: null,
    lagSeconds: null,
    passes: 0,
    runs: 1,
    schemaDrift: [],
    copyProgress: copyProgressOf(initialCopy, now),
  };
  const facts = {
    table: 'public.orders',
    state: 'copying',
    lagSeconds: null,
    lastPass: null,
    lastSuccessAt: null,
    oldestPendingDeletion: null,
    sequences: null,
    schema: null,
    verify: null,
    errors: [],
  };
  const view = {
    at: now,
    readiness: {
      ready: false,
      tables: [{ ...facts, ready: false, reasons: ['copying'], notes: [] }],
      reasons: [],
      notes: [],
    },
    statuses: [status],
    storage: [],
    noWorker: null,
    history: new Map(),
  };
  const html = tableRows(view, { ui: 'http://ui', namespace: 'default' }, () => true, 'tables');
  const line = 'copying 420,000 of ~1,000,000 rows · 18,261 rows/s · about 32 s left';
  assert.equal(statusLines(status, now).split('\n')[0], `public.orders: ${line}`);
  assert.match(html, new RegExp(`<td class="rows">0 written, 0 deleted \\(${line}\\)</td>`));
});
