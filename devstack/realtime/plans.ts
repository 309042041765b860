/**
 * Hosted Realtime's quotas per plan (supabase.com/docs/guides/realtime/limits) and how the server
 * counts them (supabase/realtime `RealtimeChannel`, `TenantRateLimiters`, `ReplicationPoller`):
 * - messages per second: postgres_changes deliveries per project, over which the poller drops
 *   changes silently (consumed from the slot, nothing sent, channels stay joined);
 * - concurrent clients: sockets holding a joined channel, per project;
 * - channel joins per second, per project;
 * - channels per connection (socket).
 * Rates are averaged the way the server's RateCounter does (rate-counter.ts).
 */

export type PlanName = 'free' | 'pro' | 'team';

export interface RealtimePlan {
  name: PlanName;
  messagesPerSecond: number;
  concurrentClients: number;
  joinsPerSecond: number;
  channelsPerConnection: number;
}

export const PLANS: Record<PlanName, RealtimePlan> = {
  free: {
    name: 'free',
    messagesPerSecond: 100,
    concurrentClients: 200,
    joinsPerSecond: 100,
    channelsPerConnection: 100,
  },
  pro: {
    name: 'pro',
    messagesPerSecond: 500,
    concurrentClients: 500,
    joinsPerSecond: 500,
    channelsPerConnection: 100,
  },
  team: {
    name: 'team',
    messagesPerSecond: 2500,
    concurrentClients: 10_000,
    joinsPerSecond: 2500,
    channelsPerConnection: 100,
  },
};

export const PLAN_NAMES = Object.keys(PLANS) as PlanName[];

export const DEFAULT_PLAN: PlanName = 'free';

export function isPlanName(value: string): value is PlanName {
  return (PLAN_NAMES as string[]).includes(value);
}

/** The plan named `value`, or an error line naming `where` and the choices. */
export function parsePlan(value: string | undefined, where: string): RealtimePlan {
  if (value === undefined || value === '') return PLANS[DEFAULT_PLAN];
  if (!isPlanName(value))
    throw new Error(`${where}: unknown Realtime plan "${value}"; use one of ${PLAN_NAMES.join(', ')}`);
  return PLANS[value];
}

/** The join replies (`{reason}`) and socket refusals (HTTP 429 `{error}`) hosted Realtime sends. */
export const QUOTA_ERRORS = {
  tooManyChannels: 'ChannelRateLimitReached: Too many channels',
  tooManyConnectionsJoin: 'ConnectionRateLimitReached: Too many connected users',
  tooManyJoinsJoin: 'ClientJoinRateLimitReached: Too many joins per second',
  tooManyConnectionsUpgrade: 'Too many connected users',
  tooManyJoinsUpgrade: 'Too many joins per second',
} as const;
