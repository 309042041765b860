// Makes sure Debian's Chromium is on this machine, for the browser tests (test/cli/dashboard.test.ts)
// and `npm run ui:screenshot`; prints its path on stdout. Already there (CHROMIUM_PATH, or
// /usr/bin/chromium): nothing to do, in milliseconds. Missing: `apt-get update` then `apt-get install
// -y --no-install-recommends chromium` (about a minute on a Debian 12 machine with a mirror nearby),
// as root or through sudo without a password. Exit 1 with one line saying what to do when it cannot.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function present() {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(why) {
  console.error(
    `ensure-chromium: ${why}. Install Debian's Chromium yourself (as root: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary.`,
  );
  process.exit(1);
}

if (!present()) {
  if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH=${path} is not an executable file`);
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root && !sudo)
    fail(`${path} is missing and this user can neither run apt-get (not root) nor sudo without a password`);
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0)
    fail(`${path} is missing and there is no apt-get here`);
  const began = Date.now();
  const apt = (args) => {
    const command = sudo ? ['sudo', '-n', 'apt-get', ...args] : ['apt-get', ...args];
    // Other installs on the machine hold dpkg's lock for a while: wait for it rather than fail.
    const r = spawnSync(command[0], [...command.slice(1)], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) fail(`\`apt-get ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
  };
  console.error(`ensure-chromium: ${path} is missing; installing Debian's chromium package with apt-get …`);
  apt(['-o', 'DPkg::Lock::Timeout=300', 'update']);
  apt(['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', 'chromium']);
  if (!present()) fail(`apt-get installed chromium but ${path} is still missing`);
  console.error(`ensure-chromium: installed in ${((Date.now() - began) / 1000).toFixed(0)} s`);
}
console.log(path);
