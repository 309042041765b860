/**
 * The static checks a whole `npm test` runs: the typecheck, ESLint and Prettier's check, side by
 * side from the start of the run (each is mostly one core busy), beside the stack's start and the
 * first test files. Each one's result is printed when it ends; one that fails stops the tests and
 * fails the run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

interface Check {
  name: string;
  command: string[];
}

export const CHECKS: Check[] = [
  { name: 'typecheck', command: ['tsc', '--noEmit', '-p', '.'] },
  { name: 'eslint', command: ['eslint', '.'] },
  { name: 'prettier', command: ['prettier', '--check', '.'] },
];

function runCheck(check: Check, root: string): Promise<{ ok: boolean; output: string; seconds: number }> {
  const began = Date.now();
  const [bin, ...args] = check.command as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(path.join(root, 'node_modules', '.bin', bin), args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (error) => resolve({ ok: false, output: error.message, seconds: 0 }));
    child.on('close', (code) => resolve({ ok: code === 0, output, seconds: (Date.now() - began) / 1000 }));
  });
}

/** Runs every check at once; prints each one's result (a failure's output too); true when all passed. */
export async function runChecks(root: string): Promise<boolean> {
  const results = await Promise.all(
    CHECKS.map(async (check) => {
      const result = await runCheck(check, root);
      const verdict = result.ok ? 'ok' : 'FAILED';
      process.stdout.write(`${check.name}: ${verdict} in ${result.seconds.toFixed(1)} s\n`);
      if (!result.ok) process.stdout.write(result.output.trimEnd() + '\n');
      return result.ok;
    }),
  );
  return results.every(Boolean);
}
