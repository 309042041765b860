/**
 * A small fault-injecting HTTP proxy, put between the sync worker and one Supabase API. It forwards
 * every request (REST, rpc) to the upstream API and, after a WebSocket upgrade, pipes the raw socket
 * both ways, so Realtime goes through it too. On command, for a while, it:
 *   - answers 503 (a failing gateway),
 *   - hangs requests (held unanswered, then the connection is reset: a gateway timeout),
 *   - adds latency before forwarding (a slow API),
 * and it can cut every piped WebSocket at once, or hold what they carry to the client for a while
 * (Realtime delivering late).
 */
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export type FaultKind = '503' | 'hang' | 'latency';

export interface ProxyStats {
  requests: number;
  answered503: number;
  hung: number;
  delayed: number;
  upgrades: number;
  upstreamErrors: number;
}

interface InFlight {
  method: string;
  path: string;
}

export class FaultProxy {
  readonly stats: ProxyStats = {
    requests: 0,
    answered503: 0,
    hung: 0,
    delayed: 0,
    upgrades: 0,
    upstreamErrors: 0,
  };
  private server: http.Server | undefined;
  private readonly upstream: URL;
  private until: Record<FaultKind, number> = { '503': 0, hang: 0, latency: 0 };
  private latencyMs = 0;
  private readonly held = new Set<http.ServerResponse>();
  private readonly sockets = new Set<Duplex>();
  private readonly piped = new Set<Duplex>();
  /** Each piped WebSocket's upstream side, with its client. */
  private readonly upstreams = new Map<Duplex, Duplex>();
  private readonly inFlight = new Set<InFlight>();
  private readonly waiters = new Set<{ match: (r: InFlight) => boolean; resolve: (ok: boolean) => void }>();
  private port = 0;

  constructor(
    upstreamUrl: string,
    private readonly name: string,
  ) {
    this.upstream = new URL(upstreamUrl);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(port = 0): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    this.server = server;
    return this.url;
  }

  /** Starts a fault for `durationMs` (a new one of the same kind extends the window). */
  fault(kind: FaultKind, durationMs: number, latencyMs = 0): void {
    this.until[kind] = Math.max(this.until[kind], Date.now() + durationMs);
    if (kind === 'latency')
      this.latencyMs = Math.max(this.active('latency') ? this.latencyMs : 0, latencyMs, 1);
    if (kind === 'hang') {
      const timer = setTimeout(() => this.releaseHeld(), durationMs + 5);
      timer.unref();
    }
  }

  /** Ends every fault now; held requests get their connection reset. */
  clearFaults(): void {
    this.until = { '503': 0, hang: 0, latency: 0 };
    this.latencyMs = 0;
    this.releaseHeld(true);
  }

  active(kind: FaultKind): boolean {
    return Date.now() < this.until[kind];
  }

  /** Holds what every piped WebSocket carries to its client for `ms`, then lets it all through in order. */
  holdDeliveries(ms: number): void {
    for (const [up, client] of this.upstreams) {
      up.unpipe(client);
      setTimeout(() => {
        if (!up.destroyed && !client.destroyed) up.pipe(client);
      }, ms).unref();
    }
  }

  /** Destroys every piped WebSocket (both sides), as a network failure would. Returns how many. */
  dropWebSockets(): number {
    const n = this.piped.size;
    for (const s of this.piped) s.destroy();
    this.piped.clear();
    return n;
  }

  /** Resolves true as soon as a request matching `match` is in flight, false after `timeoutMs`. */
  waitForInFlight(match: (r: InFlight) => boolean, timeoutMs: number): Promise<boolean> {
    for (const r of this.inFlight) if (match(r)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        match,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => waiter.resolve(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    this.clearFaults();
    this.dropWebSockets();
    for (const w of [...this.waiters]) w.resolve(false);
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private releaseHeld(all = false): void {
    if (!all && this.active('hang')) return;
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.stats.requests++;
    const entry: InFlight = { method: req.method ?? 'GET', path: req.url ?? '/' };
    this.inFlight.add(entry);
    res.on('close', () => this.inFlight.delete(entry));
    for (const w of [...this.waiters]) if (w.match(entry)) w.resolve(true);

    if (this.active('503')) {
      this.stats.answered503++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ message: `chaos: ${this.name} API unavailable` }));
      return;
    }
    if (this.active('hang')) {
      this.stats.hung++;
      req.resume();
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    const delay = this.active('latency') ? this.latencyMs : 0;
    if (delay > 0) {
      this.stats.delayed++;
      req.pause();
      setTimeout(() => this.forward(req, res), delay);
      return;
    }
    this.forward(req, res);
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (res.destroyed) return;
    const headers = { ...req.headers, host: this.upstream.host };
    const upstream = http.request(
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      this.stats.upstreamErrors++;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `chaos proxy: ${this.name} upstream failed` }));
      } else {
        res.destroy();
      }
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
    req.resume();
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.stats.upgrades++;
    if (this.active('503')) {
      this.stats.answered503++;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const up = net.connect(Number(this.upstream.port), this.upstream.hostname);
    const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const key = req.rawHeaders[i]!;
      const value = key.toLowerCase() === 'host' ? this.upstream.host : req.rawHeaders[i + 1]!;
      lines.push(`${key}: ${value}`);
    }
    const pair = [socket, up] as const;
    for (const s of pair) {
      this.piped.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.piped.delete(s);
        for (const other of pair) other.destroy();
      });
    }
    this.upstreams.set(up, socket);
    up.once('close', () => this.upstreams.delete(up));
    up.once('connect', () => {
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
  }
}
