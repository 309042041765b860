/**
 * One project's Realtime quotas as the hosted server enforces them (plans.ts): at a socket
 * upgrade (HTTP 429 when the project has as many clients as its plan allows, or its joins are over
 * the rate), at a channel join (in the server's order: clients, joins per second, channels on this
 * socket), and for postgres_changes deliveries (the poller drops silently while the message rate
 * is over the plan's; changes.ts).
 */
import { QUOTA_ERRORS, type RealtimePlan } from './plans.js';
import { RateCounter, RATE_TICK_MS } from './rate-counter.js';

export interface JoinRefusal {
  reason: string;
  /** The server also closes the socket (it does for too many joins per second). */
  disconnect: boolean;
}

export class ProjectQuotas {
  /** postgres_changes messages delivered (one per matching subscription). */
  readonly messages: RateCounter;
  private readonly joins: RateCounter;
  /** Sockets that have joined a channel: hosted Realtime's "concurrent clients". */
  private readonly clients = new Set<object>();

  constructor(
    readonly plan: RealtimePlan,
    log: (message: string) => void,
    tickMs = RATE_TICK_MS,
  ) {
    this.messages = new RateCounter(plan.messagesPerSecond, tickMs, (avg) =>
      log(
        `MessagePerSecondRateLimitReached: Too many postgres changes messages per second ` +
          `(${avg.toFixed(0)}/s, ${plan.name} plan allows ${plan.messagesPerSecond}/s): changes are dropped`,
      ),
    );
    this.joins = new RateCounter(plan.joinsPerSecond, tickMs, (avg) =>
      log(`ClientJoinRateLimitReached: Too many joins per second (${avg.toFixed(0)}/s)`),
    );
  }

  /** The 429 body's error for a new socket, or undefined to let it in. */
  refuseUpgrade(): string | undefined {
    if (this.clients.size >= this.plan.concurrentClients) return QUOTA_ERRORS.tooManyConnectionsUpgrade;
    if (this.joins.triggered) return QUOTA_ERRORS.tooManyJoinsUpgrade;
    return undefined;
  }

  /** Checks (and counts) a join on `client`, which holds `channels` channels already. */
  checkJoin(client: object, channels: number): JoinRefusal | undefined {
    if (!this.clients.has(client) && this.clients.size >= this.plan.concurrentClients)
      return { reason: QUOTA_ERRORS.tooManyConnectionsJoin, disconnect: false };
    if (this.joins.triggered) return { reason: QUOTA_ERRORS.tooManyJoinsJoin, disconnect: true };
    this.joins.add();
    if (channels >= this.plan.channelsPerConnection)
      return { reason: QUOTA_ERRORS.tooManyChannels, disconnect: false };
    return undefined;
  }

  /** A join on `client` succeeded: it counts as a connected client until its socket closes. */
  joined(client: object): void {
    this.clients.add(client);
  }

  disconnected(client: object): void {
    this.clients.delete(client);
  }

  close(): void {
    this.messages.close();
    this.joins.close();
  }
}
