/**
 * Wires the stand-in together: WebSocket upgrades (with the `apikey` check), the connections, the
 * subscription registry and the change poller.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { WebSocketServer } from 'ws';
import { ChangePoller } from './changes.js';
import { Connection, type Channel, type ConnectionHost } from './connection.js';
import { parseVsn, PHX } from './phoenix.js';
import { PLANS, DEFAULT_PLAN } from './plans.js';
import { ProjectQuotas } from './quotas.js';
import { resolveBinding, SubscriptionRegistry, type Binding, type PublishedTable } from './subscriptions.js';
import { checkToken } from './tokens.js';
import type { RealtimeServer, RealtimeServerOptions } from './index.js';

/** The change poller (and its slot) stops this long after the last `postgres_changes` subscriber leaves. */
const POLLER_IDLE_STOP_MS = 30_000;

const PUBLICATION = 'supabase_realtime';
/** The server retries a subscription that failed on a database error after 5–10 s. */
const SUBSCRIBE_RETRY_MS = 5000;
/**
 * How long after the join reply (`SUBSCRIBED` in supabase-js) the postgres_changes subscription
 * takes effect by default: changes committed meanwhile are not delivered (hosted: often 1–3 s,
 * realtime-js issue 525). The `system` "Subscribed to PostgreSQL" message marks the end.
 */
export const DEFAULT_SUBSCRIBE_DELAY_MS = 1000;

function rejectUpgrade(socket: Duplex, status: number, statusText: string, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once('finish', () => socket.destroy());
}

async function publishedTables(pool: pg.Pool): Promise<PublishedTable[]> {
  const result = await pool.query<{ schema: string; table: string; columns: string[] }>(
    `select schemaname as schema, tablename as table, attnames::text[] as columns
       from pg_publication_tables where pubname = $1`,
    [PUBLICATION],
  );
  return result.rows;
}

function resolveBindings(bindings: Binding[], published: PublishedTable[]) {
  const entries: { binding: Binding; entities: string[] }[] = [];
  for (const binding of bindings) {
    const resolved = resolveBinding(binding, published);
    if (!resolved.ok) return { entries: [], error: resolved.message };
    entries.push({ binding, entities: resolved.entities });
  }
  return { entries, error: undefined };
}

export function startRealtimeServer(options: RealtimeServerOptions): RealtimeServer {
  const log = (message: string) => console.error(`[devstack realtime] ${message}`);
  const registry = new SubscriptionRegistry<Channel>();
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 2,
    application_name: 'devstack-realtime',
  });
  pool.on('error', (err) => log(`pool error: ${err.message}`));
  // Quotas per project: per `ref` claim of the socket's key (keys without one share the default).
  const quotas = new Map<string, ProjectQuotas>();
  const quotasFor = (claims: Record<string, unknown>): ProjectQuotas => {
    const ref = typeof claims.ref === 'string' ? claims.ref : '';
    let found = quotas.get(ref);
    if (!found) {
      found = new ProjectQuotas(options.plan ?? PLANS[DEFAULT_PLAN], log, options.rateTickMs);
      quotas.set(ref, found);
    }
    return found;
  };
  const subscribeDelayMs = options.subscribeDelayMs ?? DEFAULT_SUBSCRIBE_DELAY_MS;
  const poller = new ChangePoller<Channel>({
    databaseUrl: options.databaseUrl,
    registry,
    messagesFor: (channel) => channel.connection.quotas.messages,
    deliver: (channel, data, ids) => channel.connection.sendChange(channel, data, ids),
    log,
  });

  const connections = new Set<Connection>();
  const wss = new WebSocketServer({ noServer: true });
  let closed = false;

  /** Creates the channel's DB-side subscription, then tells the client (after the join reply). */
  async function subscribe(channel: Channel): Promise<void> {
    const generation = ++channel.generation;
    const stale = () => channel.generation !== generation || !channel.connection.isOpen || closed;
    try {
      const published = await publishedTables(pool);
      if (stale()) return;
      const { entries, error } = resolveBindings(channel.bindings, published);
      if (error !== undefined) {
        channel.connection.pushSystem(channel, PHX.postgresChanges, 'error', error);
        return;
      }
      await poller.ensureRunning();
      if (subscribeDelayMs > 0 && !stale()) await new Promise((r) => setTimeout(r, subscribeDelayMs).unref());
      if (stale()) {
        if (registry.size === 0) poller.idleSoon(POLLER_IDLE_STOP_MS);
        return;
      }
      registry.set(channel, entries);
      channel.connection.pushSystem(channel, PHX.postgresChanges, 'ok', 'Subscribed to PostgreSQL');
    } catch (err) {
      if (stale()) return;
      channel.connection.pushSystem(
        channel,
        PHX.postgresChanges,
        'error',
        `Unable to subscribe to changes with given parameters. Exception: ${String(err)}`,
      );
      setTimeout(() => {
        if (!stale()) void subscribe(channel);
      }, SUBSCRIBE_RETRY_MS).unref();
    }
  }

  const host: ConnectionHost = {
    jwtSecret: options.jwtSecret,
    subscribe: (channel) => void subscribe(channel),
    unsubscribe: (channel) => {
      registry.remove(channel);
      if (registry.size === 0) poller.idleSoon(POLLER_IDLE_STOP_MS);
    },
    log,
  };

  return {
    handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
      if (closed) {
        rejectUpgrade(socket, 503, 'Service Unavailable', 'Realtime is shutting down');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const header = req.headers['x-api-key'];
      const token = (typeof header === 'string' ? header : undefined) ?? url.searchParams.get('apikey');
      if (!token) {
        rejectUpgrade(socket, 401, 'Unauthorized', 'No apikey provided');
        return;
      }
      const check = checkToken(token, options.jwtSecret);
      if (!check.ok) {
        rejectUpgrade(socket, 401, 'Unauthorized', check.joinReason);
        return;
      }
      const vsn = parseVsn(url.searchParams.get('vsn'));
      if (!vsn) {
        rejectUpgrade(socket, 400, 'Bad Request', 'Unsupported serializer version');
        return;
      }
      const project = quotasFor(check.claims);
      const overQuota = project.refuseUpgrade();
      if (overQuota !== undefined) {
        rejectUpgrade(socket, 429, 'Too Many Requests', overQuota);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const connection = new Connection(ws, vsn, token, host, project);
        connections.add(connection);
        ws.on('close', () => connections.delete(connection));
      });
    },
    dropConnections(): number {
      const count = connections.size;
      for (const connection of connections) connection.drop();
      connections.clear();
      return count;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const connection of connections) connection.close();
      connections.clear();
      await poller.close();
      for (const project of quotas.values()) project.close();
      await pool.end();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
