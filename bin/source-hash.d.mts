/** Where the bundles are kept, under the project's root. */
export function cacheDirOf(root: string): string;
/** A hash of `extra` and of every .ts and .mjs file under `dirs` of `root` (names and contents). */
export function sourceHash(root: string, dirs: string[], extra: string[]): Promise<string>;
