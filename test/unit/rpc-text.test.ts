/**
 * The copy's text calls (rpc-text.ts): the same request supabase-js makes, the answer as text, and
 * the same errors as every other call (api-errors.ts).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SyncError } from '../../src/contracts/ports.js';
import { rpcText } from '../../src/supabase/rpc-text.js';

let server: Server;
let url = '';
let seen: { req: IncomingMessage; body: string } | undefined;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen = { req, body };
      if (req.url === '/rest/v1/rpc/missing') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"code":"PGRST202","message":"Could not find the function public.missing"}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('[{"id":9007199254740993}]');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const call = { what: 'copying rows', migration: 'reads' as const };

describe('rpcText', () => {
  test('posts the text as it is, with the service role key, and returns the answer as text', async () => {
    const text = await rpcText(
      { url, serviceRoleKey: 'k', role: 'source' },
      'sync_read_rows',
      '{"a":1.50}',
      call,
    );
    assert.equal(text, '[{"id":9007199254740993}]');
    assert.equal(seen?.body, '{"a":1.50}');
    assert.equal(seen?.req.headers.apikey, 'k');
    assert.equal(seen?.req.headers.authorization, 'Bearer k');
    assert.equal(seen?.req.headers['content-profile'], 'public');
  });

  test('an API error is the SyncError every call gives (missing functions name the migration)', async () => {
    const error = await rpcText({ url, serviceRoleKey: 'k', role: 'source' }, 'missing', '{}', call).catch(
      (e: unknown) => e,
    );
    assert.ok(error instanceof SyncError);
    assert.equal(error.kind, 'migration');
    assert.match(error.message, /20261202120100_sync_reads\.sql/);
  });

  test('an unreachable project is "unavailable" and says so', async () => {
    const error = await rpcText(
      { url: 'http://127.0.0.1:1', serviceRoleKey: 'k', role: 'target' },
      'sync_apply_upserts',
      '{}',
      { what: 'writing rows', migration: 'apply' },
    ).catch((e: unknown) => e);
    assert.ok(error instanceof SyncError);
    assert.equal(error.kind, 'unavailable');
    assert.match(
      error.message,
      /target project \(http:\/\/127\.0\.0\.1:1\): writing rows failed, the API is unreachable/,
    );
  });
});
