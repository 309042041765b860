/** Shared helpers for the Storage contract tests: a client, the database, unique names. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import assert from 'node:assert/strict';
import { createClient, StorageApiError, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through the harness (npx tsx test/run.ts FILE)`);
  return value;
}

export const url = env('SYNC_SOURCE_SUPABASE_URL');
export const serviceRoleKey = env('SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY');
export const storageUrl = `${url}/storage/v1`;

export function client(key = serviceRoleKey): SupabaseClient {
  return createClient<Record<string, never>>(url, key, {
    realtime: { transport: WebSocket as unknown as never },
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

export const db = new pg.Pool({ connectionString: env('STACK_SOURCE_DATABASE_URL'), max: 4 });

export const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

export interface ObjectRowInDb {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  owner_id: string | null;
  version: string | null;
  metadata: Record<string, unknown> | null;
  user_metadata: Record<string, unknown> | null;
  path_tokens: string[];
  created_at: Date;
  updated_at: Date;
}

export async function objectRows(bucket: string): Promise<ObjectRowInDb[]> {
  const result = await db.query<ObjectRowInDb>(
    'select * from storage.objects where bucket_id = $1 order by name collate "C"',
    [bucket],
  );
  return result.rows;
}

/** The resident set size of the process serving the local APIs, in bytes (Linux). */
export async function apiRss(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${env('STACK_API_PID')}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error('no VmRSS in /proc status');
  return Number(kb) * 1024;
}

/** A storage error as the client hands it over: the HTTP status, the body's statusCode and message. */
export function apiError(error: unknown): { status: number; statusCode: string; message: string } {
  assert.ok(error instanceof StorageApiError, `expected a StorageApiError, got ${String(error)}`);
  return { status: error.status, statusCode: error.statusCode, message: error.message };
}
