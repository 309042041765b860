/**
 * The Temporal codec-server protocol over HTTP, so the Temporal UI (and `temporal workflow show
 * --codec-endpoint`) can show payloads encrypted with SYNC_PAYLOAD_KEY (codec.ts):
 *
 *   POST /encode, POST /decode   body and answer: {"payloads": [{"metadata": {k: base64}, "data": base64}]}
 *   OPTIONS (CORS preflight)     for the UI origins allowed
 *
 * Anyone who can reach it can decrypt. Run by `npm run codec-server` (src/codec-server.ts).
 */
import http from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { errorMessage } from '../core/errors.js';

interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

function fromJson(payload: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    metadata[key] = Buffer.from(value, 'base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    metadata[key] = Buffer.from(value ?? new Uint8Array()).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

function parsePayloads(body: string): Payload[] {
  const json = JSON.parse(body) as { payloads?: unknown };
  if (!json || typeof json !== 'object' || !Array.isArray(json.payloads)) {
    throw new Error('the body must be {"payloads": [...]}');
  }
  return (json.payloads as JsonPayload[]).map(fromJson);
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `codec` on host:port. */
export async function startCodecServer(
  codec: PayloadCodec,
  options: { host: string; port: number; corsOrigins: readonly string[] },
): Promise<CodecServer> {
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    const headers: Record<string, string> = { vary: 'Origin' };
    if (origin !== undefined && options.corsOrigins.includes(origin)) {
      headers['access-control-allow-origin'] = origin;
      headers['access-control-allow-methods'] = 'POST, OPTIONS';
      headers['access-control-allow-headers'] = 'Content-Type, X-Namespace, Authorization';
      headers['access-control-allow-credentials'] = 'true';
      headers['access-control-max-age'] = '600';
    }
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    if (req.method !== 'POST' || (pathname !== '/encode' && pathname !== '/decode')) {
      reply(404, { message: 'POST /encode or POST /decode with {"payloads": [...]}' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reply(413, { message: `the body is larger than ${MAX_BODY_BYTES} bytes` });
        return;
      }
      let payloads: Payload[];
      try {
        payloads = parsePayloads(Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        reply(400, { message: `bad request: ${errorMessage(error)}` });
        return;
      }
      const work = pathname === '/encode' ? codec.encode(payloads) : codec.decode(payloads);
      work.then(
        (result) => reply(200, { payloads: result.map(toJson) }),
        // The codec's messages name key ids, never keys.
        (error: unknown) => reply(400, { message: errorMessage(error) }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
