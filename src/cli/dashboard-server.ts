/**
 * The dashboard's HTTP server (Node's own), for `supabase-sync dashboard` and for a worker with
 * SYNC_DASHBOARD_ADDRESS. `GET /` is the page (dashboard-html.ts). Bound to a loopback address it
 * needs no token but answers only requests addressed to this host by name (no DNS rebinding); bound
 * to any other address, every request needs the random token of the printed URL (`?token=` or
 * `Authorization: Bearer`), compared in constant time, else 401. Nothing else is served.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { LagHistory } from '../temporal/lag-history.js';
import { DashboardData } from './dashboard-data.js';
import { renderPage, type PageOptions } from './dashboard-html.js';

export const DEFAULT_REFRESH_SECONDS = 10;

export interface DashboardServer {
  /** The page's address to open (with the token when one is needed). */
  url: string;
  close(): Promise<void>;
}

export interface DashboardOptions {
  config: SyncConfig;
  client: Client;
  history: LagHistory;
  /** `ip:port` (port 0: any free one). */
  address: string;
  /** The token needed off loopback (SYNC_DASHBOARD_TOKEN; not printed); default: a random one, printed. */
  token?: string;
  refreshSeconds?: number;
}

function split(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
  if (!match) throw new Error(`dashboard address "${address}": must be ip:port`);
  return { host: (match[1] ?? match[2])!, port: Number(match[3]) };
}

function loopback(host: string): boolean {
  return host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));
}

/** The Temporal UI of the configuration: TEMPORAL_UI_URL, else the dev server's (its port + 1000). */
export function temporalUi(cfg: SyncConfig): string {
  if (cfg.temporalUi) return cfg.temporalUi;
  const match = /^(.*?)(?::(\d+))?$/.exec(cfg.temporal.address)!;
  return `http://${match[1]}:${Number(match[2] ?? 7233) + 1000}`;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant time: both sides hashed to the same length first. */
function tokenMatches(given: string | null, token: string): boolean {
  return given !== null && timingSafeEqual(digest(given), digest(token));
}

function givenToken(req: http.IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return url.searchParams.get('token');
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // The token is in the page's URL: never sent on to the Temporal UI by its links.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

function answer(res: http.ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { ...HEADERS, 'content-type': `${type}; charset=utf-8` });
  res.end(body);
}

export async function serveDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const { config } = options;
  const { host, port } = split(options.address);
  const token = loopback(host) ? null : (options.token ?? randomBytes(24).toString('base64url'));
  const data = new DashboardData(options.client, config, options.history);
  const page: PageOptions = {
    ui: temporalUi(config),
    namespace: config.temporal.namespace,
    refreshSeconds: options.refreshSeconds ?? DEFAULT_REFRESH_SECONDS,
    projects: `source ${config.source.url} → target ${config.target.url}`,
    auth: config.auth === true,
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://dashboard');
      if (token !== null && !tokenMatches(givenToken(req, url), token))
        return answer(res, 401, 'supabase-sync dashboard: the token of the address it printed is needed\n');
      if (token === null && !localHost(req.headers.host))
        return answer(res, 403, 'supabase-sync dashboard: open it as 127.0.0.1 or localhost\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'GET only\n');
      if (url.pathname !== '/') return answer(res, 404, 'not found: the dashboard is at /\n');
      const view = await data.view();
      answer(res, 200, req.method === 'HEAD' ? '' : renderPage(view, page), 'text/html');
    })().catch(() => {
      if (!res.headersSent) answer(res, 500, 'supabase-sync dashboard: the page could not be made\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as net.AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? os.hostname() : host.includes(':') ? `[${host}]` : host;
  return {
    // A token of the configuration is not printed: its holder knows it.
    url: `http://${shown}:${bound}/${token === null ? '' : options.token !== undefined ? '?token=(SYNC_DASHBOARD_TOKEN)' : `?token=${token}`}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A request addressed to this host by a loopback name or address. */
function localHost(header: string | undefined): boolean {
  if (!header) return false;
  const name = header.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || loopback(name);
}
