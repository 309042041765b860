/**
 * Sequences: the target's never behind the source's. After every pass (and so after the first
 * copy; at the end of its deletion replay, deletions.ts, so an idle pass costs no more activities),
 * the sync reads on the source the sequences behind the table's columns and those the
 * tables file names, and moves the target's forward to at least the same position (plus `margin`:
 * `failover promote` leaves room for writes the source took after the last pass). Names and numbers
 * only; never backward (supabase/migrations/20261202141400_sync_sequences.sql).
 */
import type { SyncSequencesInput, SyncSequencesResult } from '../contracts/activities.js';
import type { SequenceAdvance, SequencePosition } from '../contracts/ports.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';

/** A sequence whose target position is behind the source's (what verify and failover check report). */
export interface SequenceBehind {
  sequence: string;
  source: string;
  target: string | null;
}

/** `schema.name` of a sequence. */
export function sequenceLabel(s: Pick<SequencePosition, 'schema' | 'name'>): string {
  return `${s.schema}.${s.name}`;
}

/** Whether the target's next value is behind the source's, in the direction of the increment. */
export function isBehind(source: SequencePosition, target: SequencePosition | undefined): boolean {
  if (source.next === null) return false;
  if (target?.next == null) return true;
  const descending = source.increment !== undefined && source.increment.startsWith('-');
  const s = BigInt(source.next);
  const t = BigInt(target.next);
  return descending ? t > s : t < s;
}

/** The sequences of a table (and the named ones) that are behind on the target. */
export async function sequencesBehind(
  deps: Pick<ActivityDeps, 'source' | 'target'>,
  table: { schema: string; table: string },
  named: string[],
): Promise<{ checked: number; behind: SequenceBehind[] }> {
  const source = (await deps.source.readSequences(table, named)).filter((s) => s.next !== null);
  const target = await deps.target.sequencePositions(source);
  const behind = source.flatMap((s, i) =>
    isBehind(s, target[i])
      ? [{ sequence: sequenceLabel(s), source: s.next!, target: target[i]?.next ?? null }]
      : [],
  );
  return { checked: source.length, behind };
}

/**
 * Moves the table's sequences (and the named ones) forward on the target to the source's position
 * plus `margin`: the `syncSequences` activity, and the end of every pass's deletion replay.
 */
export async function advanceTableSequences(
  deps: Pick<ActivityDeps, 'source' | 'target' | 'logger'>,
  input: SyncSequencesInput,
  /** The feed moves them every few seconds: its moves are logged at debug. */
  moves: 'info' | 'debug' = 'info',
): Promise<SyncSequencesResult> {
  const ref = input.table;
  const source = (await deps.source.readSequences(ref, input.sequences ?? [])).filter((s) => s.next !== null);
  const advanced = await deps.target.advanceSequences(source, input.margin ?? 0);
  const moved = advanced.filter((a) => a.advanced);
  const missing = advanced.filter((a) => a.before === null).map(sequenceLabel);
  // The table's own sequences are logged under it; those the tables file names, on their own line.
  const owner = new Map(source.map((s) => [sequenceLabel(s), s.table]));
  const own = (a: SequenceAdvance) => {
    const t = owner.get(sequenceLabel(a));
    return t !== undefined && t.schema === ref.schema && t.table === ref.table;
  };
  const margin = input.margin ?? 0;
  const ofTable = moved.filter(own).map(sequenceLabel);
  const named = moved.filter((a) => !own(a)).map(sequenceLabel);
  if (ofTable.length > 0) {
    deps.logger[moves](
      { table: ref.qualifiedName, sequences: ofTable, margin },
      `${ref.qualifiedName}: moved ${ofTable.length} sequence(s) forward on the target (${ofTable.join(', ')})`,
    );
  }
  if (named.length > 0) {
    deps.logger[moves](
      { sequences: named, margin },
      `sequences named in the tables file: moved ${named.join(', ')} forward on the target`,
    );
  }
  if (missing.length > 0) {
    deps.logger.warn(
      { table: ref.qualifiedName, sequences: missing },
      `${ref.qualifiedName}: the target has no sequence ${missing.join(', ')}: create it there (the same migration as on the source)`,
    );
  }
  return { sequences: source.length, advanced: moved.length, missing };
}

export function createSequenceActivities(deps: ActivityDeps) {
  return {
    async syncSequences(input: SyncSequencesInput): Promise<SyncSequencesResult> {
      return failClearly(() => advanceTableSequences(deps, input));
    },
  };
}
