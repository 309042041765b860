// Runs a TypeScript entry point of this project (src/client.ts, src/sync.ts, src/start.ts …) from
// one JavaScript file that esbuild builds once per version of the code and keeps in
// node_modules/.cache/supabase-sync/. Loading TypeScript through tsx's loader costs about 0.7 s of
// CPU on every start (each of hundreds of modules resolved and transformed through a loader
// thread); the bundle halves a command's start. Packages stay outside the bundle (imported from
// node_modules as usual).
//
// The cache key is a hash of the project's own code (src/, devstack/: the demo starts the local
// stack; bin/: src/worker.ts imports bin/heap-limits.mjs), of its folder and of esbuild's
// version; the file is written to a temporary name, then renamed, so processes that start
// together never read half of one. Where the bundle cannot be built or
// written (a read-only install), the entry point runs through tsx as before.
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cacheDirOf, sourceHash } from './source-hash.mjs';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const root = projectRoot;
const cacheDir = cacheDirOf(root);
const sourceDirs = ['src', 'devstack', 'bin'];

// Each module's `import.meta.url` stays its own file's URL (they find SQL files, migrations and
// scripts beside them), not the bundle's.
const ownUrls = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

/** Builds the bundle of `entry` unless built for this code; returns its file. */
export async function bundle(entry) {
  const esbuild = await import('esbuild');
  const name = entry.replace(/\.ts$/, '').replaceAll(/[\\/]/g, '-');
  // The bundle holds its modules' own file URLs: a copy of the project elsewhere builds its own.
  const key = await sourceHash(root, sourceDirs, [esbuild.version, root, entry]);
  const file = path.join(cacheDir, `${name}-${key}.mjs`);
  try {
    await access(file);
    return file;
  } catch {
    // not built yet for this code
  }
  await mkdir(cacheDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp.mjs`;
  try {
    await esbuild.build({
      entryPoints: [path.join(root, entry)],
      outfile: temp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [ownUrls],
    });
  } finally {
    // esbuild's service is a child process that would otherwise live as long as this one: a
    // worker started on new code kept it all its life (~16–30 MB of RSS).
    await esbuild.stop();
  }
  // The map's name inside the bundle is the temporary one: both files move.
  await rename(`${temp}.map`, `${file}.map`).catch(() => undefined);
  const code = await readFile(temp, 'utf8');
  await writeFile(temp, code.replace(/sourceMappingURL=.*$/m, `sourceMappingURL=${path.basename(file)}.map`));
  await rename(temp, file);
  // Bundles of earlier versions of this entry point, built over an hour ago, are not needed again
  // (one of another copy of the project sharing node_modules is built again when it starts).
  for (const old of await readdir(cacheDir)) {
    if (!old.startsWith(`${name}-`) || old.startsWith(path.basename(file))) continue;
    const stale = path.join(cacheDir, old);
    const { mtimeMs } = await stat(stale).catch(() => ({ mtimeMs: Date.now() }));
    if (Date.now() - mtimeMs > 3_600_000) await rm(stale, { force: true });
  }
  return file;
}

/** Runs `entry` (a path from the project root, e.g. 'src/sync.ts') from its bundle, else through tsx. */
export async function runBundled(entry) {
  let file;
  try {
    file = await bundle(entry);
  } catch {
    // no esbuild, or a read-only install: tsx below
  }
  // Error stacks name the TypeScript files and lines.
  process.setSourceMapsEnabled(true);
  if (file) {
    await import(pathToFileURL(file).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, entry)).href);
}
