/**
 * The local Supabase API for one project: PostgREST's wire protocol at /rest/v1, Supabase
 * Realtime's at /realtime/v1/websocket and Supabase Storage's at /storage/v1, in front of one real
 * Postgres database (and, for Storage, a directory of object bytes).
 * A development and test tool: nothing in src/ imports it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { createRestHandler } from './rest/index.js';
import { createRealtimeServer, type RealtimePlan } from './realtime/index.js';
import { createStorageHandler } from './storage/index.js';
import { verifyServiceRoleJwt } from './keys.js';
import { API_LOGIN_ROLES, databaseUrlAs } from './roles.js';

/** PostgREST's db-max-rows on the Supabase platform. */
const PLATFORM_MAX_ROWS = 1000;

export interface SupabaseApiOptions {
  /**
   * The project's Postgres URL as any of its login roles (they share one password): each API logs
   * in as its hosted counterpart does (roles.ts) and runs requests as the request's role.
   */
  databaseUrl: string;
  /** HS256 secret the project's keys are signed with. */
  jwtSecret: string;
  port: number;
  host?: string;
  /** Name used in log lines, e.g. "source". */
  name?: string;
  /** Where Storage keeps object bytes; default a temporary directory removed on close. */
  storageDir?: string;
  /** Storage's global upload limit in bytes (default: hosted's 50 MiB). */
  storageFileSizeLimit?: number;
  /** Realtime's quotas: the hosted plan (default free). */
  realtimePlan?: RealtimePlan;
  /** Realtime: join reply to live postgres_changes subscription (default 1 s). */
  realtimeSubscribeDelayMs?: number;
}

export interface SupabaseApi {
  url: string;
  close(): Promise<void>;
}

export async function startSupabaseApi(options: SupabaseApiOptions): Promise<SupabaseApi> {
  const host = options.host ?? '127.0.0.1';
  // Reads capped at 1000 rows per request, as on the Supabase platform (db-max-rows), so code that
  // pages through a table is tested against the cap it will meet.
  const rest = await createRestHandler({
    databaseUrl: databaseUrlAs(options.databaseUrl, API_LOGIN_ROLES.rest),
    jwtSecret: options.jwtSecret,
    maxRows: PLATFORM_MAX_ROWS,
  });
  const realtime = await createRealtimeServer({
    databaseUrl: databaseUrlAs(options.databaseUrl, API_LOGIN_ROLES.realtime),
    jwtSecret: options.jwtSecret,
    plan: options.realtimePlan,
    subscribeDelayMs: options.realtimeSubscribeDelayMs,
  });
  const tempStorageDir = options.storageDir
    ? undefined
    : await mkdtemp(path.join(os.tmpdir(), 'supabase-sync-storage-'));
  const storage = await createStorageHandler({
    databaseUrl: databaseUrlAs(options.databaseUrl, API_LOGIN_ROLES.storage),
    jwtSecret: options.jwtSecret,
    storageDir: options.storageDir ?? tempStorageDir!,
    fileSizeLimit: options.storageFileSizeLimit,
  });
  const sockets = new Set<Duplex>();
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/_devstack/realtime/drop' && req.method === 'POST') {
      // A test tool, not a Supabase API: drop every Realtime socket as a network failure would.
      const key = req.headers.apikey;
      if (typeof key !== 'string' || !verifyServiceRoleJwt(key, options.jwtSecret).ok) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Invalid API key' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ dropped: realtime.dropConnections() }));
      return;
    }
    if (pathname === '/rest/v1' || pathname.startsWith('/rest/v1/')) {
      rest.handle(req, res);
      return;
    }
    if (pathname.startsWith('/storage/v1/')) {
      storage.handle(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'no Route matched with those values' }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/realtime/v1/websocket') {
      realtime.handleUpgrade(req, socket, head);
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => resolve());
    });
  } catch (error) {
    // Its port taken (the caller may try another): what it opened so far is closed.
    await realtime.close();
    await rest.close();
    await storage.close();
    if (tempStorageDir) await rm(tempStorageDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://${host}:${options.port}`,
    close: async () => {
      await realtime.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rest.close();
      await storage.close();
      if (tempStorageDir) await rm(tempStorageDir, { recursive: true, force: true });
    },
  };
}
