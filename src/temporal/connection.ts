/**
 * Reaching the Temporal frontend: plain, or TLS with an mTLS client certificate
 * (TEMPORAL_TLS_CERT_PATH / TEMPORAL_TLS_KEY_PATH) and/or an API key (TEMPORAL_API_KEY, which implies
 * TLS), as Temporal Cloud needs. The worker's connection and every client (the worker's, the CLI's,
 * `npm run sync`'s) are made from these options, with the payload codec (codec.ts).
 */
import { readFileSync } from 'node:fs';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
  type TLSConfig,
} from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import { dataConverterFor } from './codec.js';

export function temporalConnectionOptions(temporal: SyncConfig['temporal']): {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
} {
  const tls: TLSConfig | true | undefined = temporal.tls
    ? {
        clientCertPair: { crt: readFileSync(temporal.tls.certPath), key: readFileSync(temporal.tls.keyPath) },
      }
    : temporal.apiKey !== undefined
      ? true
      : undefined;
  return {
    address: temporal.address,
    ...(tls ? { tls } : {}),
    ...(temporal.apiKey !== undefined ? { apiKey: temporal.apiKey } : {}),
  };
}

export async function connectClient(
  config: SyncConfig,
  interceptors?: ConnectionOptions['interceptors'],
): Promise<Client> {
  const connection = await Connection.connect({
    ...temporalConnectionOptions(config.temporal),
    connectTimeout: 5000,
    // Given interceptors replace the SDK's default, which retries transient errors: keep it, innermost.
    ...(interceptors
      ? { interceptors: [...interceptors, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())] }
      : {}),
  });
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config),
  });
}

/** The search attributes the table workflows keep up to date (SyncTable, SyncState). */
export const SEARCH_ATTRIBUTE_NAMES = ['SyncTable', 'SyncState'] as const;

/** Whether the server has our search attributes registered (the workflows only set them if so). */
export async function searchAttributesRegistered(client: Client, namespace: string): Promise<boolean> {
  try {
    const response = await client.connection.operatorService.listSearchAttributes({ namespace });
    const custom = response.customAttributes ?? {};
    return SEARCH_ATTRIBUTE_NAMES.every((name) => name in custom);
  } catch {
    return false;
  }
}
