/**
 * Routing and request semantics: which SQL a request becomes, which status and headers answer it.
 * One request = one transaction with one data statement (db.ts); SQL text comes from sql.ts,
 * writes (POST, PATCH, DELETE on a relation) are answered by writes.ts.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { authenticate } from './auth.js';
import { drainBody, readBody } from './body.js';
import { runStatement, type ResultRow } from './db.js';
import { RestError, invalidBody, parseError, tableNotFound, toRestError } from './errors.js';
import { ANON_ROLE } from './jwt.js';
import { firstChar, isObject, negotiate, parseJsonBody } from './payload.js';
import { appliedHeader, parsePreferences } from './preferences.js';
import { isReservedKey, parseQuery, type QueryParams } from './query-params.js';
import {
  JSON_TYPE,
  contentRange,
  rangeError,
  rangeStatus,
  send,
  sendError,
  sendPreflight,
  singleError,
} from './responses.js';
import { resolveRoutine, routineAmbiguous, routineNotFound } from './routines.js';
import type { SchemaCache, Table } from './schema-cache.js';
import type { RoleSettings } from './tx-vars.js';
import { Params, readSql, rpcSql, type BodyShape } from './sql.js';
import type { Plan, Request, RequestTools } from './request.js';
import { deleteRows, insertRows, updateRows } from './writes.js';

export interface ServiceOptions {
  pool: pg.Pool;
  cache: SchemaCache;
  jwtSecret: string;
  /** The `ALTER ROLE … SET` settings applied with each role (tx-vars.ts). */
  roleSettings: RoleSettings;
  maxBodyBytes: number;
  /** PostgREST's db-max-rows (Supabase: 1000); null = unlimited. */
  maxRows: number | null;
  /** Strings scrubbed from error texts (the database password). */
  secrets: string[];
  onError: (error: unknown) => void;
}

/** Errors raised while planning from the schema cache: worth one cache reload before answering. */
const CACHE_MISS_CODES = new Set(['PGRST205', 'PGRST204', 'PGRST202', '42703']);

export class RestService implements RequestTools {
  constructor(private readonly options: ServiceOptions) {}

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const caller = { anonymous: false };
    this.serve(req, res, caller).catch((error: unknown) => {
      const restError = toRestError(error, this.options.secrets, !caller.anonymous);
      if (restError.status >= 500) this.options.onError(error);
      try {
        sendError(res, restError);
      } catch (e) {
        this.options.onError(e);
        res.destroy();
      }
    });
  }

  private async serve(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    caller: { anonymous: boolean },
  ): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') {
      drainBody(req);
      sendPreflight(req, res);
      return;
    }
    const auth = authenticate(req, url.searchParams, this.options.jwtSecret);
    caller.anonymous = auth.role === ANON_ROLE;
    const readMethod = method === 'GET' || method === 'HEAD';
    const profileHeader = req.headers[readMethod ? 'accept-profile' : 'content-profile'];
    const profile = Array.isArray(profileHeader) ? profileHeader[0] : profileHeader;
    const schema = await this.checkSchema(profile, started);
    let segments: string[];
    try {
      segments = url.pathname
        .slice('/rest/v1'.length)
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      throw parseError('Invalid path specified in request URL');
    }
    const r: Request = {
      req,
      res,
      url,
      method,
      started,
      auth,
      schema,
      profileGiven: profile !== undefined && profile !== '',
      ...negotiate(req.headers.accept),
      prefs: parsePreferences(req.headers.prefer),
      ignore: auth.keyInQuery ? new Set(['apikey']) : undefined,
    };
    if (segments.length === 0) return this.root(r);
    if (segments.length === 2 && segments[0] === 'rpc') return this.rpc(r, segments[1] ?? '');
    if (segments.length === 1) return this.table(r, segments[0] ?? '');
    drainBody(req);
    throw new RestError(404, 'PGRST125', 'Invalid path specified in request URL');
  }

  private async checkSchema(profile: string | undefined, started: number): Promise<string> {
    if (profile === undefined || profile === '') return 'public';
    const { cache } = this.options;
    if (!cache.hasSchema(profile)) await cache.refresh(started);
    if (!cache.hasSchema(profile)) {
      throw new RestError(406, 'PGRST106', `Invalid schema: ${profile}`, {
        hint: `Only the following schemas are exposed: ${cache.exposedSchemas().join(', ')}`,
      });
    }
    return profile;
  }

  /** Build from the cache; on a miss reload it once (a table created a moment ago) and build again. */
  async plan(started: number, build: () => Plan): Promise<Plan> {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof RestError) || !CACHE_MISS_CODES.has(error.code)) throw error;
      await this.options.cache.refresh(started);
      return build();
    }
  }

  requireTable(r: Request, name: string): Table {
    const table = this.options.cache.table(r.schema, name);
    if (!table) throw tableNotFound(r.schema, name);
    return table;
  }

  commonHeaders(r: Request, range: string): Record<string, string | null> {
    return { 'Content-Range': range, 'Content-Profile': r.profileGiven ? r.schema : null };
  }

  contentType(r: Request): string {
    return r.single ? 'application/vnd.pgrst.object+json; charset=utf-8' : JSON_TYPE;
  }

  run(r: Request, plan: Plan, readOnly: boolean, check?: (row: ResultRow) => RestError | null) {
    const { role, claims } = r.auth;
    const path = r.url.pathname.slice('/rest/v1'.length);
    const { headers } = r.req;
    const vars = { role, claims, schema: r.schema, method: r.method, path, headers };
    const context = { ...vars, readOnly, roleSettings: this.options.roleSettings };
    return runStatement(this.options.pool, context, plan.sql, plan.params.values, check);
  }

  private clampLimit(q: QueryParams): void {
    const { maxRows } = this.options;
    if (maxRows !== null) q.limit = q.limit === null ? maxRows : Math.min(q.limit, maxRows);
  }

  private root(r: Request): void {
    drainBody(r.req);
    if (r.method !== 'GET' && r.method !== 'HEAD') throw this.methodNotAllowed(r);
    const body = JSON.stringify({
      swagger: '2.0',
      info: { title: 'supabase-sync local PostgREST stand-in', version: '0' },
      paths: {},
    });
    send(
      r.res,
      200,
      { 'Content-Type': 'application/openapi+json; charset=utf-8' },
      r.method === 'HEAD' ? undefined : body,
    );
  }

  private methodNotAllowed(r: Request): RestError {
    return new RestError(405, 'PGRST117', `Unsupported HTTP method: ${r.method}`);
  }

  private async table(r: Request, name: string): Promise<void> {
    switch (r.method) {
      case 'GET':
      case 'HEAD':
        drainBody(r.req);
        return this.read(r, name);
      case 'POST':
        return insertRows(this, r, name, await readBody(r.req, this.options.maxBodyBytes));
      case 'PATCH':
        return updateRows(this, r, name, await readBody(r.req, this.options.maxBodyBytes));
      case 'DELETE':
        drainBody(r.req);
        return deleteRows(this, r, name);
      default:
        drainBody(r.req);
        throw this.methodNotAllowed(r);
    }
  }

  private async read(r: Request, name: string): Promise<void> {
    const q = parseQuery(r.url.searchParams, { ignore: r.ignore });
    this.clampLimit(q);
    const count = r.prefs.count !== null;
    const shape: BodyShape = r.method === 'HEAD' ? 'none' : r.single ? 'single' : 'array';
    const plan = await this.plan(r.started, () => {
      const params = new Params();
      const sql = readSql(
        this.requireTable(r, name),
        q,
        { count, body: shape, stripNulls: r.stripNulls },
        params,
      );
      return { sql, params };
    });
    const row = await this.run(r, plan, true, (row) =>
      r.single && Number(row.page_total) !== 1 ? singleError(Number(row.page_total)) : null,
    );
    this.sendRead(r, q, row, count, true);
  }

  /** Reads and rpc results: Content-Range and the 200/206/416 rules. */
  private sendRead(r: Request, q: QueryParams, row: ResultRow, count: boolean, hasBody: boolean): void {
    const n = Number(row.page_total);
    const total = count && row.total !== null ? Number(row.total) : null;
    const lower = q.offset;
    const upper = lower + n - 1;
    const status = rangeStatus(lower, upper, total);
    const headers = {
      ...this.commonHeaders(r, contentRange(lower, upper, total)),
      'Content-Type': this.contentType(r),
      'Preference-Applied': appliedHeader([count && `count=${r.prefs.count}`]),
    };
    if (status === 416) {
      const error = rangeError(lower, total ?? 0);
      send(r.res, 416, { ...headers, 'Content-Type': JSON_TYPE }, JSON.stringify(error.body()));
      return;
    }
    send(r.res, status, headers, r.method === 'HEAD' || !hasBody ? undefined : (row.body ?? '[]'));
  }

  private async rpc(r: Request, name: string): Promise<void> {
    let keys: string[];
    let argsJson = '{}';
    const isRead = r.method === 'GET' || r.method === 'HEAD';
    if (r.method === 'POST') {
      const text = await readBody(r.req, this.options.maxBodyBytes);
      if (firstChar(text) !== '') {
        const body = parseJsonBody(text);
        if (!isObject(body)) throw invalidBody('Empty or invalid json');
        keys = Object.keys(body);
        argsJson = text;
      } else keys = [];
    } else if (isRead) {
      drainBody(r.req);
      keys = [...new Set(r.url.searchParams.keys())].filter((k) => !isReservedKey(k) && !r.ignore?.has(k));
    } else {
      drainBody(r.req);
      throw this.methodNotAllowed(r);
    }
    const count = r.prefs.count !== null;
    let q: QueryParams = parseQuery(new URLSearchParams());
    let returnsVoid = false;
    let returnsSet = false;
    const plan = await this.plan(r.started, () => {
      const resolved = resolveRoutine(this.options.cache.functions(r.schema, name), keys, isRead);
      if (resolved === null) throw routineNotFound(r.schema, name, keys);
      if (Array.isArray(resolved)) throw routineAmbiguous(r.schema, name, resolved);
      const { routine, argNames } = resolved;
      q = parseQuery(r.url.searchParams, {
        ignore: r.ignore,
        argNames: isRead ? new Set(argNames) : undefined,
      });
      this.clampLimit(q);
      if (isRead) argsJson = JSON.stringify(Object.fromEntries(q.args));
      returnsVoid = routine.returnShape === 'void';
      returnsSet = routine.returnsSet;
      const body: BodyShape = r.method === 'HEAD' ? 'none' : r.single ? 'single' : 'array';
      const params = new Params();
      const sql = rpcSql(routine, q, { argNames, argsJson, count, body, stripNulls: r.stripNulls }, params);
      return { sql, params };
    });
    const row = await this.run(r, plan, isRead, (row) =>
      r.single && returnsSet && Number(row.page_total) !== 1 ? singleError(Number(row.page_total)) : null,
    );
    if (returnsVoid) {
      const n = Number(row.page_total);
      send(r.res, 204, this.commonHeaders(r, contentRange(q.offset, q.offset + n - 1, count ? n : null)));
      return;
    }
    this.sendRead(r, q, row, count, true);
  }
}
