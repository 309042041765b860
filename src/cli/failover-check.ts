/**
 * `supabase-sync failover check [--json]`: is the backup ready to be promoted? Per table and
 * overall: state, lag, last pass and its age, deletion ledger drained, sequences ahead, schema
 * equal, auth users equal (with `"auth": true`), the last verify and its age. Exit 0 ready, 1 not
 * ready (the reasons on stderr). Needs no worker: the statuses are read as `status` reads them.
 */
import type { Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import { connectSource } from '../supabase/source.js';
import { connectTarget } from '../supabase/target.js';
import { ago } from './common.js';
import { mergeCauses } from './failover-causes.js';
import { gatherFacts, type Gathered, type Projects } from './failover-gather.js';
import {
  DEFAULT_LIMITS,
  judge,
  type Limits,
  type Readiness,
  type TableReadiness,
} from './failover-readiness.js';

export function projectsOf(cfg: SyncConfig): Projects {
  return { source: connectSource(cfg.source), target: connectTarget(cfg.target) };
}

export async function checkReadiness(
  c: Client,
  cfg: SyncConfig,
  limits: Limits = DEFAULT_LIMITS,
  projects: Projects = projectsOf(cfg),
): Promise<Readiness> {
  return (await readinessAndFacts(c, cfg, limits, projects)).readiness;
}

/** The verdict and the facts it judged (the dashboard shows both). */
export async function readinessAndFacts(
  c: Client,
  cfg: SyncConfig,
  limits: Limits = DEFAULT_LIMITS,
  projects: Projects = projectsOf(cfg),
): Promise<{ readiness: Readiness; gathered: Gathered }> {
  const gathered = await gatherFacts(c, cfg, projects);
  // One reason per root cause: a project out of reach is one line, not one per check.
  return {
    readiness: mergeCauses(judge(gathered.facts, gathered, limits), gathered.lastErrors, limits),
    gathered,
  };
}

function cells(t: TableReadiness, now: number): string[] {
  const pass = t.lastPass ? `${ago(t.lastPass.finishedAt, now)}${t.lastPass.ok ? '' : ' FAILED'}` : 'none';
  const ledger =
    t.errors.length > 0 && t.sequences === null
      ? '?'
      : t.oldestPendingDeletion === null
        ? 'drained'
        : 'pending';
  const sequences =
    t.sequences === null
      ? '?'
      : t.sequences.behind.length > 0
        ? `${t.sequences.behind.length} behind`
        : t.sequences.checked === 0
          ? 'none'
          : `${t.sequences.checked} ok`;
  const schema = t.schema === null ? '?' : t.schema.length === 0 ? 'equal' : `${t.schema.length} diff`;
  const verify =
    t.verify === null ? 'never' : `${t.verify.equal ? 'equal' : 'DIFFERENT'} ${ago(t.verify.at, now)}`;
  const lag = t.lagSeconds === null ? '?' : `${t.lagSeconds.toFixed(1)}s`;
  return [t.table, t.state, lag, pass, ledger, sequences, schema, verify, t.ready ? 'yes' : 'NO'];
}

/** The readable table, then the overall line (reasons and notes follow, one a line). */
export function renderReadiness(r: Readiness, now = Date.now()): string {
  const header = ['TABLE', 'STATE', 'LAG', 'LAST PASS', 'LEDGER', 'SEQUENCES', 'SCHEMA', 'VERIFY', 'READY'];
  const rows = [header, ...r.tables.map((t) => cells(t, now))];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  lines.push('', r.ready ? 'overall: READY' : `overall: NOT READY (${r.reasons.length} reason(s))`);
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  for (const note of r.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}
