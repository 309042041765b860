/**
 * `npm run stack -- --env-file F` as a newcomer uses it: it prints `stack ready`, F's values alone
 * give a working supabase-js client (REST and Realtime) and a Temporal server, and Ctrl-C stops
 * everything, leaving no process and no env file behind (other ways to stop it:
 * stack-signals.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type RealtimeChannel } from '@supabase/supabase-js';
import { Connection } from '@temporalio/client';
import { parse } from 'dotenv';
import pg from 'pg';
import WebSocket from 'ws';
import { waitFor } from '../support/wait.js';
import { testTmpDir } from '../support/stack-env.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let envFile: string;
let output = '';
let child: ReturnType<typeof spawn>;
let exited: Promise<number | null>;
let env: Record<string, string>;
let storageDir: string | undefined;

function descendants(pid: number): number[] {
  try {
    const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
    const found: number[] = [];
    const queue = [pid];
    while (queue.length > 0) {
      const parent = queue.shift()!;
      for (const [p, pp] of rows) {
        if (pp === parent) {
          found.push(p);
          queue.push(p);
        }
      }
    }
    return found;
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-stack-'));
  envFile = path.join(dir, 'F.env');
  child = spawn('npm', ['run', 'stack', '--', '--env-file', envFile, '--no-ui'], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => output.includes('stack ready'), { timeoutMs: 30_000, message: () => output });
  env = parse(await readFile(envFile, 'utf8'));
});

after(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('npm run stack', () => {
  test('prints the URLs and writes every variable to the env file', () => {
    assert.match(output, /source API\s+http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /stack ready in [\d.]+ s/);
    for (const key of [
      'SYNC_SOURCE_SUPABASE_URL',
      'SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY',
      'SYNC_TARGET_SUPABASE_URL',
      'SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'STACK_SOURCE_DATABASE_URL',
      'STACK_TARGET_DATABASE_URL',
      'STACK_SOURCE_ANON_KEY',
      'STACK_TARGET_ANON_KEY',
      'STACK_SOURCE_JWT_SECRET',
      'STACK_TARGET_JWT_SECRET',
      'STACK_REALTIME_PLAN',
    ]) {
      assert.ok(env[key], `${key} is in the env file`);
    }
    assert.equal(env.STACK_REALTIME_PLAN, 'free', 'Realtime enforces the free plan by default');
    assert.match(output, /Realtime plan\s+free: 100 messages\/s \(more are dropped silently\)/);
    const password = new URL(env.STACK_SOURCE_DATABASE_URL!).password;
    assert.ok(!output.includes(password), 'the database password is not printed');
  });

  test("a supabase-js client built from the file's values reads, writes and listens", async () => {
    const db = new pg.Client({ connectionString: env.STACK_SOURCE_DATABASE_URL });
    await db.connect();
    const supabase = createClient(env.SYNC_SOURCE_SUPABASE_URL!, env.SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY!, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    let channel: RealtimeChannel | undefined;
    try {
      await db.query('CREATE TABLE public.items (id int PRIMARY KEY, name text)');
      // New tables get no grants (as on hosted projects since 2026-10-30): grant what the API needs.
      await db.query('GRANT SELECT, INSERT, UPDATE, DELETE ON public.items TO service_role');
      await db.query('ALTER PUBLICATION supabase_realtime ADD TABLE public.items');
      const upsert = await supabase.from('items').upsert([
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ]);
      assert.equal(upsert.error, null);
      const count = await supabase.from('items').select('*', { count: 'exact', head: true });
      assert.equal(count.count, 2);
      const deleted = await supabase.from('items').delete().eq('id', 2);
      assert.equal(deleted.status, 204);
      const { data } = await supabase.from('items').select('id,name').order('id');
      assert.deepEqual(data, [{ id: 1, name: 'a' }]);
      const missing = await supabase.from('nope').select('*');
      assert.equal(missing.status, 404);

      const events: Array<{ at: number; id: unknown }> = [];
      let live = false;
      channel = supabase
        .channel('items')
        .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'items' }, (p) =>
          events.push({ at: Date.now(), id: (p.new as { id: unknown }).id }),
        )
        .on('system', {}, (p: { extension?: string; status?: string }) => {
          if (p.extension === 'postgres_changes' && p.status === 'ok') live = true;
        })
        .subscribe();
      await waitFor(() => live, { timeoutMs: 10_000, message: 'subscription not live' });
      const committed = Date.now();
      await db.query("INSERT INTO public.items VALUES (3, 'c')");
      const event = await waitFor(() => events[0], {
        timeoutMs: 1000,
        message: 'no realtime INSERT within 1 s',
      });
      assert.equal(event.id, 3);
      assert.ok(event.at - committed < 1000);
    } finally {
      if (channel) await supabase.removeChannel(channel);
      await supabase.realtime.disconnect();
      await db.end();
    }
  });

  test('Storage at /storage/v1 keeps object bytes in the directory it prints', async () => {
    const supabase = createClient(env.SYNC_SOURCE_SUPABASE_URL!, env.SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY!, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    assert.equal((await supabase.storage.createBucket('files', { public: false })).error, null);
    assert.equal((await supabase.storage.from('files').upload('a/b.txt', 'stored')).error, null);
    assert.equal(await (await supabase.storage.from('files').download('a/b.txt')).data?.text(), 'stored');
    storageDir = /Storage files\s+(\S+) \(source\)/.exec(output)?.[1];
    assert.ok(
      storageDir && existsSync(path.join(storageDir, 'objects')),
      `storage directory printed: ${output}`,
    );
  });

  test('an unknown --plan is refused in one line naming the choices', () => {
    let failed: { status: number | null; stderr: string } | undefined;
    try {
      execFileSync('sh', [path.join(root, 'devstack/stack.sh'), '--plan', 'gold'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const e = error as { status: number | null; stderr: string };
      failed = { status: e.status, stderr: e.stderr };
    }
    assert.ok(failed && failed.status !== 0, 'exits non-zero');
    assert.match(
      failed.stderr.trim(),
      /^error: option '--plan <plan>' argument 'gold' is invalid\. use one of free, pro, team$/,
    );
  });

  test('Temporal answers at TEMPORAL_ADDRESS', async () => {
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    try {
      const info = await connection.workflowService.describeNamespace({ namespace: env.TEMPORAL_NAMESPACE! });
      assert.equal(info.namespaceInfo?.name, env.TEMPORAL_NAMESPACE);
    } finally {
      await connection.close();
    }
  });

  test('SIGINT stops everything and leaves no process behind', async () => {
    const processes = descendants(child.pid!);
    assert.ok(processes.length >= 3, `the stack runs its servers as child processes (${processes.length})`);
    // Signal the stack process itself (what Ctrl-C reaches); it must stop its servers.
    const stackPid = processes.find((pid) => {
      try {
        return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).includes(
          'devstack/cli.ts',
        );
      } catch {
        return false;
      }
    });
    assert.ok(stackPid, 'found the stack process');
    process.kill(stackPid, 'SIGINT');
    const code = await exited;
    assert.ok(code === 0 || code === null || code === 130, `exit code ${code}`);
    await waitFor(() => processes.every((pid) => !alive(pid)), {
      timeoutMs: 15_000,
      message: () => `still running: ${processes.filter(alive).join(', ')}\n${output}`,
    });
    assert.match(output, /stack stopped/);
    assert.ok(storageDir && !existsSync(storageDir), 'the temporary storage directory is removed');
    assert.ok(!existsSync(envFile), 'the env file is removed: it would change what npm start does next');
  });
});
