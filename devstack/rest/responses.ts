/** Writing responses: JSON bodies, Content-Range and the 200/206/416 range rules of PostgREST's RangeQuery. */
import type http from 'node:http';
import { RestError } from './errors.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** `lower-upper/total`, or `*` for the range part when it is empty (PostgREST's contentRangeH). */
export function contentRange(lower: number, upper: number, total: number | null): string {
  const totalText = total === null ? '*' : String(total);
  const range = total !== 0 && lower <= upper ? `${lower}-${upper}` : '*';
  return `${range}/${totalText}`;
}

/** Status of a read (PostgREST's rangeStatus). */
export function rangeStatus(lower: number, upper: number, total: number | null): number {
  if (total === null) return 200;
  if (lower > total) return 416;
  if (1 + upper - lower < total) return 206;
  return 200;
}

export function send(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string | null | undefined>,
  body?: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) {
    if (value !== null && value !== undefined) res.setHeader(name, value);
  }
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendError(res: http.ServerResponse, error: RestError): void {
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE, ...error.headers };
  if (!error.gateway) headers['Proxy-Status'] = `PostgREST; error=${error.code}`;
  send(res, error.status, headers, JSON.stringify(error.body()));
}

export const singleError = (rows: number): RestError =>
  new RestError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', {
    details: `The result contains ${rows} rows`,
  });

export const rangeError = (offset: number, total: number): RestError =>
  new RestError(416, 'PGRST103', 'Requested range not satisfiable', {
    details: `An offset of ${offset} was requested, but there are only ${total} rows.`,
  });

const ALLOWED = 'OPTIONS,GET,HEAD,POST,PATCH,DELETE';

/** The answer to a CORS preflight (OPTIONS): every method, the headers asked for. */
export function sendPreflight(req: http.IncomingMessage, res: http.ServerResponse): void {
  const requested = req.headers['access-control-request-headers'];
  send(res, 200, {
    Allow: ALLOWED,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': ALLOWED,
    'Access-Control-Allow-Headers': typeof requested === 'string' ? requested : '*',
    'Access-Control-Max-Age': '86400',
  });
}
