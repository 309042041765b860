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
import type { Row, SourcePosition, TableRef } from '../contracts/ports.js';
import { keyOnly, keyText } from '../core/keys.js';
import type { ActivityDeps } from './deps.js';
import { writeRows, type WriteResult } from './writes.js';

/** Keys read per check, about (the next check goes on from there). */
const READ_LIMIT = 5000;
/** A change Realtime delivers this long after a key was healed is checked against the source again. */
const RECHECK_MS = 30_000;
/** Healed keys remembered, at most (oldest forgotten first). */
const MAX_REMEMBERED = 100_000;

type Deps = Pick<ActivityDeps, 'source' | 'target' | 'logger'>;

export class ChangeLog {
  /** Whether this table's feed heals from the log (no version column, and the source has the functions). */
  private on = false;
  /** Keys healed lately, with when (in order): see `applied`. */
  private readonly healedAt = new Map<string, number>();
  /** Keys to read from the source again at the next check. */
  private readonly recheck = new Map<string, Row>();

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
   * The feed applied these rows as Realtime delivered them. Without a version column nothing stops
   * an older change applied after the heal wrote a newer row (delivered late, or applied by a
   * batch beside the check) from overwriting it, and the newer change may be one Realtime dropped:
   * a key healed within the last 30 s is read from the source again at the next check.
   */
  applied(rows: Row[]): void {
    if (!this.on || this.healedAt.size === 0) return;
    const since = Date.now() - RECHECK_MS;
    for (const row of rows) {
      const key = keyOnly(this.ref.primaryKeys, row);
      if (!key) continue;
      const text = keyText(this.ref.primaryKeys, key);
      const at = this.healedAt.get(text);
      if (at !== undefined && at >= since) this.recheck.set(text, key);
    }
  }

  /**
   * Writes the current source rows of the keys to check again, and of the entries up to the due
   * position's newest when the latest position (fresher) shows entries that old still in the log.
   */
  async heal(due: SourcePosition, latest: SourcePosition): Promise<WriteResult | null> {
    if (!this.on) return null;
    const keys = new Map(this.recheck);
    this.recheck.clear();
    const upto = due.changes?.last;
    const first = latest.changes?.first;
    const entries =
      upto !== undefined && first !== undefined && first <= upto
        ? await this.deps.source.readChanges(this.ref, upto, READ_LIMIT)
        : [];
    for (const e of entries) for (const k of e.keys) keys.set(keyText(this.ref.primaryKeys, k), k);
    if (keys.size === 0) return null;
    // Marked before the read: a change applied from Realtime after it may be older than what is read.
    const at = Date.now();
    for (const text of keys.keys()) this.remember(text, at);
    const rows = await this.deps.source.readRowsByKeys(this.ref, [...keys.values()]);
    const result = await writeRows(this.deps, this.ref, null, rows);
    if (entries.length > 0)
      await this.deps.source.forgetChanges(
        this.ref,
        entries.map((e) => e.id),
        null,
      );
    return result;
  }

  private remember(text: string, at: number): void {
    this.healedAt.delete(text);
    this.healedAt.set(text, at);
    if (this.healedAt.size > MAX_REMEMBERED) this.healedAt.delete(this.healedAt.keys().next().value!);
  }
}
