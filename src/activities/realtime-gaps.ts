/**
 * Healing what Realtime did not deliver, in seconds and at no Temporal cost. Hosted Realtime drops
 * changes silently over the plan's message quota (the channel stays joined), a subscription may be
 * acknowledged before its changes flow, and a socket can die quietly. So the feed compares what it
 * received with what the source has (realtime-positions.ts hands it the source's newest version and
 * ledger entry every second):
 *
 * - rows: once a position of the source has had time to arrive (the grace: three times the
 *   delivery delay the feed sees, between 1 and 5 s; 1 s while the last checks found changes
 *   missing, since a change dropped over a quota never comes), the keys and versions of the rows
 *   changed since the last covered version (minus a margin for late commits) up to it are read, for
 *   all the process's feeds in one call (realtime-versions.ts); only the rows Realtime did not
 *   deliver at that version are read in full and written;
 *   (a table without a version column: the keys its change log holds up to that position, realtime-changes.ts);
 * - deletes: the ledger entries newer than the last covered one whose key Realtime did not delete
 *   are applied (the pass marks them processed later); entries committed out of id order within
 *   the margin too (ledger-marks.ts);
 * - truncates: a TRUNCATE entry of the ledger is found as soon as the position shows it (Realtime
 *   never delivers one: truncate.ts); the feed cleans up after it.
 *
 * What is older than the position at which the feed became live is the catch-up pass's. Rows
 * committed later than the margin allows are found by the next reconciliation pass (its lookback).
 */
import type { ChangeEvent, PendingDeletion, Row, SourcePosition, TableRef } from '../contracts/ports.js';
import { keyOnly, keyText } from '../core/keys.js';
import { compareVersions, reconcileFrom, versionOf } from '../core/versions.js';
import type { ActivityDeps } from './deps.js';
import type { VersionReads } from './realtime-versions.js';
import { ChangeLog } from './realtime-changes.js';
import { LedgerMarks } from './ledger-marks.js';
import { TruncateWatch } from './truncate.js';
import { deleteKeysGoneFromSource, writeRows } from './writes.js';

/** Rows changed this long before the covered version are looked at again (late commits). */
const MARGIN_MS = 2000;
/** Keys and versions read per check at most (the next check goes on from there). */
const LIST_LIMIT = 5000;
/** Keys remembered as delivered, at most (oldest forgotten first). */
const MAX_REMEMBERED = 200_000;
/** How long a change may take to arrive before it counts as not delivered: bounds of the grace. */
const MIN_GRACE_MS = 1000;
const MAX_GRACE_MS = 5000;
/** Checks the grace stays at its minimum after one found changes missing. */
const DROPPING_CHECKS = 10;

export interface Healed {
  written: number;
  skipped: number;
  deleted: number;
  /** Rows and deletes Realtime did not deliver that the target lacked (found on the source, applied). */
  missing: number;
}

/** The project ports, and the process's shared reads of keys and versions (realtime-versions.ts). */
type Deps = Pick<ActivityDeps, 'source' | 'target' | 'logger'> & { versions: Pick<VersionReads, 'read'> };

export class GapHealer {
  /** key → newest version delivered by Realtime (or healed), in order of arrival. */
  private readonly versions = new Map<string, string>();
  private readonly deletedKeys = new Set<string>();
  /** Versions up to this are covered; null until the feed is live. */
  private covered: string | null = null;
  /** The position whose changes must have arrived by now (see `grace`). */
  private due: string | null = null;
  private ledgerCovered = 0;
  private ledgerDue: number | null = null;
  /** Where a check reads the ledger from (ledger-marks.ts). */
  private readonly ledgerMarks = new LedgerMarks(MARGIN_MS);
  /** Ledger entries handled (a check that reads again skips them). */
  private readonly handledEntries = new Set<number>();
  /** Live, and the position at that moment read (what is older is the catch-up pass's). */
  private baselined = false;
  /** The ledger's truncates, looked at as soon as a position shows them (Realtime never delivers one). */
  readonly truncates: TruncateWatch;
  /** The change log of a table without a version column (realtime-changes.ts). */
  readonly changeLog: ChangeLog;
  /** Positions the watch reported, with when they came (the oldest first). */
  private positions: Array<SourcePosition & { at: number }> = [];
  private fresh = false;
  /** The delivery delay Realtime shows (commit to arrival), smoothed. */
  private lagMs = 0;
  /** Checks until the grace may grow again: set when a check found changes Realtime dropped. */
  private dropping = 0;

  constructor(
    private readonly deps: Deps,
    private readonly ref: TableRef,
    private readonly versionColumn: string | null,
    /** For a feed taking over from a dead worker: heal from here at once (see RealtimeFeedInput). */
    private healFrom: string | null = null,
  ) {
    this.truncates = new TruncateWatch(deps.source, ref);
    this.changeLog = new ChangeLog(deps, ref, versionColumn);
  }

  /** A position the watch reported (checked by the feed's loop, between batches). */
  position(p: SourcePosition): void {
    this.positions.push({ ...p, at: Date.now() });
    if (this.positions.length > 16) this.positions.shift();
    this.fresh = true;
  }

  /** The delay of a batch Realtime delivered (its newest commit to now). */
  observedLag(ms: number | null): void {
    if (ms !== null && Number.isFinite(ms) && ms >= 0)
      this.lagMs = this.lagMs === 0 ? ms : 0.8 * this.lagMs + 0.2 * ms;
  }

  /** How long a change gets to arrive through Realtime before the feed reads it itself. */
  get grace(): number {
    if (this.dropping > 0) return MIN_GRACE_MS;
    return Math.min(MAX_GRACE_MS, Math.max(MIN_GRACE_MS, 3 * this.lagMs));
  }

  /** Whether a check is due: a position came, or the feed just went live. */
  get hasPosition(): boolean {
    return this.fresh || this.baselineDue;
  }

  private baselineDue = false;

  /**
   * The subscription is live: the source's position now is the line between the catch-up pass
   * (asked for at the same moment, it reads from the checkpoint on) and this feed.
   */
  becameLive(): void {
    this.baselined = false;
    this.baselineDue = true;
  }

  /** A change Realtime delivered (the feed applies it). */
  received(event: ChangeEvent): void {
    if (event.type === 'DELETE') {
      const key = keyOnly(this.ref.primaryKeys, event.oldRecord);
      if (key) this.remember(this.deletedKeys, keyText(this.ref.primaryKeys, key));
      return;
    }
    const record = event.record;
    const key = keyOnly(this.ref.primaryKeys, record);
    const version = record ? versionOf(record, this.versionColumn) : null;
    if (key && version !== null) this.markDelivered(keyText(this.ref.primaryKeys, key), version);
  }

  /** One comparison with the latest position; what was missing is written. */
  async check(): Promise<Healed> {
    const healed: Healed = { written: 0, skipped: 0, deleted: 0, missing: 0 };
    if (this.baselineDue) {
      const now = await this.deps.source.readPosition(this.ref, this.versionColumn);
      this.baselineDue = false;
      this.baselined = true;
      this.due = now.version;
      this.ledgerDue = now.ledger;
      this.positions = [];
      this.fresh = false;
      await this.changeLog.baseline(now, this.healFrom !== null);
      if (this.healFrom === null) {
        this.covered = now.version;
        this.ledgerCovered = now.ledger ?? 0;
        this.ledgerMarks.reset(this.ledgerCovered, now.dbMs ?? null);
        this.truncates.from(this.ledgerCovered);
        return healed;
      }
      // Taking over from a dead worker: what it may not have applied is checked now, not by a pass.
      this.covered = this.healFrom;
      this.ledgerCovered = 0;
      this.ledgerMarks.reset(0, now.dbMs ?? null);
      this.truncates.from(0);
      this.healFrom = null;
      await this.truncates.look(now.ledger);
      await this.rows(healed);
      this.add(healed, await this.changeLog.heal(now, now));
      await this.deletes(healed, now.dbMs ?? null);
      return healed;
    }
    this.fresh = false;
    if (!this.baselined) return healed;
    await this.truncates.look(this.positions[this.positions.length - 1]?.ledger ?? null);
    // The newest position old enough that its changes had time to arrive.
    const ripe = Date.now() - this.grace;
    const latest = this.positions[this.positions.length - 1];
    let p: SourcePosition | undefined;
    while (this.positions.length > 0 && this.positions[0]!.at <= ripe) p = this.positions.shift();
    if (!p || !latest) return healed;
    this.due = p.version;
    this.ledgerDue = p.ledger;
    await this.rows(healed);
    this.add(healed, await this.changeLog.heal(p, latest));
    await this.deletes(healed, p.dbMs ?? null, latest.dbMs ?? null);
    // Realtime is dropping changes: waiting longer for them does not help (for the next 10 checks).
    if (healed.missing > 0) this.dropping = DROPPING_CHECKS;
    else if (this.dropping > 0) this.dropping--;
    return healed;
  }

  private async rows(healed: Healed): Promise<void> {
    const { versionColumn, due } = this;
    if (versionColumn === null || due === null) return;
    if (this.covered !== null && compareVersions(due, this.covered) <= 0) return;
    const from = this.covered === null ? null : reconcileFrom(this.covered, MARGIN_MS);
    const listing = await this.deps.versions.read({
      ref: this.ref,
      versionColumn,
      from,
      until: due,
      limit: LIST_LIMIT,
    });
    const listed = listing.versions;
    const missing: Row[] = [];
    for (const { key, version } of listed) {
      const row = Object.fromEntries(this.ref.primaryKeys.map((k, i) => [k, key[i] ?? null]));
      const had = this.versions.get(keyText(this.ref.primaryKeys, row));
      if (had === undefined || compareVersions(had, version) < 0) missing.push(row);
    }
    if (missing.length > 0) {
      const rows = await this.deps.source.readRowsByKeys(this.ref, missing);
      const result = await writeRows(this.deps, this.ref, versionColumn, rows);
      for (const row of rows) {
        const version = versionOf(row, versionColumn);
        if (version !== null) this.markDelivered(keyText(this.ref.primaryKeys, row), version);
      }
      // Counted when the target lacked them (rows it holds already, e.g. copied, are skipped).
      healed.missing += result.written;
      healed.written += result.written;
      healed.skipped += result.skipped;
    }
    // A full listing may not reach `due`: go on from its last version next time (a listing the
    // shared budget cut to nothing: from the same place).
    if (listed.length < listing.limit) this.covered = due;
    else if (listed.length > 0) this.covered = listed[listed.length - 1]!.version;
    this.forget();
  }

  /** `dbMs`, `nowMs`: the source's clock at the due and the latest position (ledger-marks.ts). */
  private async deletes(healed: Healed, dbMs: number | null, nowMs = dbMs): Promise<void> {
    const due = Math.max(this.ledgerDue ?? 0, this.ledgerCovered);
    const from = this.ledgerMarks.from(this.ledgerCovered, dbMs);
    if (due <= this.ledgerCovered && from >= this.ledgerCovered) return;
    // Two reads at most: a margin holding a full listing must not hold the check back.
    const listed: PendingDeletion[] = [];
    let after = from;
    let complete = false;
    for (let reads = 0; reads < 2 && !complete; reads++) {
      const page = await this.deps.source.readDeletionsAfter(this.ref, after, LIST_LIMIT);
      listed.push(...page);
      complete = page.length < LIST_LIMIT;
      after = Math.max(this.ledgerCovered, page[page.length - 1]?.id ?? after);
    }
    const handled = this.handledEntries;
    const entries = listed.filter((e) => e.id <= due && e.kind === 'delete' && !handled.has(e.id));
    const unseen = entries.filter((e) => !this.deletedKeys.has(keyText(this.ref.primaryKeys, e.primaryKey)));
    if (unseen.length > 0) {
      const deleted = await deleteKeysGoneFromSource(
        this.deps,
        this.ref,
        this.versionColumn,
        unseen.map((e) => ({ ...e.primaryKey, _deleted_at: e.deletedAt })),
      );
      healed.missing += deleted;
      healed.deleted += deleted;
      for (const e of unseen) this.remember(this.deletedKeys, keyText(this.ref.primaryKeys, e.primaryKey));
    }
    for (const e of entries) this.remember(this.handledEntries, e.id);
    this.ledgerCovered = complete ? due : Math.min(due, after);
    // At the latest position's time: the margin runs from this check, not from the due position.
    this.ledgerMarks.mark(this.ledgerCovered, nowMs);
  }

  /** Rows the change log's heal wrote (counted as missing: the target lacked them or held them otherwise). */
  private add(healed: Healed, result: { written: number; skipped: number } | null): void {
    if (!result) return;
    healed.missing += result.written;
    healed.written += result.written;
    healed.skipped += result.skipped;
  }

  private markDelivered(key: string, version: string): void {
    const had = this.versions.get(key);
    if (had !== undefined && compareVersions(had, version) >= 0) return;
    this.versions.delete(key);
    this.versions.set(key, version);
    if (this.versions.size > MAX_REMEMBERED) this.versions.delete(this.versions.keys().next().value!);
  }

  private remember<T>(set: Set<T>, key: T): void {
    set.delete(key);
    set.add(key);
    if (set.size > MAX_REMEMBERED) set.delete(set.values().next().value!);
  }

  /** Forgets every delivery older than any listing can return (a heal marks rows out of version order). */
  private forget(): void {
    if (this.covered === null) return;
    const floor = reconcileFrom(this.covered, 2 * MARGIN_MS);
    if (floor === null) return;
    for (const [key, version] of this.versions)
      if (compareVersions(version, floor) < 0) this.versions.delete(key);
  }
}
