/**
 * One Realtime connection per project per worker process, however many tables it streams: hosted
 * Realtime counts channels per connection (at most 100), concurrent channels and joins per second,
 * so every feed of the process takes a channel on a shared supabase-js client — a second
 * connection is opened only when one holds CHANNELS_PER_CONNECTION channels — and joins are paced
 * under the plan's rate. A refused join or a closed channel fails that feed alone (the activity is
 * retried with backoff and the reason is shown in status); the connection stays for the others.
 */
import { newClient, type ProjectConnection, type SupabaseClient } from './client.js';

/** Channels one connection carries at most (the hosted limit per connection). */
export const CHANNELS_PER_CONNECTION = 100;
/** Joins a process sends per second at most (every plan allows 100 per project or more). */
export const JOINS_PER_SECOND = 20;

interface Connection {
  client: SupabaseClient;
  channels: number;
}

export interface ChannelLease {
  client: SupabaseClient;
  /** Waits for this join's turn (joins are paced across the process's feeds of the project). */
  turn(): Promise<void>;
  /** The channel is gone: its place on the connection is free again. */
  release(): void;
}

class ProjectConnections {
  private readonly connections: Connection[] = [];
  private nextJoinAt = 0;

  constructor(private readonly project: ProjectConnection) {}

  lease(): ChannelLease {
    let connection = this.connections.find((c) => c.channels < CHANNELS_PER_CONNECTION);
    if (!connection) {
      connection = { client: newClient(this.project), channels: 0 };
      this.connections.push(connection);
    }
    connection.channels += 1;
    const held = connection;
    let released = false;
    return {
      client: held.client,
      turn: () => this.turn(),
      release: () => {
        if (released) return;
        released = true;
        held.channels -= 1;
      },
    };
  }

  /** Open connections and the channels they carry (for tests and metrics). */
  get sizes(): number[] {
    return this.connections.map((c) => c.channels);
  }

  private turn(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextJoinAt);
    this.nextJoinAt = at + 1000 / JOINS_PER_SECOND;
    return at <= now ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, at - now));
  }
}

const byProject = new Map<string, ProjectConnections>();

/** The process's Realtime connections to a project (one pool per URL and key). */
export function realtimeConnections(project: ProjectConnection): ProjectConnections {
  const id = `${project.url}\u0000${project.serviceRoleKey}`;
  let pool = byProject.get(id);
  if (!pool) byProject.set(id, (pool = new ProjectConnections(project)));
  return pool;
}
