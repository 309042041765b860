/**
 * Temporal's time-skipping test server for the tests, fetched on first use: the TypeScript SDK
 * downloads it from GitHub (no internet here), so the Java build of it is resolved from Maven
 * Central instead (io.temporal:temporal-test-server, pinned in ./temporal-test-server/pom.xml) by
 * Maven's dependency plugin, and its jars copied into node_modules/.cache. Maven keeps what it
 * downloads in ~/.m2, so a fresh clone on a machine that fetched it once copies them without the
 * network. Measured here: about 11 s with an empty ~/.m2, about 3 s from a filled one; the copy
 * holds 39 jars, 33 MB.
 *
 * `TestWorkflowEnvironment.createTimeSkipping` runs an `existing-path` executable as
 * `<path> <port> ...extraArgs` (sdk-core ephemeral_server TestServerConfig) and gives it 5 s to
 * answer; the Java server's main takes `<port> [--enable-time-skipping]`, so the executable is a
 * small shell script that `exec`s java with the jars (the SDK stops the server by its pid). Without
 * `--enable-time-skipping` time skipping starts locked: the SDK's client unlocks it while it waits
 * for a result, `env.sleep` while it sleeps.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pom = fileURLToPath(new URL('./temporal-test-server/pom.xml', import.meta.url));

/** Why the time-skipping tests cannot run on this machine (no Java), or undefined. */
export function missingJava(): string | undefined {
  const java = spawnSync(javaCommand(), ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0)
    return `no Java runtime (${javaCommand()}): the time-skipping test server is a Java program; install a JDK 11+ (apt-get install default-jre-headless) to run this test`;
  return undefined;
}

function javaCommand(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/**
 * The absolute path of the server's launcher (`<launcher> <port>`), fetching its jars first when
 * this pom has not been fetched yet.
 */
export async function temporalTestServer(log: (line: string) => void = () => undefined): Promise<string> {
  const key = createHash('sha256')
    .update(await readFile(pom))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(root, 'node_modules', '.cache', `temporal-test-server-${key}`);
  const launcher = path.join(dir, 'temporal-test-server');
  if (existsSync(launcher)) return launcher;
  await mkdir(path.dirname(dir), { recursive: true });
  // Fetched beside it, then renamed into place: two processes fetching at once both end with one copy.
  const tmp = await mkdtemp(`${dir}.fetch-`);
  try {
    const started = Date.now();
    const mvn = spawnSync(
      'mvn',
      [
        '--batch-mode',
        '--quiet',
        '--file',
        pom,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(tmp, 'lib')}`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000 },
    );
    if (mvn.error || mvn.status !== 0)
      throw new Error(
        `fetching the Temporal test server from Maven Central failed (${mvn.error?.message ?? `mvn exited ${mvn.status}`}): ` +
          `Maven is needed once to fetch it (apt-get install maven)\n${mvn.stdout}${mvn.stderr}`,
      );
    // The JVM flags keep its start well inside the SDK's 5 s on a loaded machine.
    const script = [
      '#!/bin/sh',
      '# Written by test/support/temporal-test-server.ts: the Java time-skipping test server.',
      `exec "\${JAVA_HOME:+$JAVA_HOME/bin/}java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$(dirname "$0")/lib/*" io.temporal.testserver.TestServer "$@"`,
      '',
    ].join('\n');
    await writeFile(path.join(tmp, 'temporal-test-server'), script);
    await chmod(path.join(tmp, 'temporal-test-server'), 0o755);
    await rename(tmp, dir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(launcher)) throw error;
    });
    log(`temporal test server: fetched into ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return launcher;
}
