/**
 * A local stand-in for Supabase Realtime's `postgres_changes`, for development and tests: Phoenix
 * channels over WebSocket at /realtime/v1/websocket, spoken to by the unmodified supabase-js client.
 *
 * Faithful where a client can tell: vsn 1.0.0/2.0.0 framing, join reply with binding ids, `system`
 * "Subscribed to PostgreSQL" after the reply, frames shaped like the real server's (typed values via
 * `realtime.cast`, `columns` by attnum, `old_record` per REPLICA IDENTITY, the 1 MB / 64-byte rule),
 * changes from a temporary logical slot in commit order, only for tables in `supabase_realtime`,
 * at-most-once (nothing buffered across disconnects; matched against subscriptions live at poll time).
 *
 * Simplifications:
 * - No RLS and one role: every token must be the project's service role key (HS256 JWT); no `sb_` keys.
 * - Single node, single tenant; one poller (pgoutput instead of wal2json) shared by all sockets. It
 *   runs (and holds its slot) from the first `postgres_changes` subscription until 30 s after the last
 *   one leaves, as Realtime starts and stops a tenant's replication; nothing is decoded meanwhile.
 * - Only `postgres_changes`: broadcast and presence messages are accepted and ignored.
 * - The plan's quotas (plans.ts, quotas.ts) as the server counts them: messages/s (silent drop),
 *   concurrent clients, joins/s, channels per connection, with the hosted error replies.
 * - `SUBSCRIBED` precedes the live feed by `subscribeDelayMs` (default 1 s): changes meanwhile are lost.
 * - A DELETE's `old_record` on a table with RLS enabled holds only the primary key. TRUNCATE is never sent.
 * - Filters are evaluated in JS on the typed JSON values (numbers numerically, everything else as
 *   text), not with SQL operators on the column type; `like`/`match` use JS regular expressions.
 * - The 1 MB check estimates the wal2json document's size instead of measuring it.
 * - Values go through `realtime.cast` in one query per poll, except int2/int4/int8/bool/text/varchar/
 *   uuid/name, whose `to_jsonb` is computed in JS (same JSON values, no per-value EXECUTE).
 * - Poll cadence as the real server's: up to 100 changes a poll (whole transactions), again at once
 *   after a poll with changes for subscribers, 150–200 ms after one without, 500 ms when idle.
 * - "No primary key" error rows are detected only for REPLICA IDENTITY DEFAULT tables.
 * - Join errors and `system` messages use the real server's wording where known, not every case.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { RealtimePlan } from './plans.js';
import { startRealtimeServer } from './server.js';

export {
  PLANS,
  PLAN_NAMES,
  DEFAULT_PLAN,
  parsePlan,
  QUOTA_ERRORS,
  type PlanName,
  type RealtimePlan,
} from './plans.js';
export { DEFAULT_SUBSCRIBE_DELAY_MS } from './server.js';

export interface RealtimeServerOptions {
  databaseUrl: string;
  jwtSecret: string;
  /** The hosted plan whose quotas apply (default free). */
  plan?: RealtimePlan;
  /** Join reply to live postgres_changes subscription, in ms (default DEFAULT_SUBSCRIBE_DELAY_MS). */
  subscribeDelayMs?: number;
  /** The rate counters' tick (default 5 s, as hosted). */
  rateTickMs?: number;
}

export interface RealtimeServer {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Drops every client's TCP connection at once (a network failure, for resilience tests). Returns how many. */
  dropConnections(): number;
  /** Closes every socket and the database connections, dropping the replication slot. */
  close(): Promise<void>;
}

/** Creates the replication slot (changes committed from then on are captured) and returns the server. */
export function createRealtimeServer(options: RealtimeServerOptions): Promise<RealtimeServer> {
  return Promise.resolve(startRealtimeServer(options));
}
