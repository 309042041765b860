/**
 * bin/run.mjs and bin/supabase-sync.mjs run the project's entry points from a bundle built once
 * per version of the code (bin/bundled.mjs): the bundle behaves as the TypeScript sources do.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testTmpDir } from '../support/stack-env.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cacheDir = path.join(root, 'node_modules', '.cache', 'supabase-sync');

function run(args: string[], cwd = root) {
  return spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000 });
}

test('the CLI run from another folder finds the files beside its modules (the migrations)', async () => {
  const result = run([path.join(root, 'bin', 'supabase-sync.mjs'), 'migrate'], os.tmpdir());
  assert.equal(result.status, 0, result.stderr);
  const migrations = (await readdir(path.join(root, 'supabase', 'migrations'))).filter((f) =>
    f.endsWith('.sql'),
  );
  for (const file of migrations) assert.ok(result.stdout.includes(file), `${file} not printed`);
  const last = await readFile(path.join(root, 'supabase', 'migrations', migrations.sort().at(-1)!), 'utf8');
  assert.ok(result.stdout.includes(last.trim().split('\n').at(-1)!), 'the last migration’s text');
});

test('the bundle is built once for a version of the code and reused by the next start', async () => {
  const built = run(['-e', "console.log(await (await import('./bin/bundled.mjs')).bundle('src/sync.ts'))"]);
  assert.equal(built.status, 0, built.stderr);
  const file = built.stdout.trim();
  assert.equal(path.dirname(file), cacheDir);
  const mtime = (await stat(file)).mtimeMs;
  const again = run(['bin/run.mjs', 'src/sync.ts', '--help']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /Usage: sync/);
  assert.equal((await stat(file)).mtimeMs, mtime, 'built again');
  // The worker's bundle holds none of the local stack's code.
  assert.doesNotMatch(await readFile(file, 'utf8'), /devstack\//);
});

test('a copy of the project elsewhere, sharing node_modules, runs its own files', async () => {
  const copy = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-copy-'));
  try {
    for (const dir of ['bin', 'src', 'supabase'])
      await cp(path.join(root, dir), path.join(copy, dir), { recursive: true });
    await symlink(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
    await writeFile(
      path.join(copy, 'supabase', 'migrations', '99990101000000_only_in_the_copy.sql'),
      'SELECT 1;\n',
    );
    const inCopy = run([path.join(copy, 'bin', 'supabase-sync.mjs'), 'migrate'], os.tmpdir());
    assert.equal(inCopy.status, 0, inCopy.stderr);
    assert.match(inCopy.stdout, /99990101000000_only_in_the_copy\.sql/);
    const here = run([path.join(root, 'bin', 'supabase-sync.mjs'), 'migrate'], os.tmpdir());
    assert.equal(here.status, 0, here.stderr);
    assert.doesNotMatch(here.stdout, /only_in_the_copy/);
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
});

test('bin/run.mjs without an entry point says how to call it', () => {
  const result = run(['bin/run.mjs']);
  assert.equal(result.status, 2);
  assert.equal(result.stderr.trim(), 'usage: node bin/run.mjs src/<entry>.ts [arguments]');
});
