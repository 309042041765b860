/**
 * The Storage figure of `npm run bench` (`--only=storage`): object copy throughput in MB/s, ours
 * (a `storage-sync:<bucket>` workflow: metadata by RPC, each object streamed from the source's
 * download into the target's upload, TUS above 6 MB) beside a plain HTTP download-then-upload of
 * the same bytes (each object fetched whole into memory, then POSTed), in the same run: 1,000 small
 * objects (4 KiB) and one large one (200 MB; `--storage-big-mb=N` for another size, e.g. 1024 to
 * see the memory bound). The worker runs in the bench process: its peak RSS over the baseline while
 * the large object is copied is the memory figure, for ours and for the plain copy.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { SyncConfig } from '../src/contracts/config.js';
import { ensureStorageWorkflows, storageSettings } from '../src/engine/storage.js';
import { tusUpload } from '../src/supabase/storage-tus.js';
import { storageWorkflowId } from '../src/workflows/storage-decisions.js';
import { storageStatusQuery } from '../src/workflows/storage-messages.js';
import type { RunningSync } from '../test/support/sync.js';
import { round, until } from './lib.js';

interface Project {
  url: string;
  serviceRoleKey: string;
}
export interface StorageFigureInput {
  source: Project;
  target: Project;
  smallObjects: number;
  bigMb: number;
  config: (tables: []) => SyncConfig;
  startSync: (c: SyncConfig) => Promise<RunningSync>;
  closeSync: (s: RunningSync) => Promise<void>;
  log: (s: string) => void;
}
export interface CopyRate {
  objects: number;
  megabytes: number;
  seconds: number;
  mbPerSec: number;
  /** Peak resident memory of the bench process over its baseline during the copy. */
  peakRssOverBaselineMb: number;
}
export interface StorageFigure {
  small: { ours: CopyRate; plain: CopyRate };
  big: { ours: CopyRate; plain: CopyRate };
}

const MB = 1024 * 1024;
const SMALL_BYTES = 4096;
const PARALLEL = 8;

const clientOf = (p: Project) =>
  createClient(p.url, p.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as never },
  });

/** Samples this process's RSS every 50 ms until stopped; returns the peak over the start. */
function watchRss(): () => number {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return () => {
    clearInterval(timer);
    return round((peak - base) / MB, 1);
  };
}

async function eachLimited<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** `bytes` of random data as a stream, 1 MiB at a time (never whole in memory). */
function randomStream(bytes: number): ReadableStream<Uint8Array> {
  let left = bytes;
  return Readable.toWeb(
    new Readable({
      read() {
        if (left <= 0) return void this.push(null);
        const n = Math.min(MB, left);
        left -= n;
        this.push(randomBytes(n));
      },
    }),
  ) as ReadableStream<Uint8Array>;
}

/** Download whole, then upload: what a script without streaming does. */
async function plainCopy(from: Project, to: Project, bucket: string, toBucket: string, name: string) {
  const path = name.split('/').map(encodeURIComponent).join('/');
  const auth = { authorization: `Bearer ${from.serviceRoleKey}`, apikey: from.serviceRoleKey };
  const got = await fetch(`${from.url}/storage/v1/object/${bucket}/${path}`, { headers: auth });
  if (!got.ok) throw new Error(`plain download ${name}: HTTP ${got.status}`);
  const body = Buffer.from(await got.arrayBuffer());
  const put = await fetch(`${to.url}/storage/v1/object/${toBucket}/${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${to.serviceRoleKey}`,
      apikey: to.serviceRoleKey,
      'content-type': got.headers.get('content-type') ?? 'application/octet-stream',
      'x-upsert': 'true',
    },
    body,
  });
  if (!put.ok) throw new Error(`plain upload ${name}: HTTP ${put.status} ${await put.text()}`);
}

async function ours(
  input: StorageFigureInput,
  bucket: string,
  objects: number,
  bytes: number,
): Promise<CopyRate> {
  const sync = await input.startSync(input.config([]));
  const stopRss = watchRss();
  const began = Date.now();
  try {
    await ensureStorageWorkflows(
      sync.client,
      sync.config,
      [bucket],
      storageSettings(sync.config, { intervalMs: 200 }),
    );
    await until(
      `storage copy of ${bucket}`,
      async () => {
        const s = await sync.client.workflow.getHandle(storageWorkflowId(bucket)).query(storageStatusQuery);
        if (s.lastError) throw new Error(s.lastError.message);
        return s.counters.objectsCopied >= objects ? s : undefined;
      },
      900_000,
      100,
    );
    const seconds = (Date.now() - began) / 1000;
    return rate(objects, bytes, seconds, stopRss());
  } finally {
    await sync.client.workflow
      .getHandle(storageWorkflowId(bucket))
      .terminate('bench done')
      .catch(() => undefined);
    await input.closeSync(sync);
  }
}

function rate(objects: number, bytes: number, seconds: number, rss: number): CopyRate {
  return {
    objects,
    megabytes: round(bytes / MB, 1),
    seconds: round(seconds, 2),
    mbPerSec: round(bytes / MB / seconds, 2),
    peakRssOverBaselineMb: rss,
  };
}

async function plain(
  input: StorageFigureInput,
  bucket: string,
  names: string[],
  bytes: number,
): Promise<CopyRate> {
  const toBucket = `${bucket}-plain`;
  const { error } = await clientOf(input.target).storage.createBucket(toBucket, { public: false });
  if (error) throw new Error(`plain bucket: ${error.message}`);
  const stopRss = watchRss();
  const began = Date.now();
  await eachLimited(names, (n) => plainCopy(input.source, input.target, bucket, toBucket, n));
  return rate(names.length, bytes, (Date.now() - began) / 1000, stopRss());
}

export async function figureStorage(input: StorageFigureInput): Promise<StorageFigure> {
  const source = clientOf(input.source);
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const small = `bench-small-${tag}`;
  const big = `bench-big-${tag}`;
  for (const b of [small, big]) {
    const { error } = await source.storage.createBucket(b, { public: false });
    if (error) throw new Error(`bucket ${b}: ${error.message}`);
  }
  input.log(
    `storage: uploading ${input.smallObjects} objects of ${SMALL_BYTES} B and one of ${input.bigMb} MB`,
  );
  const names = Array.from({ length: input.smallObjects }, (_, i) => `n/${Math.floor(i / 100)}/obj-${i}.bin`);
  await eachLimited(names, async (name) => {
    const { error } = await source.storage
      .from(small)
      .upload(name, randomBytes(SMALL_BYTES), { upsert: true });
    if (error) throw new Error(`upload ${name}: ${error.message}`);
  });
  const bigBytes = input.bigMb * MB;
  await tusUpload(randomStream(bigBytes), {
    endpoint: `${input.source.url}/storage/v1/upload/resumable`,
    serviceRoleKey: input.source.serviceRoleKey,
    bucket: big,
    name: 'large/object.bin',
    size: bigBytes,
    contentType: 'application/octet-stream',
    cacheControl: '3600',
    userMetadata: null,
  });
  const smallBytes = input.smallObjects * SMALL_BYTES;
  const smallOurs = await ours(input, small, input.smallObjects, smallBytes);
  input.log(`storage: ${input.smallObjects} small objects, ours ${smallOurs.mbPerSec} MB/s`);
  const smallPlain = await plain(input, small, names, smallBytes);
  input.log(`storage: ${input.smallObjects} small objects, plain ${smallPlain.mbPerSec} MB/s`);
  const bigOurs = await ours(input, big, 1, bigBytes);
  input.log(
    `storage: ${input.bigMb} MB object, ours ${bigOurs.mbPerSec} MB/s, RSS +${bigOurs.peakRssOverBaselineMb} MB`,
  );
  const bigPlain = await plain(input, big, ['large/object.bin'], bigBytes);
  input.log(
    `storage: ${input.bigMb} MB object, plain ${bigPlain.mbPerSec} MB/s, RSS +${bigPlain.peakRssOverBaselineMb} MB`,
  );
  return { small: { ours: smallOurs, plain: smallPlain }, big: { ours: bigOurs, plain: bigPlain } };
}

export function storageLines(f: StorageFigure, bigMb: number): string[] {
  const row = (label: string, r: { ours: CopyRate; plain: CopyRate }) =>
    `   ${label.padEnd(26)} ${String(r.ours.mbPerSec).padStart(8)} MB/s (RSS +${r.ours.peakRssOverBaselineMb} MB)   ${String(r.plain.mbPerSec).padStart(8)} MB/s (RSS +${r.plain.peakRssOverBaselineMb} MB)   ${round(r.ours.mbPerSec / r.plain.mbPerSec, 2)}×`;
  return [
    '',
    '8. Storage object copy                      ours (workflow, streamed)        plain download-then-upload       ratio',
    row(`${f.small.ours.objects} objects of 4 KiB`, f.small),
    row(`1 object of ${bigMb} MB`, f.big),
  ];
}
