/**
 * Healing dropped changes of a table WITHOUT a version column: the source cannot say which rows
 * changed since a version, so while its feed runs a statement-level trigger logs the keys of the
 * rows each INSERT or UPDATE writes (supabase/migrations/20261207150000_sync_change_log.sql). Once a
 * position is due (realtime-gaps.ts: its changes had time to arrive), the entries up to it are read,
 * the current source rows of their keys written to the target (rows it already holds equal are
 * skipped there, so what Realtime delivered costs no write), and the entries forgotten by id. An
 * entry committed after a later id is still in the log at the next check: nothing is missed, and no
 * clock is involved.
 *
 * A table with a version column has no log (its feed lists versions instead); turning it on or off
 * is done once per feed attempt, and touches the table only when that changes something.
 */
import type { SourcePosition, TableRef } from '../contracts/ports.js';
import { keyText } from '../core/keys.js';
import type { ActivityDeps } from './deps.js';
import type { Healed } from './realtime-gaps.js';
import { writeRows } from './writes.js';

/** Keys read per check, about (the next check goes on from there). */
const READ_LIMIT = 5000;

type Deps = Pick<ActivityDeps, 'source' | 'target' | 'logger'>;

export class ChangeLog {
  /** Whether this table's feed heals from the log (no version column, and the source has the functions). */
  private on = false;

  constructor(
    private readonly deps: Deps,
    private readonly ref: TableRef,
    private readonly versionColumn: string | null,
  ) {}

  /** Turns the log on for a table without a version column, off for one with it (before the feed subscribes). */
  async start(): Promise<void> {
    const wanted = this.versionColumn === null;
    const result = await this.deps.source.trackChanges(this.ref, wanted);
    this.on = wanted && result !== 'unavailable';
    if (result === 'unavailable' && wanted)
      this.deps.logger.warn(
        'the source lacks the change log (supabase/migrations/20261207150000_sync_change_log.sql): changes Realtime drops on this table (it has no version column) wait for the next pass; apply the migration (npx supabase-sync migrate --apply) to heal them within seconds',
      );
    else if (result === 'created' || result === 'removed')
      this.deps.logger.info({ changeLog: result }, `change log ${result} on the source`);
  }

  /**
   * The feed became live at `now`: what is older is the catch-up pass's, so those entries are
   * forgotten, unless the feed takes over from a dead worker (its entries are healed instead).
   */
  async baseline(now: SourcePosition, takeover: boolean): Promise<void> {
    if (!this.on || takeover || !now.changes) return;
    await this.deps.source.forgetChanges(this.ref, [], now.changes.last);
  }

  /**
   * Writes the rows of the entries up to the due position's newest, when the latest position
   * (fresher) shows entries that old still in the log.
   */
  async heal(due: SourcePosition, latest: SourcePosition, healed: Healed): Promise<void> {
    const upto = due.changes?.last;
    const first = latest.changes?.first;
    if (!this.on || upto === undefined || first === undefined || first > upto) return;
    const entries = await this.deps.source.readChanges(this.ref, upto, READ_LIMIT);
    if (entries.length === 0) return;
    const keys = new Map(
      entries.flatMap((e) => e.keys.map((k) => [keyText(this.ref.primaryKeys, k), k] as const)),
    );
    const rows = await this.deps.source.readRowsByKeys(this.ref, [...keys.values()]);
    const result = await writeRows(this.deps, this.ref, null, rows);
    healed.missing += result.written;
    healed.written += result.written;
    healed.skipped += result.skipped;
    await this.deps.source.forgetChanges(
      this.ref,
      entries.map((e) => e.id),
      null,
    );
  }
}
