/** The heap may grow to (1 + this/100) × the live set before the next full collection. */
export const HEAP_GROWING_PERCENT: number;
/** Each semi-space of the young generation, in MB. */
export const SEMI_SPACE_MB: number;
/** The flags to set: those of the two limits the user gave no flag of. */
export function heapFlags(execArgv: readonly string[], nodeOptions: string): string[];
/** Sets the limits; before the worker is made (its workflow thread takes them). */
export function limitHeap(): void;
/** After an isolate was made (the workflow thread): the growth factor V8 set back, set again. */
export function limitHeapAgain(): void;
