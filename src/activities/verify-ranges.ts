/**
 * The comparison behind `verify`: both projects summarized over the same primary-key ranges (row
 * count + sum of 64-bit row checksums, computed in the database by
 * supabase/migrations/20251124120000_sync_verify.sql); ranges that differ are split recursively
 * (bounds computed on one side, checksums of exactly those ranges asked of the other) until they are
 * small enough to list keys + row checksums on both sides. Row data never leaves the databases here.
 */
import type { KeyTextValues, TableRef } from '../contracts/ports.js';
import type { KeyHash, RangeChecksums } from '../contracts/range-checksums.js';
import { tableName } from '../core/names.js';

export interface DifferenceCounts {
  missing: number;
  extra: number;
  different: number;
}

interface Range {
  after: KeyTextValues | null;
  until: KeyTextValues | null;
  /** Row counts of the range when known (from the parent split). */
  sourceRows: number | null;
  targetRows: number | null;
  depth: number;
  /** Bucket indexes from the top: orders the leaves by key. */
  path: number[];
}

export interface Leaf {
  path?: number[];
  after: KeyTextValues | null;
  until: KeyTextValues | null;
  missing: KeyTextValues[];
  extra: KeyTextValues[];
  different: KeyTextValues[];
}

const CONCURRENCY = 8;
const MAX_DEPTH = 40;

export type Side = Required<RangeChecksums>;

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimit<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

/** Keys, row checksums → missing/extra/different (a listing is the whole of its range on that side). */
export function diffListings(source: KeyHash[], target: KeyHash[]): Omit<Leaf, 'after' | 'until'> {
  const onTarget = new Map(target.map((r) => [JSON.stringify(r.key), r.hash]));
  const onSource = new Set<string>();
  const leaf: Omit<Leaf, 'after' | 'until'> = { missing: [], extra: [], different: [] };
  for (const r of source) {
    const id = JSON.stringify(r.key);
    onSource.add(id);
    const hash = onTarget.get(id);
    if (hash === undefined) leaf.missing.push(r.key);
    else if (hash !== r.hash) leaf.different.push(r.key);
  }
  for (const r of target) if (!onSource.has(JSON.stringify(r.key))) leaf.extra.push(r.key);
  return leaf;
}

/** One table's comparison: `run()` fills `leaves` with the small ranges that differ. */
export class TableVerifier {
  calls = 0;
  readonly leaves: Leaf[] = [];
  sourceRows = 0;
  targetRows = 0;

  constructor(
    private readonly ref: TableRef,
    private readonly source: Side,
    private readonly target: Side,
    private readonly buckets: number,
    private readonly leafRows: number,
  ) {}

  counts(leaves: Leaf[] = this.leaves): DifferenceCounts {
    const c = { missing: 0, extra: 0, different: 0 };
    for (const l of leaves) {
      c.missing += l.missing.length;
      c.extra += l.extra.length;
      c.different += l.different.length;
    }
    return c;
  }

  /** Compares the whole table; fills `leaves` with the ranges that differ. */
  async run(): Promise<void> {
    let level: Range[] = [
      { after: null, until: null, sourceRows: null, targetRows: null, depth: 0, path: [] },
    ];
    while (level.length > 0) {
      const next: Range[] = [];
      await eachLimit(level, CONCURRENCY, async (range) => {
        next.push(...(await this.visit(range)));
      });
      level = next;
    }
    const byPath = (a: number[] = [], b: number[] = []): number => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
      return a.length - b.length;
    };
    this.leaves.sort((x, y) => byPath(x.path, y.path));
  }

  /** The differing leaves compared again (after a repair), each listed anew on both sides. */
  async compareAgain(leaves: Leaf[]): Promise<Leaf[]> {
    const again: Leaf[] = [];
    await eachLimit(leaves, CONCURRENCY, async (leaf) => {
      again.push((await this.listBoth(leaf.after, leaf.until)) ?? { ...leaf });
    });
    return again;
  }

  /** Lists a small range on both sides, or undefined when one side has grown past the leaf size. */
  async listBoth(after: KeyTextValues | null, until: KeyTextValues | null): Promise<Leaf | undefined> {
    this.calls += 2;
    const [s, t] = await Promise.all([
      this.source.listRange(this.ref, after, until, this.leafRows + 1),
      this.target.listRange(this.ref, after, until, this.leafRows + 1),
    ]);
    if (s.length > this.leafRows || t.length > this.leafRows) return undefined;
    return { after, until, ...diffListings(s, t) };
  }

  private async visit(range: Range): Promise<Range[]> {
    if (range.depth > MAX_DEPTH) throw new Error(`verify did not converge on ${tableName(this.ref)}`);
    const known = range.sourceRows !== null && range.targetRows !== null;
    if (known && Math.max(range.sourceRows!, range.targetRows!) <= this.leafRows) {
      const leaf = await this.listBoth(range.after, range.until);
      if (leaf) {
        if (leaf.missing.length + leaf.extra.length + leaf.different.length > 0)
          this.leaves.push({ ...leaf, path: range.path });
        return [];
      }
    }
    // Split on the side with more rows: its buckets bound the ranges, the other side checksums them.
    let splitSource = (range.sourceRows ?? Number.MAX_SAFE_INTEGER) >= (range.targetRows ?? 0);
    let splitter = splitSource ? this.source : this.target;
    // Buckets of about a quarter of the leaf size: a differing bucket is listed at once.
    const minRows = Math.max(1, Math.floor(this.leafRows / 4));
    this.calls += 1;
    let buckets = await splitter.summarizeRange(this.ref, range.after, range.until, this.buckets, minRows);
    if (buckets.length === 0) {
      splitSource = !splitSource;
      splitter = splitSource ? this.source : this.target;
      this.calls += 1;
      buckets = await splitter.summarizeRange(this.ref, range.after, range.until, this.buckets, minRows);
      if (buckets.length === 0) return [];
    }
    const bounds: Array<KeyTextValues | null> = buckets.map((b) => b.last);
    bounds[bounds.length - 1] = range.until;
    const other = splitSource ? this.target : this.source;
    this.calls += 1;
    const hashes = await other.hashRanges(this.ref, range.after, bounds);
    if (range.depth === 0) {
      const a = buckets.reduce((n, b) => n + b.rows, 0);
      const b = hashes.reduce((n, h) => n + h.rows, 0);
      this.sourceRows = splitSource ? a : b;
      this.targetRows = splitSource ? b : a;
    }
    const out: Range[] = [];
    buckets.forEach((bucket, i) => {
      const h = hashes[i]!;
      if (bucket.rows === h.rows && bucket.hash === h.hash) return;
      out.push({
        after: i === 0 ? range.after : bounds[i - 1]!,
        until: bounds[i]!,
        sourceRows: splitSource ? bucket.rows : h.rows,
        targetRows: splitSource ? h.rows : bucket.rows,
        depth: range.depth + 1,
        path: [...range.path, i],
      });
    });
    return out;
  }
}
