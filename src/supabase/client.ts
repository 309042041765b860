/**
 * A supabase-js client for one project, with its service role key: REST reads come back with
 * imprecise numbers protected (lossless-json.ts), every request has a deadline, and Realtime runs
 * over `ws` (Node 20 has no global WebSocket). The adapters (source, target, realtime) build on it.
 */
import { createClient, type RealtimeClientOptions } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { protectImpreciseNumbers } from './lossless-json.js';

export interface ProjectConnection {
  url: string;
  serviceRoleKey: string;
  /** "source" or "target": used in error messages and to name the variables to fix. */
  role: 'source' | 'target';
}

/**
 * A request that gets no answer fails after this instead of Node's 300 s: the activity is retried,
 * and a page read is always written within that bound (the target's tombstones rely on it).
 */
export const REQUEST_TIMEOUT_MS = 60_000;

/** The functions whose result is an array of rows (supabase/migrations/20261202120100_sync_reads.sql). */
const ROW_FUNCTIONS = /\/rest\/v1\/rpc\/sync_read_(rows|keys)(\?|$)/;

const losslessFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, {
    ...init,
    signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const json = (response.headers.get('content-type') ?? '').includes('json');
  if (!json || !url.includes('/rest/v1/')) return response;
  // Table reads and the row-reading functions return arrays of rows; other functions' results are left alone.
  if (url.includes('/rest/v1/rpc/') && !ROW_FUNCTIONS.test(url)) return response;
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(protectImpreciseNumbers(text), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
};

export function newClient(project: ProjectConnection) {
  return createClient(project.url, project.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: losslessFetch },
    realtime: {
      transport: WebSocket as unknown as NonNullable<RealtimeClientOptions['transport']>,
      heartbeatIntervalMs: 15_000,
    },
    db: { schema: 'public' },
  });
}

export type SupabaseClient = ReturnType<typeof newClient>;
