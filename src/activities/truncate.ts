/**
 * A TRUNCATE of the source reaches the target as a clean-up: no row trigger and no Realtime event
 * sees it, only the ledger's 'truncate' entry (with the time its transaction began, the source's
 * clock). Every target row whose key the source no longer has is removed, page by page over the
 * target's keys, with a tombstone at that time; a row written after the truncate is on the source,
 * so it stays. Both the deletion replay of a pass (deletions.ts) and a live feed (feed-run.ts) run it.
 */
import type { KeyTextValues, SourceProject, TableRef } from '../contracts/ports.js';
import { keyRow } from '../core/keys.js';
import { advanceCursor, shiftedVersion } from '../core/versions.js';
import type { ActivityDeps } from './deps.js';

/** Target keys compared with the source per round trip. */
const TRUNCATE_PAGE = 5000;
/** Ledger entries read per look. */
const LEDGER_PAGE = 5000;
/** Changes committed this long after a truncate began are re-read (`rereadUntil`). */
const REREAD_MS = 60_000;

/**
 * A live feed's view of the ledger's truncates (realtime-gaps.ts looks as soon as the source's
 * position shows a new entry; feed-run.ts cleans up). Everything is on the source's clock.
 */
export class TruncateWatch {
  /** Ledger ids up to this were looked at. */
  private covered = 0;
  /** The newest truncate found (when its transaction began), and one not cleaned up after yet. */
  private newest: string | null = null;
  private pending: string | null = null;

  constructor(
    private readonly source: Pick<SourceProject, 'readDeletionsAfter'>,
    private readonly ref: TableRef,
  ) {}

  /** Entries up to `id` are the catch-up pass's (the feed became live there). */
  from(id: number): void {
    this.covered = id;
  }

  /** Reads the ledger's entries up to `upTo` for truncates. */
  async look(upTo: number | null): Promise<void> {
    if (upTo === null || upTo <= this.covered) return;
    const read = await this.source.readDeletionsAfter(this.ref, this.covered, LEDGER_PAGE);
    const entries = read.filter((e) => e.id <= upTo);
    for (const e of entries) {
      if (e.kind !== 'truncate') continue;
      this.pending = advanceCursor(this.pending, e.deletedAt);
      this.newest = advanceCursor(this.newest, e.deletedAt);
    }
    this.covered = read.length >= LEDGER_PAGE && entries.length > 0 ? entries[entries.length - 1]!.id : upTo;
  }

  /**
   * The truncate to clean up after, once. The feed runs the clean-up between its batches, so no
   * batch read before the truncate was known is written after it.
   */
  take(): string | null {
    const at = this.pending;
    this.pending = null;
    return at;
  }

  /**
   * Changes committed up to this are read from the source rather than applied as delivered:
   * Realtime may deliver a row's change after the TRUNCATE that removed the row, and a change
   * committed while the truncate waited for its lock begins after it and still came before it.
   */
  get rereadUntil(): string | null {
    return this.newest === null ? null : shiftedVersion(this.newest, REREAD_MS);
  }
}

/**
 * Removes the target's rows the source no longer has, after a truncate at `at`, from the key
 * `after` on. `onPage` hears the last key of each page done and the rows removed so far (a pass
 * heartbeats it, so a retry resumes there). Returns the rows removed.
 */
export async function removeRowsGoneFromSource(
  deps: Pick<ActivityDeps, 'source' | 'target'>,
  ref: TableRef,
  versionColumn: string | null,
  at: string,
  after: KeyTextValues | null = null,
  onPage?: (last: KeyTextValues, deleted: number) => void,
): Promise<number> {
  let deleted = 0;
  let from = after;
  for (;;) {
    const page = await deps.target.listRange(ref, from, null, TRUNCATE_PAGE);
    if (page.length === 0) break;
    const keys = page.map((r) => r.key);
    const present = new Set((await deps.source.presentKeys(ref, keys)).map((k) => JSON.stringify(k)));
    const gone = keys
      .filter((k) => !present.has(JSON.stringify(k)))
      .map((k) => ({ ...keyRow(ref.primaryKeys, k), _deleted_at: at }));
    deleted += (await deps.target.applyDeletes(ref, versionColumn, gone)).deleted;
    from = keys[keys.length - 1]!;
    onPage?.(from, deleted);
    if (page.length < TRUNCATE_PAGE) break;
  }
  return deleted;
}
