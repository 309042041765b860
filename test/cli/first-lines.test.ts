/**
 * What a user reads first, and from mistakes of their own: a command that acts on the projects
 * starts with one line naming both URLs and where each came from (the env file, or the environment
 * over it: said so when they differ, as after sourcing another stack's env file); a usage error is
 * one line, without that line, naming the flag as typed; and no hint that is not true.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, createNotesTable, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { CliEnv, show, stopSync, untilLogged, type SyncRun } from './cli.js';

const stack = testStack();
const name = uniqueName('cli_first');
let cli: CliEnv;
let envFile: string;
let run: SyncRun | undefined;

before(async () => {
  await createNotesTable(name, 3);
  cli = await CliEnv.create(`first-${name}`, [name]);
  envFile = path.join(cli.dir, 'sync.env');
});

after(async () => {
  if (run) await stopSync(run, 'SIGKILL');
  await cli?.remove();
  await closeDatabases();
});

describe('the projects a command acts on', () => {
  test('both from the env file: named on the first line, no key', async () => {
    const r = await cli.run(['status']);
    const [first] = r.stderr.split('\n');
    assert.equal(
      first,
      `projects: source ${stack.source.url} (from ${envFile}) → target ${stack.target.url} (from ${envFile})`,
      show(r),
    );
    assert.equal(r.code, 0, show(r));
    for (const key of [stack.source.serviceRoleKey, stack.target.serviceRoleKey])
      assert.ok(!(r.stdout + r.stderr).includes(key), 'no service role key');
  });

  test('the environment over the env file: said, with the value it overrides', async () => {
    const other = stack.target.url.replace('127.0.0.1', 'localhost');
    const r = await cli.run(['status'], {
      SYNC_TARGET_SUPABASE_URL: other,
      SYNC_SOURCE_SUPABASE_URL: stack.source.url,
    });
    assert.equal(r.code, 0, show(r));
    assert.equal(
      r.projects,
      `projects: source ${stack.source.url} (from the environment) → target ${other} (from the environment, not ${envFile}'s ${stack.target.url})`,
    );
  });

  test('a refusal (failover reverse with nothing promoted) comes after the line naming both', async () => {
    const r = await cli.run(['failover', 'reverse']);
    assert.equal(r.stderr.split('\n')[0], r.projects, show(r));
    assert.match(r.projects ?? '', new RegExp(`target ${stack.target.url.replace(/\./g, '\\.')} `));
    assert.match(r.said, /^supabase-sync: no promotion of .* is recorded/m);
  });
});

describe('mistakes: one line each, the flag as typed, true hints', () => {
  const usage: Array<[string[], string]> = [
    [['statsu'], "supabase-sync: unknown command 'statsu' (Did you mean status?) (see --help)\n"],
    [
      ['status', '--intreval', '2'],
      "supabase-sync: unknown option '--intreval' (Did you mean --interval?) (see --help)\n",
    ],
    [
      ['reconcile', 'x', '--since', 'notadate'],
      'supabase-sync: --since "notadate": must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z\n',
    ],
  ];
  for (const [args, line] of usage) {
    test(args.join(' '), async () => {
      const r = await cli.run(args);
      assert.equal(r.code, 2, show(r));
      assert.equal(r.stderr, line);
      assert.equal(r.stdout, '');
    });
  }

  test('schema diff nosuch: no hint about workflow ids (it takes none)', async () => {
    const r = await cli.run(['schema', 'diff', 'nosuch']);
    assert.equal(r.code, 2, show(r));
    assert.match(
      r.stderr,
      new RegExp(
        `^supabase-sync: table "nosuch" is not in .*tables\\.json \\(configured: public\\.${name}\\)\\n$`,
      ),
    );
  });

  test('verify --bucket nosuchbucket: could not be verified, no repair promised', async () => {
    const r = await cli.run(['verify', '--bucket', 'nosuchbucket']);
    assert.equal(r.code, 1, show(r));
    assert.notEqual(r.projects, null, show(r));
    assert.equal(
      r.said,
      [
        'bucket nosuchbucket: could not be verified: bucket nosuchbucket does not exist on the source',
        'supabase-sync: 1 of 1 bucket(s) could not be verified',
        '',
      ].join('\n'),
    );
  });
});

describe("the worker's stop line", () => {
  test('after failover promote: the workflows were stopped, they do not wait for a worker', async () => {
    run = cli.startSync();
    await untilLogged(run, /syncing 1 table\(s\)/);
    const promote = await cli.run(['failover', 'promote', '--force']);
    assert.equal(promote.code, 0, show(promote));
    assert.equal(await stopSync(run), 0, run.output());
    const stopped = run
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg)
      .find((m) => m.startsWith('worker stopped'));
    assert.match(
      stopped ?? run.output(),
      new RegExp(
        `^worker stopped in \\d+\\.\\d s after \\d+\\.\\d s: 1 table\\(s\\) on task queue ${cli.taskQueue}; their workflows were stopped by \`failover promote\` at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(${stack.target.url.replace(/\./g, '\\.')} is the primary now\\)$`,
      ),
    );
  });
});
