/**
 * devstack/guard.sh, which keeps the stack's servers and temporary paths from outliving it: what
 * it guards ends, and its paths go, when its owner closes its stdin or dies — even SIGKILLed, and
 * even when the command ends by the signal (the shell then reports it on the owner's closed
 * pipe) — a command that ignores its signal is SIGKILLed after the grace period, `keep` spares the
 * paths, and a SIGKILLed guard takes its command down (setpriv --pdeathsig, where it exists).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { guard, guardPaths } from '../../devstack/guard.js';
import { waitFor } from '../support/wait.js';
import { root, stillRunning, type Proc } from './stack-process.js';
import { testTmpDir } from '../support/stack-env.js';

const dirs: string[] = [];
const started: Proc[] = [];
const owners: ChildProcess[] = [];

async function tempPath(): Promise<string> {
  const dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-guard-'));
  dirs.push(dir);
  return dir;
}

/** The command under the guard `guardPid` (its child that is not the guard's own watcher). */
function commandOf(guardPid: number): Proc | undefined {
  const out = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(guardPid)], { encoding: 'utf8' });
  for (const line of out.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m && !m[2]!.includes('guard.sh')) return { pid: Number(m[1]), ppid: guardPid, args: m[2]! };
  }
  return undefined;
}

/** An owner process that starts `sleep` under a guard and prints the guard's pid. */
async function owner(args: string, dir: string) {
  const script = `
    import { guard } from './devstack/guard.ts';
    const g = guard(['sh', '-c', ${JSON.stringify(args)}], { remove: [${JSON.stringify(dir)}], graceSeconds: 1 });
    console.log('guard ' + g.child.pid);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  owners.push(child);
  const guardPid = Number(await waitFor(() => /guard (\d+)/.exec(out)?.[1], { timeoutMs: 10_000 }));
  const command = await waitFor(() => commandOf(guardPid), { timeoutMs: 5000 });
  started.push(command);
  return { child, guardPid, command };
}

after(async () => {
  for (const child of owners) child.kill('SIGKILL');
  for (const p of stillRunning(started)) process.kill(p.pid, 'SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('guard.sh', () => {
  test('its owner SIGKILLed: the command, ended by the signal, and the paths are gone at once', async () => {
    const dir = await tempPath();
    const { child, command } = await owner('exec sleep 60', dir);
    const began = Date.now();
    child.kill('SIGKILL');
    await waitFor(() => stillRunning([command]).length === 0 && !existsSync(dir), {
      timeoutMs: 2000,
      message: () => `command running: ${stillRunning([command]).length}, directory left: ${existsSync(dir)}`,
    });
    assert.ok(Date.now() - began < 2000);
  });

  test('a command that ignores its signal is SIGKILLed after the grace period', async () => {
    const dir = await tempPath();
    const { child, command } = await owner("trap '' TERM; while :; do sleep 0.1; done", dir);
    const began = Date.now();
    child.kill('SIGKILL');
    await waitFor(() => stillRunning([command]).length === 0 && !existsSync(dir), { timeoutMs: 5000 });
    assert.ok(Date.now() - began >= 900, 'not before the grace period (1 s)');
  });

  test('a SIGKILLed guard takes its command down (setpriv --pdeathsig)', async (t) => {
    if (spawnSync('setpriv', ['--pdeathsig', 'TERM', 'true']).status !== 0)
      return t.skip('no setpriv --pdeathsig');
    const dir = await tempPath();
    const { child, guardPid, command } = await owner('exec sleep 60', dir);
    process.kill(guardPid, 'SIGKILL');
    await waitFor(() => stillRunning([command]).length === 0, { timeoutMs: 2000 });
    child.kill('SIGKILL');
  });

  test('paths: removed on stop, kept on `keep`; a file only while its first line is the given one', async () => {
    const dir = await tempPath();
    const [gone, kept] = [path.join(dir, 'gone'), path.join(dir, 'kept')];
    const [mine, rewritten] = [path.join(dir, 'mine.env'), path.join(dir, 'rewritten.env')];
    for (const file of [gone, kept]) await writeFile(file, '');
    await writeFile(mine, '# stack 1\nA=1\n');
    await writeFile(rewritten, '# stack 1\nA=1\n');
    const line = { line: '# stack 1' };
    const guards = [
      guardPaths([gone]),
      guardPaths([], { removeIfFirstLine: { file: mine, ...line } }),
      guardPaths([], { removeIfFirstLine: { file: rewritten, ...line } }),
    ];
    await writeFile(rewritten, '# someone else\nA=2\n');
    for (const g of guards) assert.equal(await g.stop(), 0);
    assert.equal(await guardPaths([kept]).keep(), 0);
    assert.deepEqual(
      [gone, kept, mine, rewritten].map((f) => existsSync(f)),
      [false, true, false, true],
    );
    assert.equal(await readFile(rewritten, 'utf8'), '# someone else\nA=2\n');
    // A command's exit code is the guard's.
    assert.equal(await guard(['sh', '-c', 'exit 3']).exited, 3);
  });

  test('release: the command is stopped and its paths kept (a database stopped to start again)', async () => {
    const dir = await tempPath();
    const data = path.join(dir, 'data');
    await writeFile(data, 'rows');
    const g = guard(['sh', '-c', 'exec sleep 60'], { remove: [data], graceSeconds: 1 });
    const command = await waitFor(() => commandOf(g.child.pid!), { timeoutMs: 5000 });
    started.push(command);
    await g.release();
    assert.deepEqual(stillRunning([command]), [], 'the command is stopped');
    assert.equal(await readFile(data, 'utf8'), 'rows', 'its path is kept');
    const again = guard(['sh', '-c', 'exec sleep 60'], { remove: [data], graceSeconds: 1 });
    await waitFor(() => commandOf(again.child.pid!), { timeoutMs: 5000 });
    await again.stop();
    assert.ok(!existsSync(data), 'stopped (not released), its guard removes the path');
  });
});
