// The version of the project's own code (its TypeScript, and the launcher's modules that it
// imports: bin/heap-limits.mjs), as a short hash: the key of the bundles built from
// it and kept in node_modules/.cache/supabase-sync/ (bin/bundled.mjs: the entry points;
// src/temporal/workflow-bundle.ts: the workflow bundle). Plain JavaScript, so that the launcher can
// use it before any TypeScript runs.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the bundles are kept, under the project's root. */
export function cacheDirOf(root) {
  return path.join(root, 'node_modules', '.cache', 'supabase-sync');
}

async function tsFiles(dir) {
  // (An image may hold src/ without devstack/.)
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return tsFiles(full);
      return e.name.endsWith('.ts') || e.name.endsWith('.mjs') ? [full] : [];
    }),
  );
  return nested.flat().sort();
}

/** A hash of `extra` and of every .ts and .mjs file under `dirs` of `root` (names and contents). */
export async function sourceHash(root, dirs, extra) {
  const hash = createHash('sha256');
  hash.update(`${extra.join('\0')}\0`);
  for (const dir of dirs)
    for (const file of await tsFiles(path.join(root, dir))) {
      hash.update(path.relative(root, file));
      hash.update(await readFile(file));
    }
  return hash.digest('hex').slice(0, 16);
}
