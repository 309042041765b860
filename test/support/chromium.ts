/**
 * Debian's Chromium for the browser tests, installed by the project's own script when it is
 * missing (scripts/ensure-chromium.mjs: apt-get, about 25 s on a Debian 12 machine with a mirror
 * near). Once per machine (two files installing at once wait on dpkg's lock); a machine where it
 * cannot be installed fails the test with the script's one-line reason, never skips it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const run = promisify(execFile);

/** The binary's path: at once when present; else after the install. */
export async function ensureChromium(): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, ['scripts/ensure-chromium.mjs'], {
      cwd: root,
      timeout: INSTALL_TIMEOUT_MS,
    });
    return stdout.trim();
  } catch (error) {
    const said = (error as { stderr?: string }).stderr?.trim() || String(error);
    throw new Error(`Chromium is needed for this test and could not be installed:\n${said}`);
  }
}

export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await ensureChromium(), headless: true, args: CHROMIUM_FLAGS });
}
