/**
 * The local Supabase API for one project: PostgREST's wire protocol at /rest/v1 and Supabase
 * Realtime's at /realtime/v1/websocket, in front of one real Postgres database.
 * A development and test tool: nothing in src/ imports it.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { createRestHandler } from './rest/index.js';
import { createRealtimeServer } from './realtime/index.js';
import { verifyServiceRoleJwt } from './keys.js';

/** PostgREST's db-max-rows on the Supabase platform. */
const PLATFORM_MAX_ROWS = 1000;

export interface SupabaseApiOptions {
  /** Direct Postgres URL (a superuser; requests run as `service_role`). */
  databaseUrl: string;
  /** HS256 secret the project's keys are signed with. */
  jwtSecret: string;
  port: number;
  host?: string;
  /** Name used in log lines, e.g. "source". */
  name?: string;
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
    databaseUrl: options.databaseUrl,
    jwtSecret: options.jwtSecret,
    maxRows: PLATFORM_MAX_ROWS,
  });
  const realtime = await createRealtimeServer({
    databaseUrl: options.databaseUrl,
    jwtSecret: options.jwtSecret,
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  return {
    url: `http://${host}:${options.port}`,
    close: async () => {
      await realtime.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rest.close();
    },
  };
}
