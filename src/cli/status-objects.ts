/**
 * The app's part of `supabase-sync status`: the policies, privileges, functions, views, triggers,
 * types … around the synced tables that differ on the target, read from both projects directly
 * (src/engine/schema-compare.ts `compareAppObjects`: two calls, no worker needed) within
 * READ_TIMEOUT_MS. One line each, at most SHOWN, then how many more; in `--json`, one entry each.
 * The tables' own columns are each table's `schema drift` lines.
 */
import type { AppDifference } from '../contracts/app-catalog.js';
import type { SyncConfig } from '../contracts/config.js';
import { errorMessage } from '../core/errors.js';
import { compareAppObjects } from '../engine/schema-compare.js';
import { connectSource } from '../supabase/source.js';
import { connectTarget } from '../supabase/target.js';

const READ_TIMEOUT_MS = 3000;
/** Lines shown at most; `schema diff` lists them all. */
export const SHOWN = 10;

export interface ObjectsReport {
  /** The app's objects that differ on the target. */
  objects?: AppDifference[];
  /** Why they could not be compared. */
  objectsError?: string;
}

/** Both projects' objects compared, or why not, within READ_TIMEOUT_MS. */
export async function readObjectDifferences(cfg: SyncConfig): Promise<ObjectsReport> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${READ_TIMEOUT_MS / 1000} s`)),
      READ_TIMEOUT_MS,
    );
  });
  try {
    const compared = compareAppObjects(
      connectSource(cfg.source),
      connectTarget(cfg.target),
      cfg.tables,
      cfg.storage,
    );
    return { objects: await Promise.race([compared, deadline]) };
  } catch (error) {
    return { objectsError: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** For `status --watch`: readObjectDifferences at most once every `ms`, the last answer meanwhile. */
export function objectsEvery(ms: number): (cfg: SyncConfig) => Promise<ObjectsReport> {
  let last: { at: number; report: Promise<ObjectsReport> } | undefined;
  return (cfg) => {
    if (last === undefined || Date.now() - last.at >= ms)
      last = { at: Date.now(), report: readObjectDifferences(cfg) };
    return last.report;
  };
}

/** The plain view's lines (none when everything matches). */
export function objectLines(r: ObjectsReport): string[] {
  if (r.objectsError !== undefined)
    return [`(the app's policies, privileges and functions could not be compared: ${r.objectsError})`];
  const objects = r.objects ?? [];
  if (objects.length === 0) return [];
  return [
    `schema: ${objects.length} of the app's objects (policies, privileges, functions, views, triggers, types, indexes) differ on the target:`,
    ...objects.slice(0, SHOWN).map((d) => `  ${d.message}`),
    ...(objects.length > SHOWN ? [`  and ${objects.length - SHOWN} more (supabase-sync schema diff)`] : []),
  ];
}

/** `--json`: one entry per object that differs (`state: "differs"`), or one saying why none could be compared. */
export function objectEntries(r: ObjectsReport): unknown[] {
  if (r.objectsError !== undefined)
    return [{ object: "the app's objects", state: 'not compared', error: r.objectsError }];
  return (r.objects ?? []).map((d) => ({
    object: d.object,
    kind: d.kind,
    state: 'differs',
    change: d.change,
    message: d.message,
    sql: d.sql,
    ...(d.leftOut !== undefined ? { leftOut: d.leftOut } : {}),
    ...(d.dropsData ? { dropsData: true } : {}),
  }));
}
