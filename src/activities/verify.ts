/**
 * `verifyTable`: proves the target holds exactly the source's rows of one table without moving the
 * table: the ranges that differ are found by TableVerifier (verify-ranges.ts). With `repair`,
 * missing and different rows are re-read from the source and written through `sync_apply_upserts`,
 * extra rows deleted through `sync_apply_deletes`, and the differing ranges compared again. Row
 * data stays inside this activity: its result holds counts and a few keys.
 */
import { heartbeat } from '@temporalio/activity';
import type { DriftNote } from '../contracts/activities.js';
import type { TableConfig } from '../contracts/config.js';
import { SyncError, type KeyTextValues } from '../contracts/ports.js';
import type { RangeChecksums } from '../contracts/range-checksums.js';
import { keyRow } from '../core/keys.js';
import { diffTableSchemas } from '../core/schema-diff.js';
import { pickVersionColumn } from '../core/table-schema.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import { TableVerifier, type DifferenceCounts, type Leaf, type Side } from './verify-ranges.js';
import { driftNotes } from './schema-check.js';
import { sequencesBehind, type SequenceBehind } from './sequences.js';
import { deleteKeysGoneFromSource, writeRows } from './writes.js';

export type DifferenceKind = 'missing' | 'extra' | 'different';

export interface VerifyTableInput {
  /** Its incrementalFields find the version column, for the version guard on repair. */
  table: TableConfig;
  repair: boolean;
  /** How many differing keys the result may carry (default 20). */
  sampleSize?: number;
  /** Buckets per split at most (default 1024) and the range size listed key by key (default 2000 rows). */
  buckets?: number;
  leafRows?: number;
}
export interface VerifyTableResult extends DifferenceCounts {
  table: string;
  sourceRows: number;
  targetRows: number;
  /** At most `sampleSize` differing keys (primary-key values as text, in key order). */
  sample: Array<{ kind: DifferenceKind; key: KeyTextValues }>;
  /** Present with `repair` when there was something to repair. */
  repair?: {
    written: number;
    deleted: number;
    /** Rows the target refused (a recent tombstone) or that changed on the source meanwhile. */
    skipped: number;
    /** The differing ranges compared again after the repair. */
    remaining: DifferenceCounts;
  };
  /** How the target's table differs from the source's (compared before the rows). */
  schema: DriftNote[];
  /**
   * The sequences behind the table's columns whose target position is behind the source's (next
   * values as decimal text; target null: missing there). With `repair`, they are moved forward and
   * `repaired` says so. Absent: not checked (a worker before sequences).
   */
  sequences?: { checked: number; behind: SequenceBehind[]; repaired?: boolean };
  /** False when the columns differ (every row would): the rows were not compared. */
  rowsCompared: boolean;
  /** True when the target equals the source (after the repair, with `repair`). */
  equal: boolean;
  /** Database calls made (each one RPC to one project). */
  calls: number;
  durationMs: number;
}

const DEFAULT_BUCKETS = 1024;
const DEFAULT_LEAF_ROWS = 2000;
const REPAIR_BATCH = 500;

function checked(project: RangeChecksums, role: string): Side {
  if (!project.summarizeRange || !project.hashRanges || !project.listRange) {
    throw new SyncError(`the ${role} project does not support verify (no range checksums)`, 'config');
  }
  return project as Side;
}

/** The schema differences of the table (a table missing on either side cannot be verified). */
async function compareSchemas(
  deps: ActivityDeps,
  ref: TableConfig,
): Promise<{ notes: DriftNote[]; columnsDiffer: boolean }> {
  const [source, target] = await Promise.all([deps.source.readSchema(ref), deps.target.readSchema(ref)]);
  if (!source.exists) throw new SyncError(`${ref.qualifiedName} does not exist on the source`, 'schema');
  const differences = diffTableSchemas(source, target);
  if (!target.exists) throw new SyncError(differences[0]!.message, 'schema');
  return {
    notes: driftNotes(differences),
    columnsDiffer: differences.some((d) => d.kind === 'column-missing' || d.kind === 'column-extra'),
  };
}

/** The result when the columns differ: every row would, so they are not compared. */
async function columnsDiffer(
  deps: ActivityDeps,
  ref: TableConfig,
  notes: DriftNote[],
  started: number,
): Promise<VerifyTableResult> {
  const sourceRows = await deps.source.countRows(ref);
  deps.logger.warn(
    { table: ref.qualifiedName },
    `verify: ${ref.qualifiedName}: the columns differ; rows not compared`,
  );
  return {
    table: ref.qualifiedName,
    sourceRows,
    targetRows: 0,
    missing: 0,
    extra: 0,
    different: 0,
    sample: [],
    schema: notes,
    rowsCompared: false,
    equal: false,
    calls: 3,
    durationMs: Date.now() - started,
  };
}

/** What the verifier found: counts and the first `sampleSize` differing keys. */
function compared(
  v: TableVerifier,
  ref: TableConfig,
  notes: DriftNote[],
  sampleSize: number,
): VerifyTableResult {
  const sample: VerifyTableResult['sample'] = [];
  for (const leaf of v.leaves) {
    for (const kind of ['missing', 'extra', 'different'] as const) {
      for (const key of leaf[kind]) if (sample.length < sampleSize) sample.push({ kind, key });
    }
  }
  return {
    table: ref.qualifiedName,
    sourceRows: v.sourceRows,
    targetRows: v.targetRows,
    ...v.counts(),
    sample,
    schema: notes,
    rowsCompared: true,
    equal: v.leaves.length === 0 && notes.length === 0,
    calls: 0,
    durationMs: 0,
  };
}

/** Repairs the differing ranges and compares them again; the result says what remains. */
async function repaired(deps: ActivityDeps, ref: TableConfig, v: TableVerifier, result: VerifyTableResult) {
  const found = v.counts();
  heartbeat({ calls: v.calls, ...found, repairing: true });
  const repair = await repairLeaves(deps, ref, v.leaves);
  const remaining = v.counts(await v.compareAgain(v.leaves));
  result.repair = { ...repair, remaining };
  result.equal =
    remaining.missing + remaining.extra + remaining.different === 0 && result.schema.length === 0;
  // Rows on the target after the repair: what was there, plus written missing, minus deleted.
  result.targetRows = v.targetRows + (found.missing - remaining.missing) - (found.extra - remaining.extra);
}

/** The table's sequences behind on the target: moved forward with `repair`, else the table is not equal. */
async function checkSequences(
  deps: ActivityDeps,
  ref: TableConfig,
  result: VerifyTableResult,
  repair: boolean,
) {
  result.sequences = await sequencesBehind(deps, ref, []);
  if (result.sequences.behind.length === 0) return;
  if (repair) {
    await deps.target.advanceSequences(await deps.source.readSequences(ref, []), 0);
    result.sequences.repaired = true;
  } else {
    result.equal = false;
  }
}

async function verify(
  deps: ActivityDeps,
  input: VerifyTableInput,
  started: number,
  made: (v: TableVerifier) => void,
): Promise<VerifyTableResult> {
  const ref = input.table;
  // The checksums are computed in SQL on each side: through the databases when their URLs are
  // given (no API request's 60 s cap, no HTTP per range), else through the Data API.
  const source = checked(deps.direct?.source ?? deps.source, 'source');
  const target = checked(deps.direct?.target ?? deps.target, 'target');
  const schema = await compareSchemas(deps, ref);
  if (schema.columnsDiffer) return columnsDiffer(deps, ref, schema.notes, started);
  const buckets = input.buckets ?? DEFAULT_BUCKETS;
  const v = new TableVerifier(ref, source, target, buckets, input.leafRows ?? DEFAULT_LEAF_ROWS);
  made(v);
  await v.run();
  const found = v.counts();
  const result = compared(v, ref, schema.notes, input.sampleSize ?? 20);
  if (input.repair && v.leaves.length > 0) await repaired(deps, ref, v, result);
  await checkSequences(deps, ref, result, input.repair);
  result.calls = v.calls + 2;
  result.durationMs = Date.now() - started;
  deps.logger.info(
    {
      table: ref.qualifiedName,
      sourceRows: result.sourceRows,
      ...found,
      repair: result.repair,
      sequencesBehind: result.sequences?.behind.length ?? 0,
      calls: result.calls,
      durationMs: result.durationMs,
    },
    'verify: table compared',
  );
  return result;
}

export function createVerifyActivities(deps: ActivityDeps) {
  return {
    async verifyTable(input: VerifyTableInput): Promise<VerifyTableResult> {
      const started = Date.now();
      let verifier: TableVerifier | undefined;
      return failClearly(() =>
        keepBeating(
          () => ({ calls: verifier?.calls ?? 0, ...verifier?.counts() }),
          () => verify(deps, input, started, (v) => (verifier = v)),
        ),
      );
    },
  };
}

/**
 * Missing rows: re-read from the source and upserted with the version guard (nothing to guard
 * against on the target; a recent tombstone still holds them off). Different rows: re-read from
 * the source and upserted WITHOUT a version column, so `sync_apply_upserts` writes them whenever
 * they differ — the source is the truth, even when the target's copy carries a newer-looking
 * version (written on the target by hand, or by a clock ahead). Extra rows: deleted, unless they
 * exist on the source by now (then they are not extra any more and are left to the sync).
 */
async function repairLeaves(
  deps: ActivityDeps,
  ref: TableConfig,
  leaves: Leaf[],
): Promise<{ written: number; deleted: number; skipped: number }> {
  const source = await deps.source.readSchema(ref);
  const versionColumn = source.exists ? pickVersionColumn(source, ref.incrementalFields) : null;
  const totals = { written: 0, deleted: 0, skipped: 0 };
  const batches = <T>(items: T[]): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += REPAIR_BATCH) out.push(items.slice(i, i + REPAIR_BATCH));
    return out;
  };
  const upsert = async (keys: KeyTextValues[], guard: string | null) => {
    for (const batch of batches(keys)) {
      const rows = await deps.source.readRowsByKeys(
        ref,
        batch.map((k) => keyRow(ref.primaryKeys, k)),
      );
      const { written, skipped } = await writeRows(deps, ref, guard, rows);
      totals.written += written;
      totals.skipped += skipped + (batch.length - rows.length);
      heartbeat({ repairing: true, ...totals });
    }
  };
  await upsert(
    leaves.flatMap((l) => l.missing),
    versionColumn,
  );
  await upsert(
    leaves.flatMap((l) => l.different),
    null,
  );
  for (const batch of batches(leaves.flatMap((l) => l.extra))) {
    const keys = batch.map((k) => keyRow(ref.primaryKeys, k));
    const deleted = await deleteKeysGoneFromSource(deps, ref, null, keys);
    totals.deleted += deleted;
    totals.skipped += keys.length - deleted;
    heartbeat({ repairing: true, ...totals });
  }
  return totals;
}
