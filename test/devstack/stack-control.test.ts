/**
 * The drill by hand (docs/local-stack.md, docs/failover.md): `npm run stack -- stop source` from
 * another terminal stops the source project of a running stack — its REST and its Postgres refuse
 * connections — while the target keeps answering; `start source` brings it back on the same ports
 * with the same data and keys. Each action prints one line, here and in the stack's output; bad
 * usage is one line and a non-zero exit. A project stopped, or started again, is still under the
 * stack's guards: SIGKILLed, the stack leaves no server, no data folder and no socket behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { testStack, testTmpDir } from '../support/stack-env.js';
import { waitFor } from '../support/wait.js';
import {
  descendants,
  killLeftovers,
  stackCommand,
  startStackProcess,
  stillRunning,
  type StackProcess,
} from './stack-process.js';

let dir: string;
let stack: StackProcess;
let env: Record<string, string>;

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The project's REST: a select of public.items with its service role key. */
function rest(project: 'SOURCE' | 'TARGET'): Promise<Response> {
  const key = env[`SYNC_${project}_SUPABASE_SERVICE_ROLE_KEY`]!;
  return fetch(`${env[`SYNC_${project}_SUPABASE_URL`]}/rest/v1/items?select=id,name&order=id`, {
    headers: { apikey: key, authorization: `Bearer ${key}` },
  });
}

function refused(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.code === 'ECONNREFUSED' || e.cause?.code === 'ECONNREFUSED';
}

async function run(args: string[]) {
  const r = await stackCommand(stack.envFile, args);
  return { ...r, show: `exit ${r.code}\n${r.stdout}${r.stderr}\n--- stack:\n${stack.output()}` };
}

before(async () => {
  dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-control-'));
  stack = await startStackProcess(path.join(dir, 'F.env'), { temporalAddress: testStack().temporal.address });
  env = stack.env;
  for (const url of [env.STACK_SOURCE_DATABASE_URL!, env.STACK_TARGET_DATABASE_URL!]) {
    await query(url, 'CREATE TABLE public.items (id int PRIMARY KEY, name text)');
    await query(url, 'GRANT ALL ON public.items TO service_role');
  }
  await query(
    env.STACK_SOURCE_DATABASE_URL!,
    "INSERT INTO public.items VALUES (1, 'kept'), (2, 'also kept')",
  );
});

after(async () => {
  if (stack) killLeftovers(stack);
  await rm(dir, { recursive: true, force: true });
});

describe('npm run stack -- stop/start a project', () => {
  test('stop source: its REST and Postgres refuse connections; the target answers', async () => {
    const r = await run(['stop', 'source']);
    assert.equal(r.code, 0, r.show);
    const line = r.stdout.trim();
    assert.match(
      line,
      /^source stopped: its API \(http:\/\/127\.0\.0\.1:\d+\) and Postgres \(port \d+\) refuse connections; `npm run stack -- start source` starts it again$/,
    );
    assert.ok(stack.output().includes(line), `the stack prints it too:\n${stack.output()}`);
    await assert.rejects(rest('SOURCE'), refused);
    await assert.rejects(query(env.STACK_SOURCE_DATABASE_URL!, 'SELECT 1'), refused);
    const target = await rest('TARGET');
    assert.equal(target.status, 200);
    assert.deepEqual(await query(env.STACK_TARGET_DATABASE_URL!, 'SELECT 1 AS one'), [{ one: 1 }]);
    const status = await run(['status']);
    assert.equal(status.stdout, 'source stopped\ntarget running\n', status.show);
    const again = await run(['stop', 'source']);
    assert.equal(again.code, 0, again.show);
    assert.match(
      again.stdout,
      /^source is already stopped \(API http:\/\/127\.0\.0\.1:\d+, Postgres port \d+\)\n$/,
    );
  });

  test('start source: the same data and keys, on the same ports', async () => {
    const r = await run(['start', 'source']);
    assert.equal(r.code, 0, r.show);
    assert.match(
      r.stdout,
      /^source started again: API http:\/\/127\.0\.0\.1:\d+, Postgres port \d+, with the same data and keys\n$/,
    );
    const response = await rest('SOURCE');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), [
      { id: 1, name: 'kept' },
      { id: 2, name: 'also kept' },
    ]);
    assert.deepEqual(
      await query(env.STACK_SOURCE_DATABASE_URL!, 'SELECT count(*)::int AS n FROM public.items'),
      [{ n: 2 }],
    );
    assert.equal((await run(['status'])).stdout, 'source running\ntarget running\n');
  });

  test('bad usage: one line and exit 2; no stack: one line and exit 1', async () => {
    for (const [args, pattern] of [
      [['stop'], /^stack: stop needs a project: stop source or stop target$/],
      [['stop', 'primary'], /^stack: unknown project "primary": use source or target$/],
      [['stop', 'source', 'target'], /^stack: one project at a time: stop source or stop target$/],
      [
        ['restart', 'source'],
        /^stack: unknown command "restart source": use stop source\|target, start source\|target, or status$/,
      ],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 2, r.show);
      assert.match(r.stderr.trim(), pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    const none = await stackCommand(path.join(dir, 'none.env'), ['stop', 'source']);
    assert.equal(none.code, 1);
    assert.match(none.stderr.trim(), /^stack: no running stack: \S+none\.env does not exist \(.*\)$/);
  });

  test('SIGKILLed with one project stopped and one started again, the stack leaves nothing behind', async () => {
    assert.equal((await run(['stop', 'target'])).code, 0);
    const processes = descendants(stack.npm.pid!);
    const dataDirs = new Set(processes.flatMap((p) => /\s-D (\S+)/.exec(p.args)?.[1] ?? []));
    assert.equal(dataDirs.size, 1, 'the source Postgres (started again) runs; the target is stopped');
    const socketDir = path.dirname(env.STACK_CONTROL_SOCKET!);
    assert.ok(existsSync(socketDir));
    assert.ok(stack.tempDirs.length >= 4, `data and storage folders: ${stack.tempDirs.join(', ')}`);
    process.kill(stack.node, 'SIGKILL');
    await waitFor(
      () =>
        stillRunning(processes).length === 0 &&
        [...stack.tempDirs, socketDir].every((d) => !existsSync(d)) &&
        !existsSync(stack.envFile),
      {
        timeoutMs: 15_000,
        message: () =>
          `left: ${stillRunning(processes)
            .map((p) => p.args.slice(0, 100))
            .join('\n')}\n${[...stack.tempDirs, socketDir].filter((d) => existsSync(d)).join(', ')}`,
      },
    );
  });
});
