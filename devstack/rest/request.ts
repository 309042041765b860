/**
 * One REST request as the handler parsed it, and what the handler lends the request kinds
 * (handler.ts reads and rpc, writes.ts inserts, updates and deletes) to plan and run it.
 */
import type http from 'node:http';
import type { AuthResult } from './auth.js';
import type { ResultRow } from './db.js';
import type { RestError } from './errors.js';
import type { Preferences } from './preferences.js';
import type { Table } from './schema-cache.js';
import type { Params } from './sql.js';

export interface Request {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  method: string;
  started: number;
  auth: AuthResult;
  schema: string;
  profileGiven: boolean;
  single: boolean;
  stripNulls: boolean;
  prefs: Preferences;
  ignore: ReadonlySet<string> | undefined;
}

export interface Plan {
  sql: string;
  params: Params;
}

export interface RequestTools {
  /** Build from the schema cache; on a miss reload it once and build again. */
  plan(started: number, build: () => Plan): Promise<Plan>;
  requireTable(r: Request, name: string): Table;
  run(
    r: Request,
    plan: Plan,
    readOnly: boolean,
    check?: (row: ResultRow) => RestError | null,
  ): Promise<ResultRow>;
  commonHeaders(r: Request, range: string): Record<string, string | null>;
  contentType(r: Request): string;
}
