/**
 * Loaded into every test file's process (the harness passes `--import` to the test runner, which
 * hands its own flags to each file's process): writes that file's wall time to
 * $TEST_FILE_TIMES_DIR when the process exits, for the harness's "slowest test files" list. The
 * runner's reporters cannot time files: with several files at once, it reports each file's events
 * only after the files before it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.TEST_FILE_TIMES_DIR;
const file = process.argv[1];
if (dir && file?.endsWith('.test.ts')) {
  const started = Date.now() - Math.round(process.uptime() * 1000);
  process.on('exit', () => {
    const name = path.relative(process.cwd(), file);
    const record = JSON.stringify({ file: name, seconds: (Date.now() - started) / 1000 });
    writeFileSync(path.join(dir, `${name.replace(/[\\/]/g, '__')}.json`), record);
  });
}
