/**
 * Healing what Realtime did not deliver, in seconds and at no Temporal cost. Hosted Realtime drops
 * changes silently over the plan's message quota (the channel stays joined), a subscription may be
 * acknowledged before its changes flow, and a socket can die quietly. So the feed compares what it
 * received with what the source has (realtime-positions.ts hands it the source's newest version and
 * ledger entry every second):
 *
 * - rows: once the source's newest version of one check has had a whole interval to arrive, the
 *   keys and versions of the rows changed since the last covered version (minus a small margin for
 *   late commits) are read — not the rows — and only those Realtime did not deliver at that version
 *   are read in full and written;
 * - deletes: the ledger entries newer than the last covered one whose key Realtime did not delete
 *   are applied (the pass marks them processed later; a TRUNCATE entry is left to the pass).
 *
 * What is older than the position at which the feed became live is the catch-up pass's. Rows
 * committed later than the margin allows are found by the next reconciliation pass (its lookback).
 */
import { keyOnly, keyText } from '../core/keys.js';
import { compareVersions, reconcileFrom, versionOf } from '../core/versions.js';
import type { ChangeEvent, Row, SourcePosition, TableRef } from '../supabase/ports.js';
import type { ActivityDeps } from './deps.js';
import { writeRows } from './writes.js';

/** Rows changed this long before the covered version are looked at again (late commits). */
const MARGIN_MS = 2000;
/** Keys and versions read per check at most (the next check goes on from there). */
const LIST_LIMIT = 5000;
/** Keys remembered as delivered, at most (oldest forgotten first). */
const MAX_REMEMBERED = 200_000;

export interface Healed {
  written: number;
  skipped: number;
  deleted: number;
  /** Rows and deletes Realtime did not deliver (found and read from the source). */
  missing: number;
}

type Deps = Pick<ActivityDeps, 'source' | 'target' | 'logger'>;

export class GapHealer {
  /** key → newest version delivered by Realtime (or healed), in order of arrival. */
  private readonly versions = new Map<string, string>();
  private readonly deletedKeys = new Set<string>();
  /** Versions up to this are covered; null until the feed is live. */
  private covered: string | null = null;
  /** The source's newest version at the previous check: what must have arrived by now. */
  private due: string | null = null;
  private ledgerCovered = 0;
  private ledgerDue: number | null = null;
  /** Live, and the position at that moment read (what is older is the catch-up pass's). */
  private baselined = false;
  private latest: SourcePosition | null = null;

  constructor(
    private readonly deps: Deps,
    private readonly ref: TableRef,
    private readonly versionColumn: string | null,
  ) {}

  /** The newest position the watch reported (checked by the feed's loop, between batches). */
  position(p: SourcePosition): void {
    this.latest = p;
  }

  /** Whether a check is due: a position came, or the feed just went live. */
  get hasPosition(): boolean {
    return this.latest !== null || this.baselineDue;
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
      this.covered = now.version;
      this.ledgerCovered = now.ledger ?? 0;
      this.due = now.version;
      this.ledgerDue = now.ledger;
      this.latest = null;
      return healed;
    }
    const p = this.latest;
    this.latest = null;
    if (!this.baselined || !p) return healed;
    await this.rows(healed);
    await this.deletes(healed);
    this.due = p.version;
    this.ledgerDue = p.ledger;
    return healed;
  }

  private async rows(healed: Healed): Promise<void> {
    const { versionColumn, due } = this;
    if (versionColumn === null || due === null) return;
    if (this.covered !== null && compareVersions(due, this.covered) <= 0) return;
    const from = this.covered === null ? null : reconcileFrom(this.covered, MARGIN_MS);
    const listed = await this.deps.source.readVersions(this.ref, versionColumn, from, due, LIST_LIMIT);
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
      healed.missing += missing.length;
      healed.written += result.written;
      healed.skipped += result.skipped;
    }
    // A full listing may not reach `due`: go on from its last version next time.
    this.covered = listed.length >= LIST_LIMIT ? listed[listed.length - 1]!.version : due;
    this.forget();
  }

  private async deletes(healed: Healed): Promise<void> {
    const due = this.ledgerDue;
    if (due === null || due <= this.ledgerCovered) return;
    const entries = (
      await this.deps.source.readDeletionsAfter(this.ref, this.ledgerCovered, LIST_LIMIT)
    ).filter((e) => e.id <= due && e.kind === 'delete');
    const unseen = entries.filter((e) => !this.deletedKeys.has(keyText(this.ref.primaryKeys, e.primaryKey)));
    if (unseen.length > 0) {
      // A key on the source again (re-inserted) is not deleted.
      const present = new Set(
        (
          await this.deps.source.readRowsByKeys(
            this.ref,
            unseen.map((e) => e.primaryKey),
          )
        ).map((r) => keyText(this.ref.primaryKeys, r)),
      );
      const keys = unseen
        .filter((e) => !present.has(keyText(this.ref.primaryKeys, e.primaryKey)))
        .map((e) => ({ ...e.primaryKey, _deleted_at: e.deletedAt }));
      healed.missing += keys.length;
      healed.deleted += (await this.deps.target.applyDeletes(this.ref, this.versionColumn, keys)).deleted;
      for (const e of unseen) this.remember(this.deletedKeys, keyText(this.ref.primaryKeys, e.primaryKey));
    }
    this.ledgerCovered = entries.length >= LIST_LIMIT ? entries[entries.length - 1]!.id : due;
  }

  private markDelivered(key: string, version: string): void {
    const had = this.versions.get(key);
    if (had !== undefined && compareVersions(had, version) >= 0) return;
    this.versions.delete(key);
    this.versions.set(key, version);
    if (this.versions.size > MAX_REMEMBERED) this.versions.delete(this.versions.keys().next().value!);
  }

  private remember(set: Set<string>, key: string): void {
    set.delete(key);
    set.add(key);
    if (set.size > MAX_REMEMBERED) set.delete(set.values().next().value!);
  }

  /**
   * Forgets deliveries older than anything a listing can still return. The map is in order of
   * arrival, which is nearly version order: it stops at the first one still needed.
   */
  private forget(): void {
    if (this.covered === null) return;
    const floor = reconcileFrom(this.covered, 2 * MARGIN_MS);
    if (floor === null) return;
    for (const [key, version] of this.versions) {
      if (compareVersions(version, floor) >= 0) break;
      this.versions.delete(key);
    }
  }
}
