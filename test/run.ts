/**
 * The test harness: starts ONE local stack (two Postgres servers, two Supabase APIs, one Temporal
 * dev server) for the whole run, hands it to every test file through environment variables, runs
 * the files with Node's test runner, and stops the stack. SIGINT, SIGTERM or the death of its
 * parent process (npm SIGKILLed) stops the test runner (which ends its files' processes), then
 * the stack; the stack's servers and the run's temporary folder are under guards (devstack/guard.ts),
 * so nothing of the harness outlives it even when it is SIGKILLed.
 *
 * Which files, how many at once and in which order: test/support/test-files.ts. A whole run (no
 * file named) runs the static checks first (test/support/checks.ts), side by side with the stack's
 * start.
 *
 *   npm test                                   # checks, then every test/**\/*.test.ts
 *   npm test -- test/cli test/foo.test.ts      # files and folders only, no checks
 *   npm test -- --changed                      # the files a change touches
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { guardPaths } from '../devstack/guard.js';
import { startStack } from '../devstack/stack.js';
import { listenForStop } from '../src/engine/stop-signals.js';
import { parsePlan } from '../devstack/realtime/plans.js';
import { workflowBundle } from '../src/temporal/workflow-bundle.js';
import { runChecks } from './support/checks.js';
import { concurrency, reportFileTimes, selectTestFiles, slowestFirst } from './support/test-files.js';

const root = fileURLToPath(new URL('..', import.meta.url));

let files: string[];
let parallel: number;
try {
  const selected = await selectTestFiles(process.argv.slice(2), root);
  if (selected.note) console.log(selected.note);
  if (selected.files.length === 0) process.exit(0);
  files = await slowestFirst(selected.files, root);
  parallel = concurrency();
} catch (error) {
  console.error(`test/run.ts: ${(error as Error).message}`);
  process.exit(2);
}
const started = Date.now();
// From the start: a stop requested while the stack starts skips the tests.
let forwardStop: ((why: string) => void) | undefined;
const stop = listenForStop({
  parent: true,
  first: (why) => {
    console.error(`${why}: stopping the tests, then the stack …`);
    forwardStop?.(why);
  },
  again: (why) => forwardStop?.(why),
});
// The run's own temporary folder (file times, locks, the tests' temporary folders), removed by its
// guard however the run ends.
const runDir = await mkdtemp(path.join(os.tmpdir(), 'supabase-sync-test-run-'));
const runDirGuard = guardPaths([runDir]);
// The test files' temporary folders (test/support/stack-env.ts testTmpDir), open to the `postgres`
// user too (stacks that tests start keep their data there): removed with the run's folder.
const tmpDir = path.join(runDir, 'tmp');
await mkdir(tmpDir);
await chmod(runDir, 0o711);
await chmod(tmpDir, 0o1777);
// Each test file's process writes its wall time here (test/support/file-setup.mjs).
const timesDir = path.join(runDir, 'file-times');
await mkdir(timesDir);
// Locks between test files that share a part of the stack (test/support/resource-lock.ts).
const lockDir = path.join(runDir, 'locks');
await mkdir(lockDir);
// The workflow bundle for this code, built once (and cached) before the files' workers need it.
const bundling = workflowBundle();
// A whole run (no files named) checks types, lint and format, from the stack's start on.
const checking = process.argv.length > 2 ? Promise.resolve(true) : runChecks(root);
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
// The checks go on beside the tests; one that fails stops them (and fails the run) at once.
let checksFailed = false;
void checking.then((ok) => {
  if (ok) return;
  checksFailed = true;
  console.error('test/run.ts: a check failed (above): stopping the tests');
  forwardStop?.('SIGTERM');
});
console.log(
  `test stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${stack.temporal.address}, Realtime plan ${stack.realtimePlan})`,
);

let exitCode = 1;
try {
  exitCode = await new Promise<number>((resolve) => {
    if (stop.signal.aborted) return resolve(130);
    if (checksFailed) return resolve(1);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './test/support/file-setup.mjs',
        '--test',
        `--test-concurrency=${parallel}`,
        '--test-reporter=spec',
        ...files,
      ],
      {
        stdio: 'inherit',
        cwd: root,
        env: {
          ...process.env,
          ...stack.env,
          SUPABASE_SYNC_TEST: '1',
          // The process serving the local APIs (this one), for tests that watch its memory.
          STACK_API_PID: String(process.pid),
          TEST_FILE_TIMES_DIR: timesDir,
          TEST_LOCK_DIR: lockDir,
          TEST_TMP_DIR: tmpDir,
          // stack.env holds STACK_*_JWT_SECRET: each file's process signs keys of its own with them
          // (test/support/file-setup.mjs).
        },
      },
    );
    // Node's test runner ends its test files' processes on SIGINT or SIGTERM (Node 20); its guard
    // sends it SIGTERM if this process is SIGKILLed, and is spared once it has ended.
    forwardStop = (why) => child.kill(why === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
    const runnerGuard = guardPaths([], { kill: child.pid });
    child.on('exit', (code, signal) => {
      void runnerGuard.keep();
      resolve(code ?? (signal ? 1 : 0));
    });
  });
} finally {
  // Whatever hangs, the harness ends within 10 s: the guards then stop what is left.
  setTimeout(() => process.exit(exitCode || 1), 10_000).unref();
  process.stdout.write(await reportFileTimes(timesDir, root).catch(() => ''));
  await stack.stop();
  await runDirGuard.stop();
}
process.exit((await checking) ? exitCode : 1);
