/**
 * Optional encryption of everything that enters Temporal history (workflow inputs and results,
 * activity inputs and results, signals, queries, updates, heartbeats, failure details): a
 * PayloadCodec with AES-256-GCM, enabled by SYNC_PAYLOAD_KEY (base64, 32 bytes).
 *
 * Each payload is serialised whole (its metadata and data, as the protobuf `Payload` message) and
 * encrypted; the result is a payload with metadata `encoding: binary/encrypted` and
 * `encryption-key-id: <SYNC_PAYLOAD_KEY_ID>`, and data `IV (12 bytes) ‖ ciphertext ‖ tag (16)`.
 * The key id is authenticated too (GCM additional data), so a payload cannot be relabelled.
 * Without the key, Temporal (and its UI) sees only that opaque blob; `npm run codec-server` lets
 * the UI decode it for people who may.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  METADATA_ENCODING_KEY,
  type DataConverter,
  type Payload,
  type PayloadCodec,
} from '@temporalio/common';
import type { SyncConfig } from '../contracts/config.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class PayloadDecryptError extends Error {
  override readonly name = 'PayloadDecryptError';
}

/** The result of synchronous work as a promise (a throw becomes a rejection). */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** AES-256-GCM over whole payloads. `key` is 32 bytes; `keyId` names it in each payload's metadata. */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly key: Buffer;

  constructor(
    key: Uint8Array,
    readonly keyId: string,
  ) {
    if (key.length !== 32) throw new Error(`an AES-256 key is 32 bytes (got ${key.length})`);
    this.key = Buffer.from(key);
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() => payloads.map((payload) => this.encrypt(payload)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() => payloads.map((payload) => this.decrypt(payload)));
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(this.keyId, 'utf8'));
    const body = Buffer.concat([cipher.update(encodePayloadMessage(payload)), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(this.keyId),
      },
      data: Buffer.concat([iv, body, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    // Not ours (e.g. written before encryption was turned on): passed through as it is.
    if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : '';
    if (keyId !== this.keyId) {
      throw new PayloadDecryptError(
        `a payload was encrypted with key id "${keyId}" but SYNC_PAYLOAD_KEY_ID is "${this.keyId}": set SYNC_PAYLOAD_KEY and SYNC_PAYLOAD_KEY_ID to that key`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptError('an encrypted payload is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return decodePayloadMessage(plain);
    } catch (error) {
      if (error instanceof PayloadDecryptError) throw error;
      throw new PayloadDecryptError(
        `a payload with key id "${keyId}" does not decrypt with SYNC_PAYLOAD_KEY: the key is not the one it was encrypted with, or the payload was altered`,
      );
    }
  }
}

/** The codec SYNC_PAYLOAD_KEY asks for, or undefined when payloads are not encrypted. */
export function payloadCodecFor(config: Pick<SyncConfig, 'payloadEncryption'>): PayloadCodec | undefined {
  const settings = config.payloadEncryption;
  return settings ? new AesGcmPayloadCodec(Buffer.from(settings.key, 'base64'), settings.keyId) : undefined;
}

/** The data converter for the worker and every client: the default one, plus the codec if any. */
export function dataConverterFor(config: Pick<SyncConfig, 'payloadEncryption'>): DataConverter {
  const codec = payloadCodecFor(config);
  return codec ? { payloadCodecs: [codec] } : {};
}

// ---------------------------------------------------------------------------------------------
// The protobuf `temporal.api.common.v1.Payload` message: map<string, bytes> metadata = 1;
// bytes data = 2. Written by hand (a few lines) so the codec needs no protobuf runtime.

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function field(fieldNumber: number, bytes: Uint8Array): Buffer {
  const head: number[] = [];
  writeVarint(head, (fieldNumber << 3) | 2);
  writeVarint(head, bytes.length);
  return Buffer.concat([Buffer.from(head), bytes]);
}

export function encodePayloadMessage(payload: Payload): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    const entry = Buffer.concat([field(1, Buffer.from(key, 'utf8')), field(2, value ?? new Uint8Array())]);
    parts.push(field(1, entry));
  }
  if (payload.data && payload.data.length > 0) parts.push(field(2, payload.data));
  return Buffer.concat(parts);
}

/** Length-delimited fields of a message (other wire types are skipped). */
function* fields(buffer: Buffer): Generator<[number, Buffer]> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (pos >= buffer.length) throw new PayloadDecryptError('a decrypted payload is malformed');
      const byte = buffer[pos++]!;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
  };
  while (pos < buffer.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 2) {
      const length = varint();
      if (pos + length > buffer.length) throw new PayloadDecryptError('a decrypted payload is malformed');
      yield [tag >>> 3, buffer.subarray(pos, pos + length)];
      pos += length;
    } else if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new PayloadDecryptError('a decrypted payload is malformed');
  }
}

export function decodePayloadMessage(buffer: Buffer): Payload {
  const metadata: Record<string, Uint8Array> = {};
  let data: Uint8Array = new Uint8Array();
  for (const [number, bytes] of fields(buffer)) {
    if (number === 1) {
      let key = '';
      let value: Uint8Array = new Uint8Array();
      for (const [n, b] of fields(bytes)) {
        if (n === 1) key = b.toString('utf8');
        else if (n === 2) value = new Uint8Array(b);
      }
      metadata[key] = value;
    } else if (number === 2) {
      data = new Uint8Array(bytes);
    }
  }
  return { metadata, data };
}
