/**
 * For Realtime contract tests: a devstack Realtime server of its own (on the harness's source
 * database) with a plan and timings of the test's choosing, and supabase-js clients for it — the
 * hosted quotas scaled down, so that a test can cross them in a second or two.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createClient, type RealtimeChannel, type RealtimeClientOptions } from '@supabase/supabase-js';
import { makeServiceRoleKey, newJwtSecret } from '../../devstack/keys.js';
import {
  createRealtimeServer,
  type RealtimePlan,
  type RealtimeServerOptions,
} from '../../devstack/realtime/index.js';

export interface OwnRealtime {
  url: string;
  key: string;
  client(): ReturnType<typeof newRealtimeClient>;
  close(): Promise<void>;
}

export async function startOwnRealtime(
  databaseUrl: string,
  plan: RealtimePlan,
  options: Pick<RealtimeServerOptions, 'subscribeDelayMs' | 'rateTickMs'> = {},
): Promise<OwnRealtime> {
  const secret = newJwtSecret();
  const realtime = await createRealtimeServer({ databaseUrl, jwtSecret: secret, plan, ...options });
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => realtime.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const key = makeServiceRoleKey(secret);
  const clients: ReturnType<typeof newRealtimeClient>[] = [];
  return {
    url,
    key,
    client() {
      const client = newRealtimeClient(url, key);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) await client.removeAllChannels().catch(() => undefined);
      await realtime.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function newRealtimeClient(url: string, key: string) {
  return createClient(url, key, {
    realtime: { transport: WebSocket as unknown as NonNullable<RealtimeClientOptions['transport']> },
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

export interface Joined {
  channel: RealtimeChannel;
  statuses: string[];
  errors: string[];
  system: { extension?: string; status?: string; message?: string }[];
  changes: { eventType: string; new: Record<string, unknown>; old: Record<string, unknown>; at: number }[];
}

/** Subscribes one channel (optionally to a table's changes) and records what it sees. */
export function join(client: ReturnType<typeof newRealtimeClient>, table?: string): Joined {
  const joined: Joined = {
    channel: client.channel(`t-${randomBytes(4).toString('hex')}`),
    statuses: [],
    errors: [],
    system: [],
    changes: [],
  };
  if (table)
    joined.channel.on(
      'postgres_changes',
      { event: '*', schema: 'public', table },
      (p: { eventType: string; new: Record<string, unknown>; old: Record<string, unknown> }) =>
        joined.changes.push({ eventType: p.eventType, new: p.new, old: p.old, at: Date.now() }),
    );
  joined.channel.on('system', {}, (p: Joined['system'][number]) => joined.system.push(p));
  joined.channel.subscribe((status, error) => {
    joined.statuses.push(status);
    if (error) joined.errors.push(error.message);
  });
  return joined;
}

export const live = (j: Joined) =>
  j.system.some((s) => s.extension === 'postgres_changes' && s.status === 'ok');
