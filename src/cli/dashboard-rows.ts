/**
 * The dashboard's rows: one per table (state, lag, last pass and its age, rows written, drift or
 * error in one line, readiness, last verify, lag chart, link to its workflow in the Temporal UI),
 * slowest first; one per bucket. Every value through `text()` (dashboard-escape.ts).
 */
import type { StorageEntry } from './storage-status.js';
import { ago, clock } from './common.js';
import { lagChart, seconds } from './dashboard-chart.js';
import type { DashboardSnapshot } from './dashboard-data.js';
import { text } from './dashboard-escape.js';
import type { TableReadiness } from './failover-readiness.js';
import type { StatusEntry } from './recorded.js';
import { copyProgress } from './status.js';

export interface Links {
  /** The Temporal UI's address, without a trailing slash. */
  ui: string;
  namespace: string;
}

function workflowLink(links: Links, workflowId: string, label: string): string {
  const href = `${links.ui}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return `<a href="${text(href)}" target="_blank" rel="noopener">${text(label)}</a>`;
}

function when(ms: number | null, now: number): string {
  return ms === null
    ? 'never'
    : `<time datetime="${text(new Date(ms).toISOString())}">${text(clock(ms))}</time> (${text(ago(ms, now))})`;
}

/** The one line of what is wrong: the last error, else the first schema drift; empty when nothing is. */
function problem(s: StatusEntry, t: TableReadiness): string {
  if ('counters' in s) {
    if (s.lastError) return `${s.lastError.where}: ${s.lastError.message}`;
    const drift = s.schemaDrift?.[0];
    if (drift)
      return `schema drift: ${drift.message}${s.schemaDrift.length > 1 ? ` (+${s.schemaDrift.length - 1})` : ''}`;
    return '';
  }
  return t.errors[0] ?? ('recordedAt' in s ? 'no details without a worker' : '');
}

function tableRow(t: TableReadiness, s: StatusEntry, view: DashboardSnapshot, links: Links): string {
  const now = view.at;
  const detailed = 'counters' in s ? s : null;
  const pass = detailed?.lastPass
    ? `${text(detailed.lastPass.kind)} ${detailed.lastPass.ok ? 'ok' : '<b>FAILED</b>'} ${when(detailed.lastPass.finishedAt, now)}`
    : 'none yet';
  // While the first copy runs, its progress as `status` shows it (status.ts copyProgress).
  const rows = detailed
    ? `${detailed.counters.realtimeWritten + detailed.counters.reconcileWritten} written, ${detailed.counters.realtimeDeleted + detailed.counters.ledgerDeleted} deleted${detailed.initialCopy.done ? '' : ` (${copyProgress(detailed, now).line})`}`
    : '?';
  const recorded =
    detailed && 'recordedAt' in detailed && typeof detailed.recordedAt === 'number'
      ? ` <small>(as recorded ${text(ago(detailed.recordedAt, now))})</small>`
      : '';
  const ready = t.ready
    ? '<span class="yes">ready</span>'
    : `<span class="no">NOT READY</span><ul>${t.reasons.map((r) => `<li>${text(r)}</li>`).join('')}</ul>`;
  const verify =
    t.verify === null
      ? 'never'
      : `${t.verify.equal ? 'equal' : '<b>DIFFERENT</b>'} ${when(t.verify.at, now)}`;
  return [
    `<tr data-table="${text(t.table)}" class="${t.ready ? 'ready' : 'not-ready'}">`,
    `<td class="name">${workflowLink(links, `table-sync:${t.table}`, t.table)}</td>`,
    `<td class="state">${text(s.state)}${recorded}</td>`,
    `<td class="lag">${t.lagSeconds === null ? 'unknown' : text(seconds(t.lagSeconds))}</td>`,
    `<td class="pass">${pass}</td>`,
    `<td class="rows">${text(rows)}</td>`,
    `<td class="problem">${text(problem(s, t))}</td>`,
    `<td class="readiness">${ready}</td>`,
    `<td class="verify">${verify}</td>`,
    `<td class="chart">${lagChart(view.history.get(t.table) ?? [], now, `lag of ${t.table} over the last hour`)}</td>`,
    `</tr>`,
  ].join('');
}

const TABLE_HEAD =
  '<tr><th>Table</th><th>State</th><th>Lag</th><th>Last pass</th><th>Rows</th><th>Drift or error</th><th>Readiness</th><th>Last verify</th><th>Lag, last hour</th></tr>';

/** The tables whose names `pick` accepts, slowest first (an unknown lag first of all). */
export function tableRows(
  view: DashboardSnapshot,
  links: Links,
  pick: (table: string) => boolean,
  id: string,
): string {
  const pairs = view.readiness.tables
    .map((t, i) => ({ t, s: view.statuses[i] ?? { table: t.table, state: 'not started' as const } }))
    .filter(({ t }) => pick(t.table))
    .sort((a, b) => (b.t.lagSeconds ?? Infinity) - (a.t.lagSeconds ?? Infinity));
  if (pairs.length === 0) return '';
  return `<table id="${id}"><thead>${TABLE_HEAD}</thead><tbody>${pairs
    .map(({ t, s }) => tableRow(t, s, view, links))
    .join('')}</tbody></table>`;
}

function bucketRow(b: StorageEntry, now: number, links: Links): string {
  const name = b.workflowId ? workflowLink(links, b.workflowId, b.bucket) : text(b.bucket);
  if (!('counters' in b))
    return `<tr data-bucket="${text(b.bucket)}"><td class="name">${name}</td><td class="state">${text(b.state)}</td><td></td><td></td><td class="problem">${text(b.note ?? '')}</td><td class="readiness">not judged by failover check</td></tr>`;
  const p = b.lastPass;
  const pass = p ? `${p.ok ? 'ok' : '<b>FAILED</b>'} ${when(p.finishedAt, now)}` : 'none yet';
  const error = b.lastError
    ? b.lastError.message
    : b.refusedCount > 0
      ? `${b.refusedCount} object(s) not copied`
      : '';
  return [
    `<tr data-bucket="${text(b.bucket)}">`,
    `<td class="name">${name}</td>`,
    `<td class="state">${text(b.state)}</td>`,
    `<td class="pass">${pass}</td>`,
    `<td class="rows">${text(`${b.counters.objectsCopied} copied, ${b.counters.objectsDeleted} removed`)}</td>`,
    `<td class="problem">${text(error)}</td>`,
    `<td class="readiness">not judged by failover check</td>`,
    `</tr>`,
  ].join('');
}

export function bucketRows(view: DashboardSnapshot, links: Links): string {
  if (view.storage.length === 0) return '';
  return `<h2>Buckets</h2><table id="buckets"><thead><tr><th>Bucket</th><th>State</th><th>Last pass</th><th>Objects</th><th>Error</th><th>Readiness</th></tr></thead><tbody>${view.storage
    .map((b) => bucketRow(b, view.at, links))
    .join('')}</tbody></table>`;
}
