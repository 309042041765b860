/**
 * Loaded into every test file's process before the file (the harness passes `--import` to the test
 * runner, which hands its own flags to each file's process). Plain JavaScript, as the runner itself
 * loads it too (and it does nothing there).
 *
 * - Its own keys: the service role keys in the environment are replaced by keys of the same
 *   projects with a `ref` of this file's own (signed with the stack's JWT secrets). The local
 *   Realtime keeps its quotas per ref, as hosted keeps them per project: several files at once do
 *   not share one plan's messages per second, joins per second or clients, and a file that bursts
 *   over its quota drops only its own changes. Programs a test starts get the same keys (from the
 *   environment, or the env files the tests write from it).
 * - Its wall time, written to $TEST_FILE_TIMES_DIR when the process exits, for the harness's
 *   "slowest test files" list. (The runner's reporters cannot time files: with several files at
 *   once, it reports each file's events only after the files before it.)
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const file = process.argv[1];

if (file?.endsWith('.test.ts')) {
  const name = path.relative(process.cwd(), file);
  const ref = `test-${name
    .replace(/^test[\\/]/, '')
    .replace(/\.test\.ts$/, '')
    .replace(/[^a-z0-9]+/gi, '-')}`;
  // tsx is loaded before this module (the harness's --import order), so TypeScript imports work.
  const { makeServiceRoleKey } = await import('../../devstack/keys.ts');
  for (const side of ['SOURCE', 'TARGET']) {
    const secret = process.env[`STACK_${side}_JWT_SECRET`];
    if (secret) process.env[`SYNC_${side}_SUPABASE_SERVICE_ROLE_KEY`] = makeServiceRoleKey(secret, ref);
  }

  const dir = process.env.TEST_FILE_TIMES_DIR;
  if (dir) {
    const started = Date.now() - Math.round(process.uptime() * 1000);
    process.on('exit', () => {
      const record = JSON.stringify({ file: name, seconds: (Date.now() - started) / 1000 });
      writeFileSync(path.join(dir, `${name.replace(/[\\/]/g, '__')}.json`), record);
    });
  }
}
