/**
 * SYNC_PAYLOAD_KEY: what enters Temporal history is encrypted (AES-256-GCM, src/temporal/codec.ts), the
 * worker and a client with the key work as before, a client without it cannot read the payloads,
 * and `npm run codec-server` decodes them for the Temporal UI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { freePort } from '../../devstack/ports.js';
import {
  AesGcmPayloadCodec,
  decodePayloadMessage,
  encodePayloadMessage,
  ENCRYPTED_ENCODING,
} from '../../src/temporal/codec.js';
import { connectClient } from '../../src/temporal/connection.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import { statusQuery } from '../../src/workflows/messages.js';
import { closeDatabases, createNotesTable, db, uniqueName } from '../support/db.js';
import { testStack, testTmpDir } from '../support/stack-env.js';
import { startSync, table, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stack = testStack();
const key = randomBytes(32);
const keyId = `test-${randomBytes(3).toString('hex')}`;
const t = table(uniqueName('codec_orders'));
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
let sync: RunningSync;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(testTmpDir(), 'supabase-sync-codec-'));
  await createNotesTable(t.table, 20);
  sync = await startSync({
    ...testConfig([t]),
    payloadEncryption: { key: key.toString('base64'), keyId },
  });
});

after(async () => {
  await sync?.close();
  await closeDatabases();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every payload in a history (not search attributes: those are indexed, never encoded). */
function payloadsIn(value: unknown, found: Payload[] = [], key = ''): Payload[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  // Search attributes are never encrypted (the UI lists by them); a `patched()` marker's
  // `patch-data` is the SDK's own (the patch id only), written by core without the codec.
  if (/searchAttributes|patch-data/i.test(key)) return found;
  const record = value as Record<string, unknown>;
  const metadata = record.metadata as Record<string, unknown> | undefined;
  if (metadata && typeof metadata === 'object' && ArrayBuffer.isView(metadata.encoding)) {
    found.push(record);
    return found;
  }
  for (const [k, v] of Object.entries(record)) payloadsIn(v, found, k);
  return found;
}

describe('payload codec', () => {
  test('AES-256-GCM round trip; a wrong key, another key id or an altered payload fail clearly', async () => {
    const codec = new AesGcmPayloadCodec(key, keyId);
    const plain: Payload = { metadata: { encoding: bytes('json/plain') }, data: bytes('{"table":"orders"}') };
    const [encrypted] = await codec.encode([plain]);
    assert.equal(text(encrypted!.metadata!.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(encrypted!.metadata!['encryption-key-id']), keyId);
    assert.ok(!text(encrypted!.data).includes('orders'));
    const [decoded] = await codec.decode([encrypted!]);
    assert.deepEqual(
      [text(decoded!.metadata!.encoding), text(decoded!.data)],
      ['json/plain', '{"table":"orders"}'],
    );
    // Two encodings of one payload differ (a fresh IV each time).
    assert.notDeepEqual((await codec.encode([plain]))[0]!.data, encrypted!.data);
    // Not encrypted: passed through (histories from before the key was set stay readable).
    assert.deepEqual(await codec.decode([plain]), [plain]);
    await assert.rejects(
      new AesGcmPayloadCodec(randomBytes(32), keyId).decode([encrypted!]),
      /does not decrypt/,
    );
    await assert.rejects(
      new AesGcmPayloadCodec(key, 'other').decode([encrypted!]),
      new RegExp(`encrypted with key id "${keyId}" but SYNC_PAYLOAD_KEY_ID is "other"`),
    );
    const altered = Buffer.from(encrypted!.data!);
    altered[20] = altered[20]! ^ 1;
    await assert.rejects(codec.decode([{ ...encrypted!, data: altered }]), /or the payload was altered/);
    // The Payload message encoding round-trips metadata and empty data.
    const empty: Payload = {
      metadata: { encoding: bytes('binary/null'), x: new Uint8Array() },
      data: new Uint8Array(),
    };
    assert.deepEqual(decodePayloadMessage(encodePayloadMessage(empty)), empty);
  });

  test('with SYNC_PAYLOAD_KEY the table syncs, and its history holds only encrypted payloads', async () => {
    await waitUntilSyncing(sync, t);
    await db(stack.source.databaseUrl).query(`INSERT INTO public.${t.table} (id, note) VALUES (500, 'new')`);
    await waitFor(
      async () =>
        (await db(stack.target.databaseUrl).query(`SELECT 1 FROM public.${t.table} WHERE id = 500`)).rows
          .length === 1,
      { timeoutMs: 10_000, message: 'the row did not arrive' },
    );
    // Realtime progress signals carry payloads too: wait until one is in the history.
    const handle = sync.client.workflow.getHandle(workflowIdFor(t));
    const history = await waitFor(async () => {
      const h = await handle.fetchHistory();
      return h.events?.some((e) => e.workflowExecutionSignaledEventAttributes) ? h : undefined;
    });
    const payloads = payloadsIn(history);
    assert.ok(payloads.length >= 5, `payloads found: ${payloads.length}`);
    for (const payload of payloads) {
      assert.equal(text(payload.metadata!.encoding), ENCRYPTED_ENCODING);
      assert.equal(text(payload.metadata!['encryption-key-id']), keyId);
      assert.ok(!text(payload.data).includes(t.table), 'the table name is not readable');
      assert.ok(!text(payload.data).includes('primaryKeys'), 'no field name is readable');
    }
  });

  test('a client with the key reads the status; a client without it cannot', async () => {
    const withKey = await connectClient(sync.config);
    try {
      const status = await withKey.workflow.getHandle(workflowIdFor(t)).query(statusQuery);
      assert.equal(status.table, t.qualifiedName);
      assert.equal(status.state, 'running');
    } finally {
      await withKey.connection.close();
    }
    const withoutKey = new Client({
      connection: sync.client.connection,
      namespace: sync.config.temporal.namespace,
    });
    await assert.rejects(
      withoutKey.workflow.getHandle(workflowIdFor(t)).query(statusQuery),
      /binary\/encrypted/,
    );
  });

  test('npm run codec-server decodes a payload from that history for the Temporal UI', async () => {
    const history = await sync.client.workflow.getHandle(workflowIdFor(t)).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.ok(input, 'the start event has an input');
    const port = await freePort();
    const envFile = path.join(dir, 'codec.env');
    await writeFile(
      envFile,
      `SYNC_PAYLOAD_KEY=${key.toString('base64')}\nSYNC_PAYLOAD_KEY_ID=${keyId}\nSYNC_CODEC_ADDRESS=127.0.0.1:${port}\n`,
    );
    const child = spawn(process.execPath, ['bin/run.mjs', 'src/codec-server.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SYNC_ENV_PATH: envFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitFor(() => output.includes('codec server'), {
        timeoutMs: 20_000,
        message: () => `codec server did not start: ${output}`,
      });
      assert.ok(!output.includes(key.toString('base64')), 'the key is not printed');
      const url = `http://127.0.0.1:${port}`;
      // The UI's preflight, from its origin.
      const preflight = await fetch(`${url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:8233',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:8233');
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);
      const other = await fetch(`${url}/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(other.headers.get('access-control-allow-origin'), null);

      const b64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('base64');
      const body = {
        payloads: [
          {
            metadata: Object.fromEntries(Object.entries(input.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
            data: b64(input.data),
          },
        ],
      };
      const response = await fetch(`${url}/decode`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-namespace': 'default',
          origin: 'http://localhost:8233',
        },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:8233');
      const decoded = (await response.json()) as {
        payloads: Array<{ metadata: Record<string, string>; data: string }>;
      };
      assert.equal(Buffer.from(decoded.payloads[0]!.metadata.encoding!, 'base64').toString(), 'json/plain');
      const workflowInput = JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()) as {
        table: { table: string };
      };
      assert.equal(workflowInput.table.table, t.table);

      // And back: /encode gives a payload the worker's codec decodes.
      const encoded = await fetch(`${url}/encode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(decoded),
      });
      const again = (await encoded.json()) as {
        payloads: Array<{ metadata: Record<string, string>; data: string }>;
      };
      assert.equal(
        Buffer.from(again.payloads[0]!.metadata.encoding!, 'base64').toString(),
        ENCRYPTED_ENCODING,
      );
      const bad = await fetch(`${url}/decode`, { method: 'POST', body: 'not json' });
      assert.equal(bad.status, 400);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    }
  });
});
