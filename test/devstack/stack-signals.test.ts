/**
 * `npm run stack` stops everything it started — its servers, its temporary directories and its
 * env file — within 10 s however it is asked: SIGINT or SIGTERM to the npm process alone (as
 * `timeout`, a supervisor or a CI runner sends it) or to its process group, or npm SIGKILLed (the
 * stack sees its parent die); with clients connected, or one just killed. When the stack's own
 * process is SIGKILLed, its servers' guards stop them, and a new stack comes up at once in normal
 * time. It never writes over an env file that is not its own, nor over a running stack's.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createClient, REALTIME_SUBSCRIBE_STATES } from '@supabase/supabase-js';
import pg from 'pg';
import WebSocket from 'ws';
import { ownerLine } from '../../devstack/env-file.js';
import { freePort } from '../../devstack/ports.js';
import { waitFor } from '../support/wait.js';
import { killLeftovers, root, startStackProcess, stillRunning, type StackProcess } from './stack-process.js';
import { testTmpDir } from '../support/stack-env.js';

const stacks: StackProcess[] = [];
const dirs: string[] = [];

async function newEnvFile(): Promise<string> {
  const dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-signals-'));
  dirs.push(dir);
  return path.join(dir, 'F.env');
}

async function startStack(envFile?: string, viaShell = false): Promise<StackProcess> {
  const stack = await startStackProcess(envFile ?? (await newEnvFile()), { viaShell });
  stacks.push(stack);
  assert.equal(
    stack.tempDirs.length,
    4,
    `two Postgres data directories, two Storage ones: ${stack.output()}`,
  );
  return stack;
}

/** Waits until nothing of the stack is left — processes, temporary directories, env file. */
async function allGone(stack: StackProcess, since: number, withinMs: number): Promise<void> {
  await waitFor(
    () =>
      stillRunning(stack.processes).length === 0 &&
      stack.tempDirs.every((dir) => !existsSync(dir)) &&
      !existsSync(stack.envFile),
    {
      timeoutMs: Math.max(0, withinMs - (Date.now() - since)),
      message: () =>
        `still running: ${stillRunning(stack.processes)
          .map((p) => `\n  ${p.pid} ${p.args.slice(0, 120)}`)
          .join('')}\ndirectories left: ${stack.tempDirs.filter((d) => existsSync(d)).join(', ')}\n` +
        `env file left: ${existsSync(stack.envFile)}\n${stack.output()}`,
    },
  );
}

/** `sh devstack/stack.sh ARGS` to its end (a refusal, a failure to start). */
function stackSh(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) =>
    execFile(
      'sh',
      ['devstack/stack.sh', '--no-ui', ...args],
      { cwd: root, env: { ...process.env, TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', ...env } },
      (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
    ),
  );
}

/** A client process with a database transaction and a Realtime channel open; resolves once they are. */
async function clientProcess(stack: StackProcess) {
  const script = `
    import pg from 'pg';
    import WebSocket from 'ws';
    const db = new pg.Client({ connectionString: process.env.DB });
    await db.connect();
    await db.query('BEGIN');
    await db.query('SELECT txid_current()');
    const ws = new WebSocket(process.env.WS);
    ws.on('open', () => ws.send(JSON.stringify({ topic: 'realtime:killed', event: 'phx_join', payload: {}, ref: '1' })));
    ws.on('message', () => console.log('connected'));
  `;
  const ws = `${stack.env.SYNC_SOURCE_SUPABASE_URL!.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${stack.env.SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY}&vsn=1.0.0`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, DB: stack.env.STACK_SOURCE_DATABASE_URL, WS: ws },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('connected'), { timeoutMs: 10_000, message: 'client not connected' });
  return child;
}

after(async () => {
  for (const stack of stacks) killLeftovers(stack);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('npm run stack stops everything it started', () => {
  test('SIGINT to npm alone, clients connected: stopped within 10 s; a second stack may not take its env file', async () => {
    const stack = await startStack();
    const db = new pg.Client({ connectionString: stack.env.STACK_SOURCE_DATABASE_URL });
    db.on('error', () => {}); // the server ends the connection as it stops
    await db.connect();
    await db.query('BEGIN');
    await db.query('SELECT txid_current()');
    const supabase = createClient(
      stack.env.SYNC_SOURCE_SUPABASE_URL!,
      stack.env.SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY!,
      {
        auth: { persistSession: false, autoRefreshToken: false },
        realtime: { transport: WebSocket as never },
      },
    );
    try {
      let subscribed = false;
      supabase
        .channel('open')
        .subscribe((status) => (subscribed ||= status === REALTIME_SUBSCRIBE_STATES.SUBSCRIBED));
      await waitFor(() => subscribed, { timeoutMs: 10_000, message: 'Realtime channel not subscribed' });

      const second = await stackSh(['--env-file', stack.envFile]);
      assert.equal(second.code, 1);
      assert.match(
        second.stderr,
        /^stack: \S+F\.env belongs to the stack running as pid \d+: stop that one first, or pass --env-file PATH to write this one's elsewhere\n$/,
      );

      const began = Date.now();
      process.kill(stack.npm.pid!, 'SIGINT');
      assert.equal(await stack.exited, 0);
      await allGone(stack, began, 10_000);
      assert.match(stack.output(), /\nSIGINT: stopping the stack …\nenv file \S+ removed\nstack stopped\n$/);
    } finally {
      await supabase.realtime.disconnect();
      await db.end().catch(() => {});
    }
  });

  test('SIGTERM to npm alone, right after a client was killed: stopped within 10 s', async () => {
    const stack = await startStack();
    const client = await clientProcess(stack);
    client.kill('SIGKILL');
    await new Promise((resolve) => client.once('exit', resolve));
    const began = Date.now();
    process.kill(stack.npm.pid!, 'SIGTERM');
    assert.equal(await stack.exited, 0);
    await allGone(stack, began, 10_000);
    assert.match(stack.output(), /\nSIGTERM: stopping the stack …\n/);
  });

  test('SIGTERM to the process group: stopped within 10 s, one stop', async () => {
    const stack = await startStack();
    const began = Date.now();
    process.kill(-stack.npm.pid!, 'SIGTERM');
    assert.equal(await stack.exited, 0);
    await allGone(stack, began, 10_000);
    assert.doesNotMatch(
      stack.output(),
      /already stopping/,
      'npm forwards the signal it got too: one request',
    );
  });

  test('npm SIGKILLed: the stack sees its parent die and stops within 10 s', async () => {
    const stack = await startStack();
    const began = Date.now();
    process.kill(stack.npm.pid!, 'SIGKILL');
    await allGone(stack, began, 10_000);
    assert.match(stack.output(), /\nparent exited: stopping the stack …\n/);
  });

  test('the script that started npm SIGKILLed (npm left running): the stack stops within 10 s', async () => {
    const stack = await startStack(undefined, true);
    const began = Date.now();
    process.kill(stack.npm.pid!, 'SIGKILL');
    await allGone(stack, began, 10_000);
    assert.match(stack.output(), /\nparent exited: stopping the stack …\n/);
  });

  test("the stack's process SIGKILLed: its guards stop the servers; a new stack comes up at once", async () => {
    const first = await startStack();
    const began = Date.now();
    process.kill(first.node, 'SIGKILL');
    await allGone(first, began, 15_000);
    // A file left by a stack that is gone is replaced.
    await writeFile(first.envFile, `${ownerLine(9_999_999)}\nTEMPORAL_ADDRESS=127.0.0.1:1\n`);
    const second = await startStack(first.envFile);
    assert.ok(
      second.readySeconds <= first.readySeconds * 2 + 5,
      `ready in ${second.readySeconds} s (the first in ${first.readySeconds} s)`,
    );
    assert.notEqual(second.env.TEMPORAL_ADDRESS, '127.0.0.1:1');
    const stopping = Date.now();
    process.kill(-second.npm.pid!, 'SIGINT');
    await allGone(second, stopping, 10_000);
  });
});

describe('npm run stack and env files that are not its own', () => {
  test("a user's own file is refused in one line and left as it is", async () => {
    const envFile = await newEnvFile();
    const mine = 'SYNC_SOURCE_SUPABASE_URL=https://mine.supabase.co\n';
    await writeFile(envFile, mine);
    const result = await stackSh(['--env-file', envFile]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^stack: \S+F\.env exists and was not written by `npm run stack`: it is left as it is; pass --env-file PATH to write the stack's env file elsewhere\n$/,
    );
    assert.equal(await readFile(envFile, 'utf8'), mine);
  });

  test('TEMPORAL_ADDRESS in the environment with no server there: the error says so and how to fix it', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const result = await stackSh(['--env-file', await newEnvFile()], { TEMPORAL_ADDRESS: address });
    assert.equal(result.code, 1);
    assert.ok(
      result.stderr.includes(
        `stack failed to start: TEMPORAL_ADDRESS=${address} is set in the environment, and no Temporal server answers there: unset it (unset TEMPORAL_ADDRESS) to let the stack start its own`,
      ),
      result.stderr,
    );
  });
});
