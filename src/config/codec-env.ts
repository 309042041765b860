/**
 * The codec server's configuration (`npm run codec-server`): only the key, where to listen and
 * which Temporal UI origins may call it; read from the same env file and environment as the worker.
 */
import { z } from 'zod';
import { ConfigError, show } from './errors.js';
import { readEnvSources, type LoadOptions } from './env-sources.js';
import { envError, payloadKey, payloadKeyId } from './env-values.js';

/** Where `npm run codec-server` listens unless SYNC_CODEC_ADDRESS says otherwise. */
export const DEFAULT_CODEC_ADDRESS = '127.0.0.1:8888';
/** Temporal UI origins the codec server answers (the dev server's UI, and docker compose's). */
export const DEFAULT_CODEC_CORS_ORIGINS = [
  'http://localhost:8233',
  'http://127.0.0.1:8233',
  'http://localhost:8080',
  'http://127.0.0.1:8080',
] as const;

export interface CodecServerEnv {
  payloadEncryption: { key: string; keyId: string };
  /** host:port to listen on (SYNC_CODEC_ADDRESS). */
  host: string;
  port: number;
  /** Origins allowed to call it from a browser (SYNC_CODEC_CORS_ORIGINS, comma-separated). */
  corsOrigins: string[];
}

const CodecServerSchema = z.object({
  SYNC_PAYLOAD_KEY: z.string({ error: 'is not set' }).pipe(payloadKey),
  SYNC_PAYLOAD_KEY_ID: payloadKeyId.default('default'),
  SYNC_CODEC_ADDRESS: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, {
      error: 'must be host:port to listen on, e.g. 127.0.0.1:8888',
    })
    .default(DEFAULT_CODEC_ADDRESS),
  SYNC_CODEC_CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter((o) => o !== ''),
    )
    .pipe(
      z.array(
        z.string().regex(/^https?:\/\/[^/\s]+$/, {
          error:
            'must be a comma-separated list of origins like http://localhost:8233 (scheme://host:port, no path)',
        }),
      ),
    )
    .optional(),
});

export function loadCodecServerEnv(options: LoadOptions = {}): CodecServerEnv {
  const sources = readEnvSources(options);
  const result = CodecServerSchema.safeParse(sources.values);
  if (!result.success) throw envError(result.error.issues, sources);
  const env = result.data;
  const split = /^(.*):(\d+)$/.exec(env.SYNC_CODEC_ADDRESS)!;
  const port = Number(split[2]);
  if (port < 1 || port > 65535) {
    throw new ConfigError(
      `SYNC_CODEC_ADDRESS=${show(env.SYNC_CODEC_ADDRESS)}: the port must be from 1 to 65535`,
    );
  }
  return {
    payloadEncryption: { key: env.SYNC_PAYLOAD_KEY, keyId: env.SYNC_PAYLOAD_KEY_ID },
    host: split[1]!.replace(/^\[(.*)\]$/, '$1'),
    port,
    corsOrigins: env.SYNC_CODEC_CORS_ORIGINS ?? [...DEFAULT_CODEC_CORS_ORIGINS],
  };
}
