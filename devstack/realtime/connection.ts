/**
 * One client WebSocket: the Phoenix socket (heartbeats, idle timeout) and its `realtime:*`
 * channels (join, leave, access_token), each joined channel's `postgres_changes` subscription, and
 * delivery of change frames with a cap on what may pile up unsent.
 */
import type { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, encodeFrameRaw, PHX, type PhoenixMessage, type Vsn } from './phoenix.js';
import { bindingId, parseBinding, type Binding, type ChangeTarget } from './subscriptions.js';
import type { ProjectQuotas } from './quotas.js';
import { checkToken, type TokenCheck } from './tokens.js';

/** Phoenix closes a socket that sent nothing (not even a heartbeat) for this long. */
const IDLE_TIMEOUT_MS = 60_000;
/** A socket with more than this unsent is too slow: it is closed, as the real server drops slow channels. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const CHANNEL_PREFIX = 'realtime:';
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Channel extends ChangeTarget {
  readonly key: string;
  readonly connection: Connection;
  readonly topic: string;
  readonly joinRef: string | null;
  bindings: Binding[];
  token: string;
  /** Bumped on every (re)subscribe and on leave, so stale async work can tell. */
  generation: number;
  expiryTimer: NodeJS.Timeout | undefined;
}

/** What a connection needs from the server. */
export interface ConnectionHost {
  jwtSecret: string;
  /** Resolves and activates a channel's bindings; pushes the `system` message. */
  subscribe(channel: Channel): void;
  unsubscribe(channel: Channel): void;
  log(message: string): void;
}

let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  private readonly channels = new Map<string, Channel>();
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The `apikey` the socket connected with (already verified). */
    private readonly connectToken: string,
    private readonly host: ConnectionHost,
    readonly quotas: ProjectQuotas, // of the project (the key's ref) this socket belongs to
  ) {
    ws.on('message', (data, isBinary) => {
      this.touch();
      if (isBinary) return;
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      const message = decodeFrame(vsn, text);
      if (message) this.handle(message);
    });
    ws.on('close', () => this.teardown());
    ws.on('error', (err) => this.host.log(`socket error: ${err.message}`));
    this.touch();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  close(code = 1001, reason = 'server shutting down'): void {
    this.ws.close(code, reason);
    this.teardown();
    // Don't wait for a close handshake from a client that may never answer.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  /** Drops the TCP connection without a close handshake, as a network failure would (client sees 1006). */
  drop(): void {
    this.ws.terminate();
    this.teardown();
  }

  /** Sends a frame, or drops a too-slow socket. */
  sendText(text: string): void {
    if (this.closed) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.host.log(`socket ${this.id}: more than ${MAX_BUFFERED_BYTES} bytes unsent, closing it`);
      this.ws.terminate();
      this.teardown();
      return;
    }
    this.ws.send(text);
  }

  send(joinRef: string | null, ref: string | null, topic: string, event: string, payload: unknown): void {
    this.sendText(encodeFrame(this.vsn, joinRef, ref, topic, event, payload));
  }

  /** A `postgres_changes` fastlane broadcast: join_ref and ref are null. */
  sendChange(channel: Channel, dataJson: string, ids: number[]): void {
    if (this.channels.get(channel.topic) !== channel) return;
    const payload = `{"ids":${JSON.stringify(ids)},"data":${dataJson}}`;
    this.sendText(encodeFrameRaw(this.vsn, null, null, channel.topic, PHX.postgresChanges, payload));
  }

  pushSystem(channel: Channel, extension: string, status: 'ok' | 'error', message: string): void {
    if (this.channels.get(channel.topic) !== channel) return;
    this.send(channel.joinRef, null, channel.topic, PHX.system, {
      channel: channel.topic.slice(CHANNEL_PREFIX.length),
      extension,
      message,
      status,
    });
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(1000, 'idle timeout'), IDLE_TIMEOUT_MS);
    this.idleTimer.unref();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.quotas.disconnected(this);
    for (const channel of this.channels.values()) this.dropChannel(channel);
    this.channels.clear();
  }

  private reply(msg: PhoenixMessage, status: 'ok' | 'error', response: unknown): void {
    this.send(msg.joinRef, msg.ref, msg.topic, PHX.reply, { status, response });
  }

  private handle(msg: PhoenixMessage): void {
    if (msg.topic === 'phoenix' && msg.event === PHX.heartbeat) {
      this.reply(msg, 'ok', {});
      return;
    }
    if (msg.event === PHX.join) {
      this.join(msg);
      return;
    }
    const channel = this.channels.get(msg.topic);
    if (!channel || (msg.joinRef !== null && msg.joinRef !== channel.joinRef)) {
      // Phoenix: a message for a topic this socket has not joined.
      this.reply(msg, 'error', { reason: 'unmatched topic' });
      return;
    }
    if (msg.event === PHX.leave) {
      this.reply(msg, 'ok', {});
      this.closeChannel(channel);
      return;
    }
    if (msg.event === PHX.accessToken) {
      this.accessToken(channel, msg.payload);
      return;
    }
    // broadcast / presence are not served by this stand-in: ignored, like a disabled extension.
  }

  private tokenFor(payload: Record<string, unknown>): string {
    const token = payload.access_token;
    if (typeof token !== 'string' || token === '' || token.startsWith('sb_')) return this.connectToken;
    return token;
  }

  private join(msg: PhoenixMessage): void {
    if (!msg.topic.startsWith(CHANNEL_PREFIX)) {
      this.reply(msg, 'error', { reason: 'unmatched topic' });
      return;
    }
    // A second join of the same topic replaces the first (Phoenix closes the old channel).
    const previous = this.channels.get(msg.topic);
    if (previous) this.closeChannel(previous);

    // The plan's quotas come first, as in the server's join (clients, joins/s, channels per socket).
    const refused = this.quotas.checkJoin(this, this.channels.size);
    if (refused) {
      this.reply(msg, 'error', { reason: refused.reason });
      if (refused.disconnect) this.close(1000, 'disconnect');
      return;
    }
    const payload = (typeof msg.payload === 'object' && msg.payload !== null ? msg.payload : {}) as Record<
      string,
      unknown
    >;
    const token = this.tokenFor(payload);
    const check = checkToken(token, this.host.jwtSecret);
    if (!check.ok) {
      this.reply(msg, 'error', { reason: check.joinReason });
      return;
    }
    const config = (
      typeof payload.config === 'object' && payload.config !== null ? payload.config : {}
    ) as Record<string, unknown>;
    const requested = Array.isArray(config.postgres_changes) ? (config.postgres_changes as unknown[]) : [];
    const bindings: Binding[] = [];
    const response: Record<string, unknown>[] = [];
    for (const params of requested) {
      const parsed = parseBinding(params);
      if (!parsed.ok) {
        // The server accepts the join and reports bad params through a `system` error afterwards.
        this.joinWithError(msg, requested, parsed.message, token, check);
        return;
      }
      bindings.push(parsed.binding);
      response.push({ ...parsed.binding.rawParams, id: parsed.binding.id });
    }
    const channel = this.addChannel(msg, bindings, token, check);
    this.quotas.joined(this);
    this.reply(msg, 'ok', { postgres_changes: response });
    if (bindings.length > 0) this.host.subscribe(channel);
  }

  private joinWithError(
    msg: PhoenixMessage,
    requested: unknown[],
    message: string,
    token: string,
    check: TokenCheck,
  ) {
    const channel = this.addChannel(msg, [], token, check);
    this.quotas.joined(this);
    const response = requested.map((p) =>
      typeof p === 'object' && p !== null
        ? { ...(p as Record<string, unknown>), id: bindingId(p as Record<string, unknown>) }
        : p,
    );
    this.reply(msg, 'ok', { postgres_changes: response });
    this.pushSystem(channel, PHX.postgresChanges, 'error', message);
  }

  private addChannel(msg: PhoenixMessage, bindings: Binding[], token: string, check: TokenCheck): Channel {
    const channel: Channel = {
      key: `${this.id}:${msg.topic}:${msg.joinRef ?? msg.ref ?? ''}`,
      connection: this,
      topic: msg.topic,
      joinRef: msg.joinRef ?? msg.ref,
      bindings,
      token,
      generation: 0,
      expiryTimer: undefined,
    };
    this.channels.set(msg.topic, channel);
    this.scheduleExpiry(channel, check);
    return channel;
  }

  private scheduleExpiry(channel: Channel, check: TokenCheck): void {
    clearTimeout(channel.expiryTimer);
    channel.expiryTimer = undefined;
    if (!check.ok || check.expiresAt === undefined) return;
    const delay = check.expiresAt - Date.now();
    if (delay > MAX_TIMER_MS) return;
    channel.expiryTimer = setTimeout(
      () => this.shutdownChannel(channel, 'Token has expired 0 seconds ago'),
      delay,
    );
    channel.expiryTimer.unref();
  }

  private accessToken(channel: Channel, payload: unknown): void {
    const token =
      typeof payload === 'object' && payload !== null
        ? (payload as Record<string, unknown>).access_token
        : undefined;
    if (typeof token !== 'string' || token.startsWith('sb_') || token === channel.token) return;
    const check = checkToken(token, this.host.jwtSecret);
    if (!check.ok) {
      this.shutdownChannel(channel, check.systemMessage);
      return;
    }
    channel.token = token;
    this.scheduleExpiry(channel, check);
    if (channel.bindings.length > 0) {
      // The server re-creates the subscription, then says "Subscribed to PostgreSQL" again.
      this.host.unsubscribe(channel);
      this.host.subscribe(channel);
    }
  }

  /** `system` error then `phx_close`: how the server stops a channel (expired or invalid token, …). */
  private shutdownChannel(channel: Channel, message: string): void {
    if (this.channels.get(channel.topic) !== channel) return;
    this.pushSystem(channel, 'system', 'error', message);
    this.closeChannel(channel);
  }

  private closeChannel(channel: Channel): void {
    this.dropChannel(channel);
    this.channels.delete(channel.topic);
    this.send(channel.joinRef, channel.joinRef, channel.topic, PHX.close, {});
  }

  private dropChannel(channel: Channel): void {
    channel.generation++;
    clearTimeout(channel.expiryTimer);
    this.host.unsubscribe(channel);
  }
}
