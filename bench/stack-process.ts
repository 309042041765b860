/**
 * The bench's stacks, each in a process of its own (bench/stack-child.ts), so that the worker's CPU
 * and memory are apart from the local Supabase API's. `plan` is the Realtime plan the stack emulates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanName } from '../devstack/realtime/plans.js';
import { setAdminUrl, sleep } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface StackInfo {
  plan: string;
  source: { url: string; serviceRoleKey: string; databaseUrl: string; adminDatabaseUrl?: string };
  target: { url: string; serviceRoleKey: string; databaseUrl: string; adminDatabaseUrl?: string };
  temporal: { address: string; namespace: string };
  temporalMetrics: string | null;
}

export interface StackChildOptions {
  plan: PlanName;
  temporalDynamicConfig?: string[];
  temporalExtraNamespaces?: string[];
}

export interface StackProcess {
  child: ChildProcess;
  info: StackInfo;
  stop(): Promise<void>;
}

export async function startStackProcess(options: StackChildOptions): Promise<StackProcess> {
  const c = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'stack-child.ts'), JSON.stringify(options)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const stop = async () => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.stdin.end();
    c.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (c.exitCode === null) c.kill('SIGKILL');
  };
  const info = await new Promise<StackInfo>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('stack did not start within 120 s')), 120_000);
    c.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('READY ') || l.startsWith('FAILED '));
      if (!line) return;
      clearTimeout(timer);
      if (line.startsWith('FAILED ')) reject(new Error(`stack failed: ${line.slice(7)}`));
      else {
        const info = { ...(JSON.parse(line.slice(6)) as Omit<StackInfo, 'plan'>), plan: options.plan };
        for (const p of [info.source, info.target]) setAdminUrl(p.databaseUrl, p.adminDatabaseUrl);
        resolve(info);
      }
    });
    c.once('exit', (code) => reject(new Error(`stack process exited (${code})`)));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { child: c, info, stop };
}
