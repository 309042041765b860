/**
 * Debian's Chromium for the browser tests, installed by the project's own script when it is
 * missing (scripts/ensure-chromium.mjs: apt-get, about 25 s on a Debian 12 machine with a mirror
 * near). Once per machine (two files installing at once wait on dpkg's lock); a machine where it
 * cannot be installed fails the test with the script's one-line reason, never skips it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** The binary's path: at once when present; else after the install. */
export function ensureChromium(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/ensure-chromium.mjs'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout.trim());
      else
        reject(new Error(`Chromium is needed for this test and could not be installed:\n${stderr.trim()}`));
    });
  });
}

export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await ensureChromium(), headless: true, args: CHROMIUM_FLAGS });
}
