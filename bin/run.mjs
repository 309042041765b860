#!/usr/bin/env node
// `node bin/run.mjs src/sync.ts [arguments]`: runs an entry point of this project from its bundle
// (bin/bundled.mjs), as `npm start` and `npm run sync` do.
import path from 'node:path';
import { projectRoot, runBundled } from './bundled.mjs';
import { limitHeap } from './heap-limits.mjs';

/** The entry points that run a worker: its heaps' limits are set before any of its modules load. */
const WORKERS = new Set(['src/sync.ts', 'src/start.ts']);

const [entry] = process.argv.splice(2, 1);
if (!entry || !entry.endsWith('.ts')) {
  console.error('usage: node bin/run.mjs src/<entry>.ts [arguments]');
  process.exit(2);
}
const file = path.resolve(entry);
process.argv[1] = file;
const relative = path.relative(projectRoot, file);
if (WORKERS.has(relative)) limitHeap();
await runBundled(relative);
