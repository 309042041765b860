/**
 * `npm run stack`: start the local stack, write the env file, print the URLs and `stack ready`,
 * and stop everything — the env file removed — on SIGINT or SIGTERM (to this process, to npm,
 * or to the group), or when the parent process dies. Whatever hangs, this process ends within
 * STOP_DEADLINE_MS of the request; the guards of the servers (guard.ts) stop what is left then,
 * as they do when this process is SIGKILLed. While it runs, `npm run stack -- stop source` (and
 * `start source`, `status`) from another terminal switches one project off and on (control.ts).
 */
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { listenForStop } from '../src/engine/stop-signals.js';
import { envFileRefusal, ownerLine, unchanged, writeEnvFile } from './env-file.js';
import { guardPaths, type PathGuard } from './guard.js';
import { startStack, type Stack } from './stack.js';
import { CONTROL_ENV, CONTROL_USAGE, startControl, type ControlChannel } from './control.js';
import { controlCommand } from './control-client.js';
import { TemporalUnreachableError } from './temporal.js';
import { DEFAULT_PLAN, isPlanName, PLAN_NAMES, PLANS, type PlanName } from './realtime/plans.js';

const STOP_DEADLINE_MS = 8000;

function portOption(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidArgumentError('a port is a whole number from 1 to 65535');
  return port;
}

function planOption(value: string): PlanName {
  if (!isPlanName(value)) throw new InvalidArgumentError(`use one of ${PLAN_NAMES.join(', ')}`);
  return value;
}

function msOption(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0)
    throw new InvalidArgumentError('a whole number of milliseconds, 0 or more');
  return ms;
}

const program = new Command('stack')
  .description(
    'Start two local Supabase projects (Postgres + REST + Realtime + Storage) and a Temporal dev server with UI.',
  )
  .argument(
    '[command...]',
    `to the stack running with that env file, from another terminal: ${CONTROL_USAGE}`,
  )
  .option(
    '--env-file <path>',
    'where to write the env file (a command: where to find the stack)',
    '.env.sync',
  )
  .addOption(new Option('--env-output <path>').hideHelp())
  .option('--persist <dir>', 'keep databases, keys and Temporal state in this folder between runs')
  .option('--source-port <port>', 'source API port', portOption)
  .option('--target-port <port>', 'target API port', portOption)
  .option('--source-db-port <port>', 'source Postgres port', portOption)
  .option('--target-db-port <port>', 'target Postgres port', portOption)
  .option('--temporal-port <port>', 'Temporal frontend port', portOption)
  .option('--ui-port <port>', 'Temporal Web UI port', portOption)
  .option('--no-ui', 'do not start the Temporal Web UI')
  .option(
    '--legacy-grants',
    'grant new tables to anon, authenticated and service_role by default, as hosted projects made before 2026-10-30 did (default: no automatic grants, as hosted today)',
  )
  .option(
    '--plan <plan>',
    `hosted plan whose Realtime quotas to enforce: ${PLAN_NAMES.join(', ')}`,
    planOption,
    DEFAULT_PLAN,
  )
  .option(
    '--realtime-subscribe-delay <ms>',
    'how long after SUBSCRIBED a postgres_changes subscription takes effect (default 1000)',
    msOption,
  )
  .option('--verbose', "print the servers' log lines")
  .addHelpText('after', '\nSet TEMPORAL_ADDRESS to use an existing Temporal server instead of starting one.')
  .parse();

const opts = program.opts<{
  envFile: string;
  envOutput?: string;
  persist?: string;
  sourcePort?: number;
  targetPort?: number;
  sourceDbPort?: number;
  targetDbPort?: number;
  temporalPort?: number;
  uiPort?: number;
  ui: boolean;
  legacyGrants?: boolean;
  plan: PlanName;
  realtimeSubscribeDelay?: number;
  verbose?: boolean;
}>();

const started = Date.now();
const envFile = opts.envOutput ?? opts.envFile;
if (program.args.length > 0) process.exit(await controlCommand(envFile, program.args));
const refusal = await envFileRefusal(envFile);
if (refusal) {
  console.error(`stack: ${refusal}`);
  process.exit(1);
}
const stopRequest = listenForStop({
  parent: true,
  first: (why) => {
    console.log(`${why}: stopping the stack …`);
    setTimeout(() => {
      console.log(
        `still stopping after ${STOP_DEADLINE_MS / 1000} s: exiting (the servers' guards stop them)`,
      );
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
  },
  again: (why) => console.log(`${why}: already stopping the stack …`),
});
const stopRequested = new Promise<void>((resolve) =>
  stopRequest.signal.addEventListener('abort', () => resolve(), { once: true }),
);

const temporalFromEnv = process.env.TEMPORAL_ADDRESS || undefined;
let stack: Stack;
try {
  stack = await startStack({
    persistDir: opts.persist,
    temporalAddress: temporalFromEnv,
    temporalNamespace: process.env.TEMPORAL_NAMESPACE || undefined,
    temporalUi: opts.ui,
    legacyGrants: opts.legacyGrants === true,
    ports: {
      sourceApi: opts.sourcePort,
      targetApi: opts.targetPort,
      sourceDb: opts.sourceDbPort,
      targetDb: opts.targetDbPort,
      temporal: opts.temporalPort,
      temporalUi: opts.uiPort,
    },
    log: (line) => {
      if (opts.verbose || !line.startsWith('temporal:')) console.log(line);
    },
  });
} catch (error) {
  const message =
    error instanceof TemporalUnreachableError && temporalFromEnv
      ? `TEMPORAL_ADDRESS=${temporalFromEnv} is set in the environment, and no Temporal server answers there: ` +
        'unset it (unset TEMPORAL_ADDRESS) to let the stack start its own, or start that server first ' +
        "(a shell that sourced a stopped stack's env file keeps its address)"
      : (error as Error).message;
  console.error(`stack failed to start: ${message}`);
  process.exit(1);
}

// The env file, written only now and only if no other stack took it meanwhile; its guard removes
// it if this process is killed (and it still names this stack in its first line).
let written: string | undefined;
let envGuard: PathGuard | undefined;
let control: ControlChannel | undefined;
const lateRefusal = stopRequest.signal.aborted ? undefined : await envFileRefusal(envFile);
if (lateRefusal) {
  console.error(`stack: ${lateRefusal}`);
  await stack.stop();
  process.exit(1);
}
if (!stopRequest.signal.aborted) {
  control = await startControl(stack.projects, (line) => console.log(line));
  written = await writeEnvFile(envFile, { ...stack.env, [CONTROL_ENV]: control.socketPath }, process.pid);
  envGuard = guardPaths([], {
    removeIfFirstLine: { file: path.resolve(envFile), line: ownerLine(process.pid) },
  });
  printReady(stack);
}
await stopRequested;
await control?.close();
if (envGuard && written !== undefined) {
  if (await unchanged(envFile, written)) {
    await envGuard.stop();
    console.log(`env file ${envFile} removed`);
  } else {
    await envGuard.keep();
    console.log(`env file ${envFile} kept: it changed since the stack wrote it`);
  }
}
await stack.stop();
// stdout may be a pipe (asynchronous): let the last line out before exiting.
process.stdout.write('stack stopped\n', () => process.exit(0));

function printReady(stack: Stack): void {
  const redact = (url: string) => url.replace(/:[^:@/]+@/, ':***@');
  console.log(`source API       ${stack.source.url}   (Postgres ${redact(stack.source.databaseUrl)})`);
  console.log(`target API       ${stack.target.url}   (Postgres ${redact(stack.target.databaseUrl)})`);
  console.log(`Storage files    ${stack.source.storageDir} (source), ${stack.target.storageDir} (target)`);
  console.log(
    `Temporal         ${stack.temporal.address} namespace ${stack.temporal.namespace}${stack.temporal.started ? '' : ' (external)'}`,
  );
  if (stack.temporal.uiUrl) console.log(`Temporal UI      ${stack.temporal.uiUrl}`);
  console.log(
    `roles            as hosted: postgres is not a superuser; new tables get ${opts.legacyGrants ? 'grants to anon, authenticated, service_role (--legacy-grants)' : 'no automatic grants (grant in your migrations)'}`,
  );
  const plan = PLANS[stack.realtimePlan];
  console.log(
    `Realtime plan    ${plan.name}: ${plan.messagesPerSecond} messages/s (more are dropped silently), ` +
      `${plan.concurrentClients} clients, ${plan.joinsPerSecond} joins/s, ${plan.channelsPerConnection} channels per connection`,
  );
  console.log(
    `env file         ${envFile} (service role and anon keys, JWT secrets, database URLs; removed on stop)`,
  );
  const flag = envFile === '.env.sync' ? '' : ` --env-file ${envFile}`;
  console.log(
    `stop a project   npm run stack --${flag} stop source (start source, status) in another terminal` +
      (process.stdin.isTTY ? ', or type stop source here' : ''),
  );
  console.log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s — Ctrl-C stops it`);
}
