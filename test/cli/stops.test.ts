/**
 * Ctrl-C as a user presses it (SIGINT to the whole process group), on `npm start`: the demo
 * while it starts its local stack and while it shows changes arriving, and the sync with an env
 * file and an embedded Temporal server while it starts and while it syncs. Each stops within a
 * few seconds with a short summary and no stack trace, the worker before the servers it needs,
 * and leaves no process running. The same for SIGINT to the npm process alone (as `timeout`, a
 * supervisor or a CI runner sends it), on `npm start`'s demo and on `npm run sync`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { closeDatabases, createNotesTable, uniqueName } from '../support/db.js';
import { envFileText, testStack, testTmpDir } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';
import { descendants, stillRunning } from '../devstack/stack-process.js';
import { root } from './cli.js';

const stack = testStack();
const dirs: string[] = [];

interface Started {
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** `command` in `cwd`, in a process group of its own (as a terminal, a supervisor or a script runs it). */
function spawnGroup(command: string, args: string[], cwd: string, env: Record<string, string>): Started {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SYNC_METRICS_ADDRESS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { pid: child.pid!, output: () => output, exited };
}

/** `npm start` (src/start.ts) in `cwd`, as a terminal runs it. */
function npmStart(cwd: string, args: string[], env: Record<string, string>): Started {
  const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  return spawnGroup(process.execPath, ['--import', tsx, path.join(root, 'src/start.ts'), ...args], cwd, env);
}

/** `npm run SCRIPT -- ARGS`, as a supervisor or a script runs it. */
function npmRun(script: string, args: string[], env: Record<string, string>): Started {
  return spawnGroup('npm', ['run', script, '--', ...args], root, env);
}

/** Ctrl-C: SIGINT to the process group (or to `run` alone); resolves with the exit code and how long it took. */
async function ctrlC(
  run: Started,
  to: 'group' | 'process' = 'group',
): Promise<{ code: number | null; ms: number }> {
  const began = Date.now();
  process.kill(to === 'group' ? -run.pid : run.pid, 'SIGINT');
  const code = await Promise.race([
    run.exited,
    new Promise<'slow'>((r) => setTimeout(() => r('slow'), 30_000)),
  ]);
  if (code === 'slow') {
    process.kill(-run.pid, 'SIGKILL');
    assert.fail(`still running 30 s after Ctrl-C:\n${run.output()}`);
  }
  return { code, ms: Date.now() - began };
}

/** Processes whose command line names `dir` (the servers keep their data there). */
function runningIn(dir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes(dir) && !line.includes('ps -eo'));
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(testTmpDir(), prefix));
  // Readable by the postgres user the local stack runs its servers as (when run as root).
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}

function assertClean(run: Started, result: { code: number | null; ms: number }, dir: string): void {
  const out = run.output();
  assert.equal(result.code, 0, out);
  assert.ok(result.ms < 15_000, `stopped ${result.ms} ms after Ctrl-C:\n${out}`);
  assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(out, /Unhandled|ECONNREFUSED|UNAVAILABLE|refused/i, out);
  assert.deepEqual(runningIn(dir), [], 'nothing left running');
}

/** The demo's screen: its own lines only; the worker's JSON log in a file (`--verbose` shows it). */
function assertForPeople(out: string, dir: string): void {
  assert.doesNotMatch(out, /^\{/m, 'no JSON log line');
  assert.doesNotMatch(out, /MaxListenersExceededWarning|Activity failed|No workflows registered/, out);
  assert.match(out, new RegExp(`\\nworker log: ${dir}/worker\\.log \\(--verbose shows it here\\)\\n`));
}

after(async () => {
  for (const dir of dirs) {
    for (const line of runningIn(dir)) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
  await closeDatabases();
});

describe('Ctrl-C on npm start', () => {
  test('the demo, while it shows changes: the worker, then the stack; a summary', async () => {
    const dir = await tempDir('supabase-sync-demo-');
    const run = npmStart(root, ['--data-dir', dir, '--interval', '200'], {
      SYNC_ENV_PATH: path.join(dir, 'no.env'),
    });
    await waitFor(() => /on the target after \d+ ms/.test(run.output()), {
      timeoutMs: 120_000,
      message: () => run.output(),
    });
    const result = await ctrlC(run);
    assertClean(run, result, dir);
    const out = run.output();
    assert.match(out, /\nSIGINT: stopping \(the worker first, then the local stack\) …\n/);
    assert.match(
      out,
      /\ndemo stopped: \d+ change\(s\) written, median lag \d+ ms; worker stopped in \d+\.\d s, then local stack stopped in \d+\.\d s \(data kept in .*: npm start resumes\)\n$/,
    );
    assertForPeople(out, dir);
    // The copy's progress as `status` shows it, then how long it took (src/core/copy-progress.ts).
    assert.match(
      out,
      /\n(public\.demo_orders: copying [\d,]+ (of [\d,]+ )?rows.*\n)*initial copy: copied 1,000 rows in [\d a-z]+( · [\d,]+ rows\/s)?\n/,
    );

    // Again on the same data: a resume, not a copy.
    const again = npmStart(root, ['--data-dir', dir, '--interval', '200'], {
      SYNC_ENV_PATH: path.join(dir, 'no.env'),
    });
    await waitFor(() => /on the target after \d+ ms/.test(again.output()), {
      timeoutMs: 120_000,
      message: () => again.output(),
    });
    assertClean(again, await ctrlC(again), dir);
    assertForPeople(again.output(), dir);
    assert.match(again.output(), /\nresumed: \d+ rows were already on the target \(nothing copied again\)\n/);
    assert.doesNotMatch(again.output(), /initial copy/);
  });

  test('the demo, while its local stack starts: stops once it is up, nothing left', async () => {
    const dir = await tempDir('supabase-sync-demo-');
    const run = npmStart(root, ['--data-dir', dir], { SYNC_ENV_PATH: path.join(dir, 'no.env') });
    await waitFor(() => run.output().includes('starting the demo on a local stack'), {
      timeoutMs: 30_000,
      message: () => run.output(),
    });
    const result = await ctrlC(run);
    assertClean(run, result, dir);
    assert.match(run.output(), /\ndemo stopped: no changes written; local stack stopped in \d+\.\d s/);
  });

  for (const stage of ['while it syncs', 'while the worker starts'] as const) {
    test(`with an env file and an embedded Temporal server, ${stage}: the worker, then Temporal`, async () => {
      const dir = await tempDir('supabase-sync-embedded-');
      const name = uniqueName('stop_notes');
      await createNotesTable(name, 20);
      await writeFile(
        path.join(dir, '.env.sync'),
        [
          `SYNC_SOURCE_SUPABASE_URL=${stack.source.url}`,
          `SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY=${stack.source.serviceRoleKey}`,
          `SYNC_TARGET_SUPABASE_URL=${stack.target.url}`,
          `SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY=${stack.target.serviceRoleKey}`,
          `TEMPORAL_TASK_QUEUE=stop-${name}`,
          '',
        ].join('\n'),
      );
      await writeFile(path.join(dir, 'tables.json'), JSON.stringify({ tables: [{ name }] }));
      const run = npmStart(dir, [], {
        SYNC_ENV_PATH: path.join(dir, '.env.sync'),
        SYNC_TABLE_CONFIG: path.join(dir, 'tables.json'),
      });
      const ready = stage === 'while it syncs' ? /syncing 1 table\(s\)/ : /embedded Temporal dev server at /;
      await waitFor(() => ready.test(run.output()), { timeoutMs: 120_000, message: () => run.output() });
      const result = await ctrlC(run);
      assertClean(run, result, dir);
      const out = run.output();
      const env = path.join(dir, '.env.sync');
      assert.ok(
        out.startsWith(
          `projects: source ${stack.source.url} (from ${env}) → target ${stack.target.url} (from ${env})\n`,
        ),
        out,
      );
      const worker = out.search(/worker stopped|stopped during start-up/);
      const temporal = out.indexOf('embedded Temporal server stopped in');
      assert.ok(worker >= 0 && temporal > worker, `the worker stops first, then Temporal:\n${out}`);
      assert.match(
        out,
        /embedded Temporal server stopped in \d+\.\d s \(state kept in \.temporal\/temporal\.sqlite: npm start resumes\)\n$/,
      );
    });
  }
});

describe('SIGINT to the npm process alone', () => {
  test('npm start, the demo: the worker, then the stack; a summary; nothing left', async () => {
    const dir = await tempDir('supabase-sync-demo-');
    const run = npmRun('start', ['--data-dir', dir, '--interval', '200'], {
      SYNC_ENV_PATH: path.join(dir, 'no.env'),
    });
    await waitFor(() => /on the target after \d+ ms/.test(run.output()), {
      timeoutMs: 120_000,
      message: () => run.output(),
    });
    const below = descendants(run.pid);
    const result = await ctrlC(run, 'process');
    assertClean(run, result, dir);
    assert.deepEqual(stillRunning(below), [], 'nothing below npm left running');
    assert.match(
      run.output(),
      /\ndemo stopped: \d+ change\(s\) written, median lag \d+ ms; worker stopped in \d+\.\d s, then local stack stopped in \d+\.\d s/,
    );
  });

  test('npm run sync: the worker stops gracefully; nothing left', async () => {
    const dir = await tempDir('supabase-sync-npm-sync-');
    const name = uniqueName('npm_sync_notes');
    await createNotesTable(name, 20);
    await writeFile(path.join(dir, 'sync.env'), envFileText(`npm-sync-${name}`));
    await writeFile(path.join(dir, 'tables.json'), JSON.stringify({ tables: [{ name }] }));
    const run = npmRun('sync', [], {
      SYNC_ENV_PATH: path.join(dir, 'sync.env'),
      SYNC_TABLE_CONFIG: path.join(dir, 'tables.json'),
    });
    try {
      await waitFor(() => /syncing 1 table\(s\)/.test(run.output()), {
        timeoutMs: 60_000,
        message: () => run.output(),
      });
      const below = descendants(run.pid);
      assert.ok(
        below.some((p) => p.args.includes('src/sync.ts')),
        'the worker runs below npm',
      );
      const result = await ctrlC(run, 'process');
      assertClean(run, result, dir);
      assert.deepEqual(stillRunning(below), [], 'nothing below npm left running');
      assert.match(run.output(), /SIGINT: shutting down gracefully/);
      const env = path.join(dir, 'sync.env');
      const first = JSON.parse(
        run
          .output()
          .split('\n')
          .find((l) => l.startsWith('{'))!,
      ) as { msg: string };
      assert.equal(
        first.msg,
        `projects: source ${stack.source.url} (from ${env}) → target ${stack.target.url} (from ${env})`,
      );
      assert.match(
        run.output(),
        new RegExp(
          `"worker stopped in \\d+\\.\\d s after \\d+\\.\\d s: 1 table\\(s\\) on task queue npm-sync-${name}; their workflows wait on the Temporal server for the next worker"`,
        ),
      );
    } finally {
      const client = new Client({
        connection: await Connection.connect({ address: stack.temporal.address }),
      });
      await client.workflow
        .getHandle(`table-sync:public.${name}`)
        .terminate('test finished')
        .catch(() => undefined);
      await client.connection.close();
    }
  });
});
