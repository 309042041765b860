/**
 * Which test files a harness run takes, in which order, how many at once, and how long each took.
 *
 * - Arguments are files or folders (`npm test -- test/cli test/sync/realtime.test.ts`), or
 *   `--changed` for the files a change touches; none means every `test/**\/*.test.ts`.
 * - `TEST_CONCURRENCY` (default {@link DEFAULT_CONCURRENCY}) is how many files run at once against
 *   the one stack: the tests spend their time waiting on the stack, on Temporal or on deadlines,
 *   rarely on the CPU, and each file keeps to its own tables, buckets and task queue.
 * - The slowest files start first (by the times of the last run on this machine, kept in
 *   test-results/; else the longer files first, those that need no server last), so that no long
 *   file starts last.
 * - Each file's process writes its wall time (test/support/file-setup.mjs); the harness prints the
 *   slowest ten at the end.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { changedFiles, testsTouchedBy } from './changed-tests.js';

export const DEFAULT_CONCURRENCY = 5;
const TIMES_FILE = path.join('test-results', 'file-times.json');

export function concurrency(): number {
  const raw = process.env.TEST_CONCURRENCY;
  if (raw === undefined || raw === '') return DEFAULT_CONCURRENCY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(
      `TEST_CONCURRENCY=${raw} is not a whole number of 1 or more: unset it for ${DEFAULT_CONCURRENCY}`,
    );
  return n;
}

async function testsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await testsUnder(full)));
    else if (entry.name.endsWith('.test.ts')) files.push(full);
  }
  return files;
}

/**
 * The test files named by `args` (files or folders, relative to `cwd`; `--changed[=REF]` adds those
 * a change touches: test/support/changed-tests.ts), or every one under `root/test`.
 */
export async function selectTestFiles(
  args: string[],
  root: string,
  cwd = process.cwd(),
): Promise<{ files: string[]; note?: string }> {
  if (args.length === 0) return { files: await testsUnder(path.join(root, 'test')) };
  const files = new Set<string>();
  let note: string | undefined;
  for (const arg of args) {
    const changed = /^--changed(?:=(.+))?$/.exec(arg);
    if (changed) {
      const touched = testsTouchedBy(
        root,
        await testsUnder(path.join(root, 'test')),
        changedFiles(root, changed[1]),
      );
      for (const f of touched.files) files.add(f);
      note = `--changed: ${touched.why}`;
      continue;
    }
    const full = path.resolve(cwd, arg);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new Error(`${arg}: no such test file or folder (or --changed[=REF])`);
    if (info.isDirectory()) for (const f of await testsUnder(full)) files.add(f);
    else files.add(full);
  }
  if (files.size === 0 && note === undefined) throw new Error(`${args.join(' ')}: no *.test.ts file there`);
  return { files: [...files], note };
}

async function lastTimes(root: string): Promise<Record<string, number>> {
  try {
    return JSON.parse(await readFile(path.join(root, TIMES_FILE), 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/** The files, slowest first: by their last measured time where known, else by their size. */
export async function slowestFirst(files: string[], root: string): Promise<string[]> {
  const times = await lastTimes(root);
  const weighed = await Promise.all(
    files.map(async (file) => {
      const measured = times[path.relative(root, file)];
      // Nothing measured yet: files that need no server (test/unit, config) last, else the longer first.
      const serverless = /[\\/]test[\\/](unit[\\/]|config\.test)/.test(file);
      const weight = measured ?? (serverless ? 0 : (await stat(file)).size / 1000);
      return { file, weight };
    }),
  );
  return weighed.sort((a, b) => b.weight - a.weight || a.file.localeCompare(b.file)).map((w) => w.file);
}

/** Reads the times the files' processes wrote, keeps them for the next run's order, prints the slowest ten. */
export async function reportFileTimes(timesDir: string, root: string): Promise<string> {
  const records: Array<{ file: string; seconds: number }> = [];
  for (const name of await readdir(timesDir).catch(() => [] as string[])) {
    records.push(
      JSON.parse(await readFile(path.join(timesDir, name), 'utf8')) as { file: string; seconds: number },
    );
  }
  if (records.length === 0) return '';
  records.sort((a, b) => b.seconds - a.seconds);
  const merged = {
    ...(await lastTimes(root)),
    ...Object.fromEntries(records.map((r) => [r.file, r.seconds])),
  };
  await mkdir(path.join(root, path.dirname(TIMES_FILE)), { recursive: true });
  await writeFile(path.join(root, TIMES_FILE), JSON.stringify(merged, null, 1) + '\n');
  const lines = records.slice(0, 10).map((r) => `${r.seconds.toFixed(1).padStart(7)} s  ${r.file}`);
  return `slowest test files:\n${lines.join('\n')}\n`;
}
