/**
 * `npm run stack`: start the local stack, write the env file, print the URLs and `stack ready`,
 * and stop everything on SIGINT/SIGTERM.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { startStack, writeEnvFile, type Stack } from './stack.js';
import { DEFAULT_PLAN, isPlanName, PLAN_NAMES, PLANS, type PlanName } from './realtime/plans.js';

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
  .option('--env-file <path>', 'where to write the env file', '.env.sync')
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
let stack: Stack | undefined;
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the stack …`);
  await stack?.stop();
  // stdout may be a pipe (asynchronous): let the last line out before exiting.
  process.stdout.write('stack stopped\n', () => process.exit(0));
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  stack = await startStack({
    persistDir: opts.persist,
    temporalAddress: process.env.TEMPORAL_ADDRESS || undefined,
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
  if (stopping) process.exit(0);
  const envFile = opts.envOutput ?? opts.envFile;
  await writeEnvFile(envFile, stack.env);
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
  console.log(`env file         ${envFile} (service role keys and database URLs)`);
  console.log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s — Ctrl-C stops it`);
} catch (error) {
  console.error(`stack failed to start: ${(error as Error).message}`);
  await stack?.stop();
  process.exit(1);
}
