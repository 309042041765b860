/**
 * Where the feed's delete check reads the deletion ledger from. A ledger id is taken when a row is
 * deleted, but the entry is seen only when its transaction commits: a check can cover id N while an
 * id below N is still in flight. So each check's covered id is marked with the source's clock, and
 * a check reads from the id that was covered `marginMs` earlier (the same margin the row check
 * gives late commits, realtime-gaps.ts), skipping the entries it handled. A transaction that
 * commits later than the margin after its delete is left to the pass (it replays every
 * unprocessed entry). Without the source's clock (functions before 20261207150000) a check reads
 * from the covered id, as before.
 */
export class LedgerMarks {
  /** Covered ids with the source's clock when they were covered, the oldest first. */
  private marks: Array<{ id: number; dbMs: number }> = [];

  constructor(private readonly marginMs: number) {}

  /** The feed went live (or took over) with `covered` covered at `dbMs`. */
  reset(covered: number, dbMs: number | null): void {
    this.marks = dbMs === null ? [] : [{ id: covered, dbMs }];
  }

  /** A check covered the ledger up to `covered` at `dbMs`. */
  mark(covered: number, dbMs: number | null): void {
    if (dbMs === null) return;
    const last = this.marks[this.marks.length - 1];
    if (last && last.id === covered) return;
    this.marks.push({ id: covered, dbMs });
  }

  /**
   * The id a check at `dbMs` reads after: the one covered `marginMs` before (the oldest known while
   * none is that old), never above `covered`. Marks older than needed are dropped.
   */
  from(covered: number, dbMs: number | null): number {
    if (dbMs === null) return covered;
    const edge = dbMs - this.marginMs;
    while (this.marks.length > 1 && this.marks[1]!.dbMs <= edge) this.marks.shift();
    const oldest = this.marks[0];
    if (!oldest) return covered;
    // The oldest mark is the one in force `marginMs` ago; once the newer ones are all older than
    // the margin too, only the last one remains and the check reads from what it covered.
    return Math.min(covered, oldest.id);
  }
}
