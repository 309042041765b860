/**
 * The projects' database URLs (SYNC_SOURCE_DATABASE_URL, SYNC_TARGET_DATABASE_URL) checked against
 * each other and the projects' API URLs, so that each names its own project's database. The URLs
 * hold passwords: no message shows them.
 */
import { parseUrl } from './env-values.js';

/** The hosted project ref in a Supabase URL (`https://<ref>.supabase.co`), if it is one. */
export function projectRef(url: string): string | undefined {
  return /^https?:\/\/([a-z0-9]{20})\.supabase\.(co|in)\b/.exec(url)?.[1];
}

/** One database: host, port, database name and user (a pooler's user names the project: postgres.<ref>). */
function sameDatabase(a: string, b: string): boolean {
  const norm = (s: string) => {
    const url = parseUrl(s);
    if (!url) return s;
    return `${url.hostname}:${url.port || '5432'}${url.pathname}@${decodeURIComponent(url.username)}`.toLowerCase();
  };
  return norm(a) === norm(b);
}

/**
 * SYNC_SOURCE_DATABASE_URL: the direct path needs the target's URL too, and it must be the source's
 * database, not the target's (the URLs themselves are never shown).
 */
export function directUrlProblem(env: {
  SYNC_SOURCE_DATABASE_URL?: string | undefined;
  SYNC_TARGET_DATABASE_URL?: string | undefined;
  SYNC_TARGET_SUPABASE_URL: string;
}): string | undefined {
  const source = env.SYNC_SOURCE_DATABASE_URL;
  if (source === undefined) return undefined;
  const target = env.SYNC_TARGET_DATABASE_URL;
  if (target === undefined) {
    return "is set but SYNC_TARGET_DATABASE_URL is not: the direct copy needs both databases; set SYNC_TARGET_DATABASE_URL to the target's database URL, or unset SYNC_SOURCE_DATABASE_URL";
  }
  const targetRef = projectRef(env.SYNC_TARGET_SUPABASE_URL);
  if (sameDatabase(source, target) || (targetRef !== undefined && source.includes(targetRef))) {
    return "is the target's database; it must be the source's (primary) database: its URL from the source project's Dashboard → Connect";
  }
  return undefined;
}

/**
 * A URL of Supavisor's transaction mode (port 6543): each statement may run on another server
 * session, so temporary tables, COPY streams and LISTEN, which the direct path and schema follow
 * use, do not hold. The session pooler (port 5432) or the direct connection do.
 */
export function transactionPoolerProblem(url: string | undefined): string | undefined {
  const parsed = url === undefined ? undefined : parseUrl(url);
  if (parsed?.port !== '6543') return undefined;
  return "is the transaction pooler (port 6543), which keeps no session between statements; use the session pooler's URL (port 5432) or the direct connection (Dashboard → Connect)";
}
