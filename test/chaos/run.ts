/**
 * The fault-injection suite: `npm run test:chaos [-- options]`.
 *
 * Starts a local stack (two Postgres servers, a Supabase API in front of each) and a Temporal dev
 * server of its own (SQLite-backed, so it can be restarted), then runs randomized workloads while
 * faults are injected (see scenario.ts), and after each checks the target equals the source.
 *
 *   npm run test:chaos                                  # 5 runs of 30 s, random seeds
 *   npm run test:chaos -- --iterations 20 --duration 20
 *   CHAOS_SEED=12345 npm run test:chaos                 # replay one seed (or --seed 12345)
 *   npm run test:chaos -- --faults kill-worker,target-503
 *   npm run test:chaos -- --workload app                # only the SaaS app schema (default: mixed)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { startStack } from '../../devstack/stack.js';
import {
  FAULTS,
  RestartableTemporal,
  runChaos,
  workerLogTail,
  type ChaosResult,
  type Fault,
} from './scenario.js';

const program = new Command('test:chaos')
  .description('Randomized workloads under injected faults; the target must converge to the source.')
  .option('-n, --iterations <n>', 'number of runs', '5')
  .option('-d, --duration <seconds>', 'workload (and fault) duration per run', '30')
  .option('-s, --seed <seed>', 'seed of the first run (default: CHAOS_SEED, else random)')
  .option('-t, --converge-timeout <seconds>', 'deadline for convergence after the faults stop', '120')
  .option('-f, --faults <list>', `comma-separated subset of: ${FAULTS.join(', ')}`, FAULTS.join(','))
  .option('--fault-every <ms>', 'mean pause between faults', '3000')
  .option('--clients <n>', 'concurrent workload clients', '3')
  .option(
    '-w, --workload <kind>',
    'classic (three tables of awkward keys), app (a SaaS app schema: unique swaps, cascades, partitions, TRUNCATE, a column added mid-run), or mixed (odd seeds app)',
    'mixed',
  )
  .option(
    '--reinsert-after-concurrent-delete',
    'add the workload operation that reproduces the known tombstone bug (a key re-inserted by a transaction older than its delete)',
  )
  .option('--keep', 'keep every run directory (worker logs), not only failed ones')
  .option('--stop-on-failure', 'stop after the first failing run')
  .parse();
const opts = program.opts<{
  iterations: string;
  duration: string;
  seed?: string;
  convergeTimeout: string;
  faults: string;
  faultEvery: string;
  clients: string;
  workload: string;
  keep?: boolean;
  reinsertAfterConcurrentDelete?: boolean;
  stopOnFailure?: boolean;
}>();

const faults = opts.faults.split(',').map((f) => f.trim()) as Fault[];
for (const f of faults) {
  if (!(FAULTS as readonly string[]).includes(f)) {
    console.error(`test:chaos: unknown fault "${f}" in --faults; known: ${FAULTS.join(', ')}`);
    process.exit(2);
  }
}
if (!['classic', 'app', 'mixed'].includes(opts.workload)) {
  console.error(`test:chaos: --workload must be classic, app or mixed (got "${opts.workload}")`);
  process.exit(2);
}
const seedText = opts.seed ?? process.env.CHAOS_SEED;
const firstSeed = seedText !== undefined ? Number(seedText) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(firstSeed) || firstSeed < 0) {
  console.error(`test:chaos: the seed must be a non-negative integer (got "${seedText}")`);
  process.exit(2);
}
// One given seed replays that run; further iterations take the following seeds.
const iterations = seedText !== undefined && opts.iterations === '5' ? 1 : Number(opts.iterations);

const dir = await mkdtemp(path.join(os.tmpdir(), 'supabase-sync-chaos-'));
const log = (line: string) => console.log(line);
const temporal = await RestartableTemporal.start(dir, (line) => {
  if (process.env.CHAOS_VERBOSE) log(line);
});
const stack = await startStack({ temporalAddress: temporal.address, temporalUi: false });
console.log(
  `chaos stack ready: source ${stack.source.url}, target ${stack.target.url}, Temporal ${temporal.address}`,
);

const results: ChaosResult[] = [];
let interrupted = false;
const onSignal = () => {
  interrupted = true;
  console.log('interrupted: finishing the current run, then stopping');
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  for (let i = 0; i < iterations && !interrupted; i++) {
    const seed = firstSeed + i;
    console.log(`\n[${i + 1}/${iterations}] seed ${seed} (replay: CHAOS_SEED=${seed} npm run test:chaos)`);
    const result = await runChaos({
      source: stack.source,
      target: stack.target,
      seed,
      durationMs: Number(opts.duration) * 1000,
      convergeTimeoutMs: Number(opts.convergeTimeout) * 1000,
      faults,
      faultEveryMs: Number(opts.faultEvery),
      clients: Number(opts.clients),
      keepArtifacts: opts.keep === true,
      reinsertAfterConcurrentDelete: opts.reinsertAfterConcurrentDelete === true,
      workload:
        opts.workload === 'mixed'
          ? seed % 2 === 1
            ? 'app'
            : 'classic'
          : (opts.workload as 'classic' | 'app'),
      temporal,
      log,
    });
    results.push(result);
    console.log(`  ${result.ok ? 'PASS' : 'FAIL'} ${result.summary}`);
    if (result.unexpectedWorkerExits.length > 0)
      console.log(`  worker exited on its own: ${JSON.stringify(result.unexpectedWorkerExits)}`);
    if (!result.ok && result.artifacts)
      console.log(`  worker log tail:\n${await workerLogTail(result.artifacts)}`);
    if (!result.ok && opts.stopOnFailure) break;
  }
} finally {
  await stack.stop();
  await temporal.down();
  await rm(dir, { recursive: true, force: true });
}

const passed = results.filter((r) => r.ok);
const times = passed.map((r) => r.convergeMs!).sort((a, b) => a - b);
console.log('\nchaos summary');
for (const r of results) {
  const kinds = [...new Set(r.faults.map((f) => f.fault))].join(',');
  console.log(
    `  seed ${r.seed}: ${r.ok ? `converged in ${(r.convergeMs! / 1000).toFixed(2)} s` : 'FAILED'}; ${r.faults.length} faults (${kinds}); ${r.workload.ops} ops; worker starts ${r.workerStarts}${r.unexpectedWorkerExits.length ? `; ${r.unexpectedWorkerExits.length} unexpected worker exit(s)` : ''}`,
  );
}
if (times.length > 0) {
  console.log(
    `  ${passed.length}/${results.length} passed; convergence min ${(times[0]! / 1000).toFixed(2)} s, median ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(2)} s, max ${(times[times.length - 1]! / 1000).toFixed(2)} s`,
  );
} else {
  console.log(`  ${passed.length}/${results.length} passed`);
}
process.exit(results.length > 0 && passed.length === results.length ? 0 : 1);
