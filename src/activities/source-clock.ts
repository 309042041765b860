/**
 * The source database's clock, as this worker reads it: a feed's lag (a change's commit time to its
 * arrival) and the grace derived from it compare a time the database stamped with "now", and the
 * worker host's clock may be off by seconds. Every position the feeds' watch reads carries the
 * database's clock (`db_ms`, 20261207150000_sync_change_log.sql); the offset is taken from the read
 * with the shortest round trip among the recent ones (the midpoint of that request is when the
 * database read its clock, give or take half the round trip). Before any reading, or against a
 * source without `db_ms`, it is the worker's clock.
 */

/** Readings the offset is chosen from (one a second: the last 16 seconds). */
const WINDOW = 16;

export class SourceClock {
  private readings: Array<{ offset: number; roundTrip: number }> = [];
  private offset = 0;

  /** A position read between `sentAt` and `receivedAt` (worker clock) said the database's clock was `dbMs`. */
  observe(dbMs: number | null | undefined, sentAt: number, receivedAt: number): void {
    if (dbMs === null || dbMs === undefined || !Number.isFinite(dbMs)) return;
    this.readings.push({ offset: dbMs - (sentAt + receivedAt) / 2, roundTrip: receivedAt - sentAt });
    if (this.readings.length > WINDOW) this.readings.shift();
    this.offset = this.readings.reduce((a, b) => (b.roundTrip < a.roundTrip ? b : a)).offset;
  }

  /** Now, by the source database's clock (ms since the epoch). */
  now(): number {
    return Date.now() + this.offset;
  }

  /** How long ago a time the source stamped (a commit time) was, by the source's clock; never negative. */
  since(iso: string): number {
    return Math.max(0, this.now() - Date.parse(iso));
  }
}
