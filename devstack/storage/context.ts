/** What every storage route works with, and the request shape the router hands it. */
import type http from 'node:http';
import type { StorageDb, Scope } from './db.js';
import type { FileStore } from './files.js';
import type { Caller } from './http.js';
import type { TusState } from './tus-state.js';

export interface StorageContext {
  db: StorageDb;
  files: FileStore;
  tus: TusState;
  jwtSecret: string;
  /** The project's global upload limit in bytes (hosted: 50 MB on the Free plan). */
  fileSizeLimit: number;
  /** Background work (emptying a bucket) registers here so close() can wait for it. */
  background: Set<Promise<unknown>>;
  onError: (error: unknown) => void;
}

export interface StorageRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  /** The path below /storage/v1, percent-decoded per segment. */
  path: string;
  query: URLSearchParams;
  /** Route parameters: `bucket`, `key` (the `*` wildcard), `id`. */
  params: Record<string, string>;
}

export type Handler = (ctx: StorageContext, r: StorageRequest) => Promise<void>;

export function scopeOf(caller: Caller, r: StorageRequest, operation: string): Scope {
  return { claims: caller.claims, method: r.method, path: `/storage/v1${r.path}`, operation };
}

/** JSON timestamps as hosted's serializer writes them (Date → ISO 8601 with milliseconds, UTC). */
export function iso(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}
