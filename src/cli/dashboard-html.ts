/**
 * The dashboard page: the verdict of `failover check` on top (READY, or NOT READY with its
 * reasons), the tables (slowest first), auth users, buckets and the last verify (dashboard-rows.ts).
 * Plain HTML and CSS that reloads itself (`<meta http-equiv="refresh">`): no script, no build step.
 */
import { clock } from './common.js';
import type { DashboardView } from './dashboard-data.js';
import { text } from './dashboard-escape.js';
import { bucketRows, tableRows, type Links } from './dashboard-rows.js';

export interface PageOptions extends Links {
  refreshSeconds: number;
  /** `source → target` URLs (never a key). */
  projects: string;
  /** Auth users synced (`"auth": true`): they get their own section. */
  auth: boolean;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328;background:#fff}
h1{margin:0;font-size:2rem}h2{margin:1.5rem 0 .5rem;font-size:1.1rem}
#verdict{padding:1rem 1.25rem;border-radius:8px;margin-bottom:1rem}
#verdict.ready{background:#dafbe1;border:1px solid #1a7f37}#verdict.not-ready{background:#ffebe9;border:1px solid #cf222e}
#verdict ul{margin:.5rem 0 0;padding-left:1.25rem}.notes{color:#57606a}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #d0d7de}
th{background:#f6f8fa;font-weight:600}td ul{margin:.25rem 0 0;padding-left:1rem;font-size:12px}
.yes{color:#1a7f37;font-weight:600}.no{color:#cf222e;font-weight:600}.problem{max-width:22rem;color:#9a6700}
.meta{color:#57606a}.lag-chart polyline{stroke:#0969da}.lag-chart circle{fill:#0969da}
.lag-chart .axis{stroke:#d0d7de}.lag-chart text{font-size:9px;fill:#57606a}.no-history{color:#57606a;font-size:12px}
`;

function verdict(view: DashboardView): string {
  if ('error' in view)
    return `<section id="verdict" class="not-ready"><h1>NOT READY</h1><ul id="reasons"><li>could not check: ${text(view.error)}</li></ul></section>`;
  const r = view.readiness;
  const reasons = r.reasons.map((x) => `<li>${text(x)}</li>`).join('');
  const notes = r.notes.map((x) => `<li>${text(x)}</li>`).join('');
  return [
    `<section id="verdict" class="${r.ready ? 'ready' : 'not-ready'}">`,
    `<h1>${r.ready ? 'READY' : 'NOT READY'}</h1>`,
    r.ready ? '<p>the backup can be promoted now (supabase-sync failover promote)</p>' : '',
    reasons ? `<ul id="reasons">${reasons}</ul>` : '',
    notes ? `<ul class="notes">${notes}</ul>` : '',
    `</section>`,
  ].join('');
}

function lastVerify(view: DashboardView): string {
  if ('error' in view) return '';
  const verified = view.readiness.tables.filter((t) => t.verify !== null);
  if (verified.length === 0)
    return '<p id="last-verify">never verified: run <code>supabase-sync verify</code></p>';
  const newest = Math.max(...verified.map((t) => t.verify!.at));
  const different = verified.filter((t) => !t.verify!.equal).map((t) => t.table);
  const result =
    different.length === 0
      ? `every table it compared equal`
      : `DIFFERENT: ${different.join(', ')} (supabase-sync verify --repair)`;
  const never = view.readiness.tables.length - verified.length;
  return `<p id="last-verify">last verify at ${text(clock(newest))}: ${text(result)}${never > 0 ? text(`; ${never} table(s) never verified`) : ''}</p>`;
}

function sections(view: DashboardView, options: PageOptions): string {
  if ('error' in view) return '';
  const auth = (table: string) => table.startsWith('auth.');
  const history = [...view.history.values()].some((p) => p.length > 0)
    ? ''
    : '<p class="meta" id="no-history">No lag history yet: a worker serving this page (SYNC_DASHBOARD_ADDRESS) keeps the last hour of each feed\'s lag in memory; this page adds the lag it reads at each refresh.</p>';
  return [
    view.noWorker ? `<p class="meta" id="no-worker">${text(view.noWorker)}</p>` : '',
    '<h2>Tables</h2>',
    history,
    tableRows(view, options, (t) => !auth(t), 'tables') || '<p>no tables configured</p>',
    options.auth ? `<h2>Auth users</h2>${tableRows(view, options, auth, 'auth')}` : '',
    bucketRows(view, options),
    '<h2>Last verify</h2>',
    lastVerify(view),
  ].join('');
}

export function renderPage(view: DashboardView, options: PageOptions): string {
  const title = 'error' in view ? 'NOT READY' : view.readiness.ready ? 'READY' : 'NOT READY';
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="refresh" content="${options.refreshSeconds}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>supabase-sync: ${title}</title><style>${STYLE}</style></head><body>`,
    verdict(view),
    `<p class="meta">${text(options.projects)} · checked at ${text(clock(view.at))} · refreshes every ${options.refreshSeconds} s</p>`,
    sections(view, options),
    '</body></html>',
  ].join('\n');
}
