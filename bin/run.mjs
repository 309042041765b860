#!/usr/bin/env node
// `node bin/run.mjs src/sync.ts [arguments]`: runs an entry point of this project from its bundle
// (bin/bundled.mjs), as `npm start` and `npm run sync` do.
import path from 'node:path';
import { projectRoot, runBundled } from './bundled.mjs';

const [entry] = process.argv.splice(2, 1);
if (!entry || !entry.endsWith('.ts')) {
  console.error('usage: node bin/run.mjs src/<entry>.ts [arguments]');
  process.exit(2);
}
const file = path.resolve(entry);
process.argv[1] = file;
await runBundled(path.relative(projectRoot, file));
