/** Reading a request's Accept header and JSON body as PostgREST does (media types, insert payloads). */
import { RestError, invalidBody } from './errors.js';
import type { QueryParams } from './query-params.js';

export function negotiate(accept: string | undefined): { single: boolean; stripNulls: boolean } {
  if (!accept) return { single: false, stripNulls: false };
  for (const entry of accept.split(',')) {
    const t = entry.trim().toLowerCase();
    const base = t.split(';')[0]?.trim() ?? '';
    const stripNulls = /;\s*nulls=stripped/.test(t);
    if (['application/json', '*/*', 'application/*', 'application/vnd.pgrst.array+json'].includes(base))
      return { single: false, stripNulls };
    if (base === 'application/vnd.pgrst.object+json') return { single: true, stripNulls };
  }
  throw new RestError(406, 'PGRST107', `None of these media types are available: ${accept}`);
}

export function firstChar(text: string): string {
  const m = /\S/.exec(text);
  return m ? m[0] : '';
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidBody('Empty or invalid json');
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Columns and a JSON-array payload for an insert, as PostgREST derives them (`columns`, else body keys). */
export function insertPayload(text: string, q: QueryParams): { columns: string[]; payload: string } {
  if (q.columns) return { columns: q.columns, payload: firstChar(text) === '{' ? `[${text}]` : text };
  const body = parseJsonBody(text);
  if (isObject(body)) return { columns: Object.keys(body), payload: `[${text}]` };
  if (!Array.isArray(body)) throw invalidBody('Empty or invalid json');
  const first: unknown = body[0];
  if (body.length === 0) return { columns: [], payload: text };
  if (!isObject(first)) throw invalidBody('Empty or invalid json');
  const keys = Object.keys(first);
  const keySet = new Set(keys);
  for (const row of body) {
    if (!isObject(row)) throw invalidBody('Empty or invalid json');
    const rowKeys = Object.keys(row);
    if (rowKeys.length !== keys.length || rowKeys.some((k) => !keySet.has(k)))
      throw invalidBody('All object keys must match');
  }
  return { columns: keys, payload: text };
}
