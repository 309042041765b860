/**
 * `supabase-sync backfill TABLE`: the whole-table copy restarted on a running table, followed to
 * the end — plain progress lines without a TTY, a cli-progress bar on one — restoring rows lost
 * on the target; and one-line errors.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { CliEnv, show } from './cli.js';
import { inSync } from '../support/compare.js';

const stack = testStack();
const name = uniqueName('cli_backfill');
const idle = uniqueName('cli_backfill_idle');
const ROWS = 20_000;
const t = table(name);
let sync: RunningSync;
let cli: CliEnv;

const ddl = (n: string) =>
  `CREATE TABLE public.${n} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`;

async function targetRows(): Promise<number> {
  const { rows } = await db(stack.target.databaseUrl).query<{ n: string }>(
    `SELECT count(*) AS n FROM public.${name}`,
  );
  return Number(rows[0]!.n);
}

/** Rows lost on the backup (deleted behind the sync's back): only a full copy brings them back. */
async function loseRows(from: number, to: number): Promise<void> {
  await db(stack.target.databaseUrl).query(`DELETE FROM public.${name} WHERE id BETWEEN $1 AND $2`, [
    from,
    to,
  ]);
}

before(async () => {
  for (const url of [stack.source.databaseUrl, stack.target.databaseUrl]) {
    await db(url).query(ddl(name));
    await db(url).query(ddl(idle));
  }
  await db(stack.source.databaseUrl).query(
    `INSERT INTO public.${name} (id, note) SELECT g, repeat('x', 200) || g FROM generate_series(1, ${ROWS}) g`,
  );
  // Small pages so the copy takes several heartbeats: progress is seen moving.
  sync = await startSync(testConfig([t], { reconcile: { batchSize: 200 } }));
  cli = await CliEnv.create(sync.config.temporal.taskQueue, [name, idle]);
  await waitUntilSyncing(sync, t, { timeoutMs: 60_000 });
});

after(async () => {
  await sync?.close();
  await cli?.remove();
  await closeDatabases();
});

describe('supabase-sync backfill', () => {
  test('without a TTY: plain progress lines up to the row count, then a summary; lost rows restored', async () => {
    await loseRows(1, 1000);
    assert.equal(await targetRows(), ROWS - 1000);
    const r = await cli.run(['backfill', name, '--interval', '0.1']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      `public.${name}: backfill started: copying the whole table again (workflow table-sync:public.${name})`,
    );
    // The same lines as `status` (src/core/copy-progress.ts): the copy, then how long it took.
    assert.match(
      lines.at(-1)!,
      new RegExp(`^public\\.${name}: backfill done: copied 20,000 rows in [\\d a-z]+ · [\\d,]+ rows/s$`),
    );
    const count = (n: string) => Number(n.replace(/,/g, ''));
    const progress = lines.slice(1, -1).map((line) => {
      const m = new RegExp(
        `^public\\.${name}: copying ([\\d,]+)(?: of ([\\d,]+))? rows( · [\\d,]+ rows/s( · (about [\\d a-z]+ left|finishing))?)?$`,
      ).exec(line);
      assert.ok(m, `progress line: ${line}`);
      return { done: count(m[1]!), total: m[2] === undefined ? '?' : String(count(m[2])) };
    });
    assert.ok(progress.length >= 1, show(r));
    for (let i = 1; i < progress.length; i++)
      assert.ok(progress[i]!.done >= progress[i - 1]!.done, 'progress never goes back');
    for (const p of progress) if (p.total !== '?') assert.equal(p.total, String(ROWS));
    // The table is counted again before the copy: the total is known once the copy is under way.
    assert.equal(progress.at(-1)!.total, String(ROWS), 'the last progress line shows the total');
    assert.ok(progress.every((p) => p.done <= ROWS));
    // Nothing but, when the pass in flight takes over 5 s (a busy machine), the note that it waits.
    const notes = new RegExp(
      `^public\\.${name}: backfill accepted; waiting for the pass in flight \\([\\d.]+s\\) …\\n`,
      'gm',
    );
    assert.equal(r.said.replace(notes, ''), '');
    assert.equal(await targetRows(), ROWS);
    assert.ok(await inSync(name));
    const status = await sync.status(t);
    assert.equal(status.initialCopy.done, true);
    assert.equal(status.initialCopy.rowsCopied, ROWS);
  });

  test('on a terminal: a progress bar (rows done / total, rate, ETA) ending at the row count', async (ctx) => {
    let hasScript = true;
    try {
      execFileSync('script', ['--version'], { stdio: 'ignore' });
    } catch {
      hasScript = false;
    }
    if (!hasScript) {
      ctx.skip('util-linux `script` (a pseudo-terminal) is not installed');
      return;
    }
    await loseRows(5001, 5500);
    const command = `node bin/supabase-sync.mjs backfill ${name} --interval 0.1`;
    const output = await new Promise<{ code: number | null; out: string }>((resolve) => {
      // `script` gives the CLI a pseudo-terminal, as in an interactive shell.
      const child = cli.spawnRaw('script', ['-qfec', command, '/dev/null']);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(output.code, 0, output.out);
    const plain = output.out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    assert.match(
      plain,
      new RegExp(`public\\.${name} \\[[█░]+\\] 100% \\| copied 20,000 rows in [\\d a-z]+ · [\\d,]+ rows/s`),
    );
    assert.match(plain, new RegExp(`public\\.${name}: backfill done: copied 20,000 rows`));
    assert.equal(await targetRows(), ROWS);
  });

  test('errors: unknown table, table not started, missing argument — one line, non-zero exit', async () => {
    const unknown = await cli.run(['backfill', 'nope']);
    assert.equal(unknown.code, 2, show(unknown));
    assert.equal(unknown.stdout, '');
    assert.match(
      unknown.said,
      /^supabase-sync: table "nope" is not in .*tables\.json \(configured: .*\); the workflow of a table no longer configured is named by its id, e\.g\. table-sync:public\.nope\n$/,
    );

    const notStarted = await cli.run(['backfill', idle]);
    assert.equal(notStarted.code, 1, show(notStarted));
    assert.equal(
      notStarted.said,
      `supabase-sync: public.${idle}: no running workflow table-sync:public.${idle}: start it with \`supabase-sync start public.${idle}\` (or npm run sync)\n`,
    );

    const missing = await cli.run(['backfill']);
    assert.equal(missing.code, 2, show(missing));
    assert.equal(missing.said, "supabase-sync: missing required argument 'table' (see --help)\n");
  });
});
