// How far V8 lets the worker's heaps grow past what is alive: two V8 flags set when a worker
// starts, for the main thread and the workflow thread alike. A flag the user gave (NODE_OPTIONS or
// a node argument) is kept. Plain JavaScript: bin/run.mjs sets them before the worker's modules
// load (the main thread's young generation must be limited before it grows); src/worker.ts again
// for a worker made in another process (tests, the bench).
//
// - The old generation: on a machine with a few GB of memory V8 grows it up to 4× the live set
//   when the program allocates steadily — and a worker does, all day: every page read, every
//   response parsed, every change delivered. A worker of 200 tables with ~80 MB alive then sat at
//   ~400 MB of heap (and ~800 MB RSS); `--heap-growing-percent=30` holds it near 1.3× for a few
//   more (short, mostly concurrent) collections. Read at each collection.
// - The young generation: V8 grows each isolate's two semi-spaces from 1 MB to 16 MB when much
//   survives a scavenge, and does not give them back: 32 MB of new space in the main thread and
//   32 MB in the workflow thread, most of it empty between scavenges, and objects promoted later
//   and in larger batches. A worker's young objects are short-lived (responses, changes,
//   activations), so 1 MB semi-spaces cost more, smaller scavenges (bench/README.md, "Scale").
//   The main isolate exists when this runs: its semi-spaces are kept from growing
//   (`--semi-space-growth-factor=1`); the workflow thread's isolate, made later, takes
//   `--max-semi-space-size=1`. V8 sets the growth factor back to 2 whenever it makes an isolate,
//   so the worker sets it again once its workflow thread runs (`limitHeapAgain`).
import { setFlagsFromString } from 'node:v8';

/** The heap may grow to (1 + this/100) × the live set before the next full collection. */
export const HEAP_GROWING_PERCENT = 30;
/** Each semi-space of the young generation, in MB (V8 starts at 1 and grows to 16 by default). */
export const SEMI_SPACE_MB = 1;

/** The flags to set: those of the two limits the user gave no flag of. */
export function heapFlags(execArgv, nodeOptions) {
  const given = (name) => [...execArgv, nodeOptions].some((a) => name.test(a));
  const flags = [];
  if (!given(/--heap[-_]growing[-_]percent/)) flags.push(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  if (!given(/--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/))
    flags.push('--semi-space-growth-factor=1', `--max-semi-space-size=${SEMI_SPACE_MB}`);
  return flags;
}

/** The flags set, once a process. */
let flags = null;

/** Sets the limits; before the worker is made (its workflow thread takes them). */
export function limitHeap() {
  if (flags) return;
  flags = heapFlags(process.execArgv, process.env.NODE_OPTIONS ?? '');
  for (const flag of flags) setFlagsFromString(flag);
}

/** After an isolate was made (the workflow thread): the growth factor V8 set back, set again. */
export function limitHeapAgain() {
  for (const flag of flags ?? []) if (flag.startsWith('--semi-space-growth-factor')) setFlagsFromString(flag);
}
