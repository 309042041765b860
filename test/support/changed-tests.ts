/**
 * `npm test -- --changed`: the test files a change touches. Changed files are those git reports
 * against HEAD (staged, unstaged and untracked; `--changed=REF` compares with REF instead). A test
 * file is taken when it, or a file it reaches, changed: reached through its relative imports and
 * through the entry points it runs as a user would (`src/sync.ts`, `bin/supabase-sync.mjs`, …,
 * named in its text), followed transitively. A change the import graph cannot place (a migration,
 * package.json, the stack's SQL) takes every test file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Files every test depends on without importing them: a change there takes every test file. */
const EVERYWHERE = [/^supabase\//, /^devstack\/.*\.(sql|sh)$/, /^package(-lock)?\.json$/, /^tsconfig\.json$/];

export function changedFiles(root: string, ref = 'HEAD'): string[] {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  return [
    ...new Set([...git('diff', '--name-only', ref), ...git('ls-files', '--others', '--exclude-standard')]),
  ];
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
const ENTRY = /['"`]((?:src|bin|devstack|scripts|bench)\/[\w./-]+\.(?:ts|mjs))['"`]/g;

/** The project files `file` (relative to root) names: relative imports and entry points run as programs. */
function references(root: string, file: string): string[] {
  let text: string;
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const [, spec] of text.matchAll(IMPORT)) {
    const resolved = path.normalize(path.join(path.dirname(file), spec!));
    const candidates = [resolved, resolved.replace(/\.js$/, '.ts'), resolved.replace(/\.mjs$/, '.mts')];
    const hit = candidates.find((c) => existsSync(path.join(root, c)));
    if (hit) found.push(hit);
  }
  for (const [, entry] of text.matchAll(ENTRY)) if (existsSync(path.join(root, entry!))) found.push(entry!);
  return found;
}

/** Everything `start` reaches, itself included (relative paths). */
function reach(root: string, start: string, memo: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.pop()!;
    const known = memo.get(file);
    for (const next of known ?? references(root, file)) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  memo.set(start, seen);
  return seen;
}

/** Of `testFiles` (absolute), those the changed files touch; and why, in one line. */
export function testsTouchedBy(
  root: string,
  testFiles: string[],
  changed: string[],
): { files: string[]; why: string } {
  if (changed.length === 0) return { files: [], why: 'no changed files' };
  const everywhere = changed.find((c) => EVERYWHERE.some((p) => p.test(c)));
  if (everywhere) return { files: testFiles, why: `${everywhere} changed: every test file` };
  const memo = new Map<string, Set<string>>();
  const changedSet = new Set(changed);
  const files = testFiles.filter((f) => {
    for (const r of reach(root, path.relative(root, f), memo)) if (changedSet.has(r)) return true;
    return false;
  });
  return { files, why: `${files.length} test file(s) reach the ${changed.length} changed file(s)` };
}
