/**
 * Runs the local stack (devstack's startStack) in a process of its own, so the bench can tell the
 * worker's CPU and memory from the local Supabase API's. Prints one `READY {json}` line; stops the
 * stack when its stdin closes (the parent exited, even by a crash) or on SIGTERM/SIGINT.
 */
import { startStack, type Stack } from '../devstack/stack.js';
import type { StackChildOptions } from './stack-process.js';

const options = JSON.parse(process.argv[2] ?? '{}') as StackChildOptions;
const lines: string[] = [];
let stack: Stack | undefined;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stack?.stop().catch(() => undefined);
  process.exit(code);
}

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.stdin.on('end', () => void stop(0));
process.stdin.on('close', () => void stop(0));
process.stdin.resume();

try {
  stack = await startStack({
    temporalUi: false,
    temporalDynamicConfig: options.temporalDynamicConfig,
    temporalExtraNamespaces: options.temporalExtraNamespaces,
    realtimePlan: options.plan,
    log: (line) => {
      lines.push(line);
      if (lines.length > 200) lines.shift();
    },
  });
  const metrics = lines.map((l) => /Metrics:\s*(http\S+)/i.exec(l)?.[1]).find(Boolean) ?? null;
  process.stdout.write(
    `READY ${JSON.stringify({ source: stack.source, target: stack.target, temporal: stack.temporal, realtimePlan: stack.realtimePlan, temporalMetrics: metrics, log: lines.slice(-20) })}\n`,
  );
} catch (error) {
  process.stdout.write(`FAILED ${JSON.stringify(String(error))}\n`);
  await stop(1);
}
