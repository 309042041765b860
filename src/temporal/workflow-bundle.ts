/**
 * The workflow bundle the worker loads: Temporal's webpack build of src/workflows, made once per
 * version of the code and kept on disk, so that a worker starts without bundling again (about
 * 1.6 s of CPU each time, on every `npm run sync`, `npm start`, restart and test worker).
 *
 * The cache key is a hash of every source file under src/ (the workflows import from several
 * folders; bin/source-hash.mjs) and of the installed @temporalio/workflow version, so a change to
 * either builds anew.
 * The file lives in node_modules/.cache/supabase-sync/ (written to a temporary name, then renamed:
 * concurrent workers never read half a file; older versions' bundles are removed). Where that folder cannot be written (a read-only
 * image), the worker bundles in memory as before.
 */
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundle, type WorkflowBundlePath } from '@temporalio/worker';
import { cacheDirOf, sourceHash } from '../../bin/source-hash.mjs';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const workflowsPath = path.join(projectRoot, 'src', 'workflows', 'index.ts');
const cacheDir = cacheDirOf(projectRoot);

async function cacheKey(): Promise<string> {
  const workflowPackage = createRequire(import.meta.url).resolve('@temporalio/workflow/package.json');
  const { version } = JSON.parse(await readFile(workflowPackage, 'utf8')) as { version: string };
  return sourceHash(projectRoot, ['src'], [version]);
}

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

const bundleFile = async () => path.join(cacheDir, `workflows-${await cacheKey()}.js`);

/**
 * The bundle for a worker made at once (src/worker.ts): a cached one as its file, which the SDK
 * reads as it makes the worker, so that the worker holds no copy of its 2 MB of code (4 MB of
 * heap) in its options all its life. (Callers that keep a bundle to make workers later, the tests,
 * take the code: another version's process may remove the file meanwhile.)
 */
export async function workerWorkflowBundle(): Promise<WorkflowBundle | WorkflowBundlePath> {
  const file = await bundleFile();
  return access(file).then(
    () => ({ codePath: file }),
    () => workflowBundle(),
  );
}

/** The bundle for the code as it is now: from the cache, else built (and cached when possible). */
export async function workflowBundle(): Promise<WorkflowBundle> {
  const file = await bundleFile();
  try {
    return { code: await readFile(file, 'utf8') };
  } catch {
    // not built yet for this code
  }
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  try {
    await mkdir(cacheDir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, code);
    await rename(temp, file);
    // Bundles of earlier versions of the code are not needed again.
    for (const old of await readdir(cacheDir))
      if (old.startsWith('workflows-') && old !== path.basename(file) && !old.endsWith('.tmp'))
        await rm(path.join(cacheDir, old), { force: true });
  } catch {
    // a read-only install: this worker keeps the bundle in memory only
  }
  return { code };
}
