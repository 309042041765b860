/**
 * How far V8 lets the worker's heap grow past what is alive before it collects. On a machine with
 * a few GB of memory V8 grows it up to 4× the live set when the program allocates steadily — and a
 * worker does, all day: every page read, every response parsed, every change delivered. A worker
 * of 200 tables with ~80 MB alive then sat at ~400 MB of heap (and ~800 MB RSS); at 1.3× it holds
 * ~170 MB for a few more (short, mostly concurrent) collections (bench/README.md, "Scale").
 *
 * V8's `--heap-growing-percent` is read at each collection, so it applies when set at start-up,
 * to the main thread and the workflow thread alike. A value given by the user (NODE_OPTIONS or a
 * node argument) is kept.
 */
import { setFlagsFromString } from 'node:v8';

/** The heap may grow to (1 + this/100) × the live set before the next full collection. */
export const HEAP_GROWING_PERCENT = 30;

/** The flag to set, or null when the user gave one (NODE_OPTIONS or a node argument). */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string): string | null {
  const given = [...execArgv, nodeOptions].some((a) => /--heap[-_]growing[-_]percent/.test(a));
  return given ? null : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

let set = false;

export function limitHeapGrowth(): void {
  if (set) return;
  set = true;
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS ?? '');
  if (flag) setFlagsFromString(flag);
}
