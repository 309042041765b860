/**
 * The gap checks' reads of keys and versions (realtime-gaps.ts), for every feed of this worker
 * process, in as few calls as possible. The position watch (realtime-positions.ts) hands every feed
 * its position at the same moment, so their checks ask within milliseconds of one another: what is
 * asked within WINDOW_MS goes to the source in one call (`sync_read_versions_many`), at most BUDGET
 * rows in all, so that 200 changing tables cost one request a second, not 200. A table the budget
 * did not reach is asked first next time.
 */
import type { KeyVersion, SourceProject, VersionsRequest } from '../contracts/ports.js';
import { tableName } from '../core/names.js';

/** How long a read waits for others to join it. */
const WINDOW_MS = 25;
/** Requests per call at most (the function takes up to 1000). */
const MAX_PER_CALL = 500;
/** Rows per call at most, over all its tables. */
const BUDGET = 20_000;

/** A table's keys and versions, and the limit they were read with (a listing that long may go on). */
export interface Listing {
  versions: KeyVersion[];
  limit: number;
}

interface Pending {
  request: VersionsRequest;
  resolve(listing: Listing): void;
  reject(error: Error): void;
}

const tableKey = (r: VersionsRequest) => tableName(r.ref);

export class VersionReads {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Tables the last calls' budget did not reach. */
  private readonly starved = new Set<string>();

  constructor(
    private readonly source: Pick<SourceProject, 'readVersionsMany'>,
    private readonly windowMs = WINDOW_MS,
    private readonly budget = BUDGET,
  ) {}

  read(request: VersionsRequest): Promise<Listing> {
    return new Promise<Listing>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (this.queue.length >= MAX_PER_CALL) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    // Stable: the starved first, the others in the order they asked.
    batch.sort(
      (a, b) => Number(this.starved.has(tableKey(b.request))) - Number(this.starved.has(tableKey(a.request))),
    );
    this.source
      .readVersionsMany(
        batch.map((p) => p.request),
        this.budget,
      )
      .then(
        (results) =>
          batch.forEach((p, i) => {
            const r = results[i];
            const key = tableKey(p.request);
            if (r && !('error' in r) && r.limit < p.request.limit) this.starved.add(key);
            else this.starved.delete(key);
            if (!r) p.reject(new Error(`no versions were returned for ${key}`));
            else if ('error' in r) p.reject(new Error(`reading the versions of ${key}: ${r.error}`));
            else p.resolve(r);
          }),
        (error: unknown) => {
          const e = error instanceof Error ? error : new Error(String(error));
          for (const p of batch) p.reject(e);
        },
      );
  }
}
