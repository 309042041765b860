/**
 * `npm run codec-server`: serves the payload codec (src/temporal/codec-http.ts) so the Temporal UI
 * can show payloads encrypted with SYNC_PAYLOAD_KEY. It listens on 127.0.0.1:8888 unless
 * SYNC_CODEC_ADDRESS says otherwise. Exit codes: 0 stopped, 1 could not listen, 2 bad configuration.
 */
import { ConfigError, loadCodecServerEnv, type CodecServerEnv } from './config/index.js';
import { payloadCodecFor } from './temporal/codec.js';
import { startCodecServer, type CodecServer } from './temporal/codec-http.js';
import { errorMessage } from './core/errors.js';

let env: CodecServerEnv;
try {
  env = loadCodecServerEnv();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`supabase-sync codec-server: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
let server: CodecServer;
try {
  server = await startCodecServer(payloadCodecFor(env)!, env);
} catch (error) {
  console.error(
    `supabase-sync codec-server: cannot listen on SYNC_CODEC_ADDRESS=${env.host}:${env.port} (${errorMessage(error)}): choose another host:port`,
  );
  process.exit(1);
}
console.log(
  `codec server for key id "${env.payloadEncryption.keyId}" at ${server.url} (POST /encode, /decode); Temporal UI origins allowed: ${env.corsOrigins.join(', ')}. In the UI: Settings → Codec Server → ${server.url}`,
);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
