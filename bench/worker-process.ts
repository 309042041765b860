/**
 * The worker alone, in a process of its own, as a user runs it: `node bin/run.mjs src/sync.ts`
 * (test/support/sync-process.ts) configured by an env file and a tables file, so that its memory
 * is measured apart from the bench's clients. The bench reads the tables' status through a client
 * of its own and samples the process's RSS from /proc (its own and any children's).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TableConfig } from '../src/contracts/config.js';
import type { TableStatus } from '../src/contracts/table-sync.js';
import { workflowIdFor } from '../src/workflows/ids.js';
import { statusQuery } from '../src/workflows/messages.js';
import { spawnSyncProcess, type SyncProcess } from '../test/support/sync-process.js';
import type { StackInfo } from './stack-process.js';
import { sleep, until } from './lib.js';

export interface WorkerProcess {
  pid: number;
  /** Resident memory of the process and its descendants, in MB (VmRSS). */
  rssMb(): number;
  status(t: TableConfig): Promise<TableStatus>;
  /** The tables' initial copies done and their Realtime feeds live. */
  waitSyncing(tables: TableConfig[], timeoutMs: number): Promise<void>;
  /**
   * Each table's first pass after its copy (the catch-up its feed asked for when it went live) is
   * done, so that what follows measures the tables running, not 200 copies and catch-ups at once.
   * Returns false if that was not so within `timeoutMs` (the measurement goes on).
   */
  waitSettled(tables: TableConfig[], timeoutMs: number): Promise<boolean>;
  /** SIGTERM (graceful), then the table workflows terminated. */
  stop(): Promise<void>;
  output(): string;
}

/** A free TCP port on 127.0.0.1 (the worker serves its Prometheus metrics there, as by default). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

function vmRssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pid and its descendants (from /proc/<pid>/stat's parent field). */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/** Worker processes running now: the bench's cleanup ends them (an interrupted run leaves none). */
const running = new Set<WorkerProcess>();

/** Stops every worker process still running (the bench's cleanup, on failure or its deadline too). */
export async function stopWorkerProcesses(): Promise<void> {
  for (const w of [...running]) await w.stop();
}

export async function startWorkerProcess(
  stack: Pick<StackInfo, 'source' | 'target' | 'temporal'>,
  client: Client,
  tables: TableConfig[],
  taskQueue: string,
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-worker-'));
  const lines = {
    SYNC_SOURCE_SUPABASE_URL: stack.source.url,
    SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: stack.source.serviceRoleKey,
    SYNC_TARGET_SUPABASE_URL: stack.target.url,
    SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: stack.target.serviceRoleKey,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SYNC_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    SYNC_LOG_LEVEL: 'warn',
    ...env,
  };
  await writeFile(
    path.join(dir, 'sync.env'),
    `${Object.entries(lines)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  await writeFile(
    path.join(dir, 'tables.json'),
    JSON.stringify({ tables: tables.map((t) => ({ name: t.qualifiedName })) }),
  );
  const p: SyncProcess = spawnSyncProcess(dir);
  const pid = p.child.pid!;
  const status = (t: TableConfig) => client.workflow.getHandle(workflowIdFor(t)).query(statusQuery);
  const alive = () => p.child.exitCode === null && p.child.signalCode === null;
  const w: WorkerProcess = {
    pid,
    rssMb: () => Math.round(processTree(pid).reduce((kb, q) => kb + vmRssKb(q), 0) / 1024),
    status,
    output: p.output,
    waitSyncing: async (ts, timeoutMs) => {
      for (const t of ts)
        await until(
          `${t.table} copied and live in the worker process`,
          async () => {
            if (!alive()) throw new Error(`the worker process exited: ${p.output().slice(-2000)}`);
            const st = await status(t).catch(() => undefined);
            return st?.initialCopy.done && st.realtime.connected ? st : undefined;
          },
          timeoutMs,
          200,
        );
    },
    waitSettled: async (ts, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (const t of ts) {
        const settled = await until(
          `${t.table}: a pass after the copy`,
          async () => {
            const st = await status(t).catch(() => undefined);
            return st?.lastPass && st.lastPass.kind !== 'initial-copy' ? st : undefined;
          },
          Math.max(1, deadline - Date.now()),
          250,
        ).then(
          () => true,
          () => false,
        );
        if (!settled) return false;
      }
      return true;
    },
    stop: async () => {
      running.delete(w);
      if (alive()) p.child.kill('SIGTERM');
      await Promise.race([p.exited, sleep(30_000)]);
      if (alive()) p.child.kill('SIGKILL');
      for (const t of tables)
        await client.workflow
          .getHandle(workflowIdFor(t))
          .terminate('bench finished')
          .catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  running.add(w);
  return w;
}
