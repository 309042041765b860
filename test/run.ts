/**
 * The test harness: starts ONE local stack (two Postgres servers, two Supabase APIs, one Temporal
 * dev server) for the whole run, hands it to every test file through environment variables, runs
 * the files with Node's test runner, and stops the stack.
 *
 *   npx tsx test/run.ts                 # every test/**\/*.test.ts
 *   npx tsx test/run.ts test/foo.test.ts
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startStack } from '../devstack/stack.js';
import { parsePlan } from '../devstack/realtime/plans.js';
import { workflowsPath } from '../src/worker.js';

const root = fileURLToPath(new URL('..', import.meta.url));

async function findTests(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await findTests(full)));
    else if (entry.name.endsWith('.test.ts')) files.push(full);
  }
  return files.sort();
}

const args = process.argv.slice(2);
const files = args.length > 0 ? args.map((f) => path.resolve(f)) : await findTests(path.join(root, 'test'));
const started = Date.now();
// Bundle the workflow code once for the whole run; every test worker loads this bundle.
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const bundleDir = await mkdtemp(path.join(os.tmpdir(), 'supabase-sync-bundle-'));
const bundlePath = path.join(bundleDir, 'workflows.js');
const bundling = bundleWorkflowCode({ workflowsPath, logger: quiet }).then((b) =>
  writeFile(bundlePath, b.code),
);
// The hosted plan whose Realtime quotas the stack enforces: free unless TEST_REALTIME_PLAN says.
let realtimePlan;
try {
  realtimePlan = parsePlan(process.env.TEST_REALTIME_PLAN, 'TEST_REALTIME_PLAN').name;
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const stack = await startStack({
  temporalUi: process.env.TEST_TEMPORAL_UI === '1',
  realtimePlan,
  log: (line) => {
    if (process.env.TEST_VERBOSE) console.error(line);
  },
});
await bundling;
console.log(
  `test stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${stack.temporal.address}, Realtime plan ${stack.realtimePlan})`,
);

let exitCode = 1;
try {
  exitCode = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
      stdio: 'inherit',
      cwd: root,
      env: {
        ...process.env,
        ...stack.env,
        SUPABASE_SYNC_TEST: '1',
        // The process serving the local APIs (this one), for tests that watch its memory.
        STACK_API_PID: String(process.pid),
        SUPABASE_SYNC_WORKFLOW_BUNDLE: bundlePath,
      },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await stack.stop();
  await rm(bundleDir, { recursive: true, force: true });
}
process.exit(exitCode);
