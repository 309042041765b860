/**
 * `verifyTable`: proves the target holds exactly the source's rows of one table without moving the
 * table. Both sides are summarized over the same primary-key ranges (row count + sum of 64-bit row
 * checksums, computed in the database by supabase/migrations/20251124120000_sync_verify.sql); ranges
 * that differ are split recursively (bounds computed on one side, checksums of exactly those ranges
 * asked of the other) until they are small enough to list keys + row checksums on both sides. With
 * `repair`, missing and different rows are re-read from the source and written through
 * `sync_apply_upserts`, extra rows deleted through `sync_apply_deletes`, and the differing ranges
 * compared again. Row data stays inside this activity: its result holds counts and a few keys.
 */
import { heartbeat } from '@temporalio/activity';
import {
  SyncError,
  type KeyHash,
  type KeyText,
  type RangeChecksums,
  type Row,
  type TableRef,
} from '../supabase/ports.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import type { TableRefInput } from './types.js';

export type DifferenceKind = 'missing' | 'extra' | 'different';

export interface VerifyTableInput {
  table: TableRefInput;
  /** To find the version column (the first that exists), used for the version guard on repair. */
  incrementalFields: string[];
  repair: boolean;
  /** How many differing keys the result may carry (default 20). */
  sampleSize?: number;
  /** Buckets per split at most (default 1024) and the range size listed key by key (default 2000 rows). */
  buckets?: number;
  leafRows?: number;
}

export interface DifferenceCounts {
  missing: number;
  extra: number;
  different: number;
}

export interface VerifyTableResult extends DifferenceCounts {
  table: string;
  sourceRows: number;
  targetRows: number;
  /** At most `sampleSize` differing keys (primary-key values as text, in key order). */
  sample: Array<{ kind: DifferenceKind; key: KeyText }>;
  /** Present with `repair` when there was something to repair. */
  repair?: {
    written: number;
    deleted: number;
    /** Rows the target refused (a recent tombstone) or that changed on the source meanwhile. */
    skipped: number;
    /** The differing ranges compared again after the repair. */
    remaining: DifferenceCounts;
  };
  /** True when the target equals the source (after the repair, with `repair`). */
  equal: boolean;
  /** Database calls made (each one RPC to one project). */
  calls: number;
  durationMs: number;
}

interface Range {
  after: KeyText | null;
  until: KeyText | null;
  /** Row counts of the range when known (from the parent split). */
  sourceRows: number | null;
  targetRows: number | null;
  depth: number;
  /** Bucket indexes from the top: orders the leaves by key. */
  path: number[];
}

interface Leaf {
  path?: number[];
  after: KeyText | null;
  until: KeyText | null;
  missing: KeyText[];
  extra: KeyText[];
  different: KeyText[];
}

const DEFAULT_BUCKETS = 1024;
const DEFAULT_LEAF_ROWS = 2000;
const CONCURRENCY = 8;
const MAX_DEPTH = 40;
const REPAIR_BATCH = 500;

type Side = Required<RangeChecksums>;

function checked(project: RangeChecksums, role: string): Side {
  if (!project.summarizeRange || !project.hashRanges || !project.listRange) {
    throw new SyncError(`the ${role} project does not support verify (no range checksums)`, 'config');
  }
  return project as Side;
}

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

function keyRow(primaryKeys: string[], key: KeyText): Row {
  return Object.fromEntries(primaryKeys.map((k, i) => [k, key[i] ?? null]));
}

function keyId(primaryKeys: string[], row: Row): string {
  return JSON.stringify(
    primaryKeys.map((k) => {
      const value = row[k];
      if (value === null || value === undefined) return null;
      return typeof value === 'string' ? value : JSON.stringify(value);
    }),
  );
}

class TableVerifier {
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

  /** Lists a small range on both sides, or undefined when one side has grown past the leaf size. */
  async listBoth(after: KeyText | null, until: KeyText | null): Promise<Leaf | undefined> {
    this.calls += 2;
    const [s, t] = await Promise.all([
      this.source.listRange(this.ref, after, until, this.leafRows + 1),
      this.target.listRange(this.ref, after, until, this.leafRows + 1),
    ]);
    if (s.length > this.leafRows || t.length > this.leafRows) return undefined;
    return { after, until, ...diffListings(s, t) };
  }

  private async visit(range: Range): Promise<Range[]> {
    if (range.depth > MAX_DEPTH)
      throw new Error(`verify did not converge on ${this.ref.schema}.${this.ref.table}`);
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
    const bounds: Array<KeyText | null> = buckets.map((b) => b.last);
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

export function createVerifyActivities(deps: ActivityDeps) {
  return {
    async verifyTable(input: VerifyTableInput): Promise<VerifyTableResult> {
      const started = Date.now();
      const ref: TableRef = input.table;
      const name = `${ref.schema}.${ref.table}`;
      const sampleSize = input.sampleSize ?? 20;
      let verifier: TableVerifier | undefined;
      return failClearly(() =>
        keepBeating(
          () => ({ calls: verifier?.calls ?? 0, ...verifier?.counts() }),
          async () => {
            const source = checked(deps.source, 'source');
            const target = checked(deps.target, 'target');
            await deps.target.checkTable(ref);
            verifier = new TableVerifier(
              ref,
              source,
              target,
              input.buckets ?? DEFAULT_BUCKETS,
              input.leafRows ?? DEFAULT_LEAF_ROWS,
            );
            const v = verifier;
            await v.run();
            const found = v.counts();
            const sample: VerifyTableResult['sample'] = [];
            for (const leaf of v.leaves) {
              for (const kind of ['missing', 'extra', 'different'] as const) {
                for (const key of leaf[kind]) if (sample.length < sampleSize) sample.push({ kind, key });
              }
            }
            const result: VerifyTableResult = {
              table: name,
              sourceRows: v.sourceRows,
              targetRows: v.targetRows,
              ...found,
              sample,
              equal: v.leaves.length === 0,
              calls: 0,
              durationMs: 0,
            };
            if (input.repair && v.leaves.length > 0) {
              heartbeat({ calls: v.calls, ...found, repairing: true });
              const repair = await repairLeaves(deps, ref, input.incrementalFields, v.leaves);
              // Compare the differing ranges again (listing them anew on both sides).
              const after: Leaf[] = [];
              await eachLimit(v.leaves, CONCURRENCY, async (leaf) => {
                const again = await v.listBoth(leaf.after, leaf.until);
                if (again) after.push(again);
                else after.push({ ...leaf });
              });
              const remaining = v.counts(after);
              result.repair = { ...repair, remaining };
              result.equal = remaining.missing + remaining.extra + remaining.different === 0;
              // Rows on the target after the repair: what was there, plus written missing, minus deleted.
              result.targetRows =
                v.targetRows + (found.missing - remaining.missing) - (found.extra - remaining.extra);
            }
            result.calls = v.calls;
            result.durationMs = Date.now() - started;
            deps.logger.info(
              {
                table: name,
                sourceRows: result.sourceRows,
                missing: found.missing,
                extra: found.extra,
                different: found.different,
                repair: result.repair,
                calls: result.calls,
                durationMs: result.durationMs,
              },
              'verify: table compared',
            );
            return result;
          },
        ),
      );
    },
  };
}

/**
 * Missing rows: re-read from the source and upserted with the version guard (nothing to guard
 * against on the target; a recent tombstone still holds them off). Different rows: re-read from
 * the source and upserted WITHOUT a version column, so `sync_apply_upserts` writes them whenever
 * they differ — the source is the truth, even when the target's copy carries a newer-looking
 * version (written on the target by hand, or by a clock ahead). Extra rows: deleted, unless they
 * exist on the source by now (then they are not extra any more and are left to the sync).
 */
async function repairLeaves(
  deps: ActivityDeps,
  ref: TableRef,
  incrementalFields: string[],
  leaves: Leaf[],
): Promise<{ written: number; deleted: number; skipped: number }> {
  const versionColumn = (await deps.source.findVersionColumn(ref, incrementalFields)) ?? null;
  const totals = { written: 0, deleted: 0, skipped: 0 };
  const batches = <T>(items: T[]): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += REPAIR_BATCH) out.push(items.slice(i, i + REPAIR_BATCH));
    return out;
  };
  const upsert = async (keys: KeyText[], guard: string | null) => {
    for (const batch of batches(keys)) {
      const rows = await deps.source.readRowsByKeys(
        ref,
        batch.map((k) => keyRow(ref.primaryKeys, k)),
      );
      const { written, skipped } = await deps.target.applyUpserts(ref, guard, rows);
      totals.written += written;
      totals.skipped += skipped + (batch.length - rows.length);
      heartbeat({ repairing: true, ...totals });
    }
  };
  await upsert(
    leaves.flatMap((l) => l.missing),
    versionColumn,
  );
  await upsert(
    leaves.flatMap((l) => l.different),
    null,
  );
  for (const batch of batches(leaves.flatMap((l) => l.extra))) {
    const keys = batch.map((k) => keyRow(ref.primaryKeys, k));
    const back = new Set((await deps.source.readRowsByKeys(ref, keys)).map((r) => keyId(ref.primaryKeys, r)));
    const gone = keys.filter((k) => !back.has(keyId(ref.primaryKeys, k)));
    const { deleted } = await deps.target.applyDeletes(ref, null, gone);
    totals.deleted += deleted;
    totals.skipped += keys.length - deleted;
    heartbeat({ repairing: true, ...totals });
  }
  return totals;
}
