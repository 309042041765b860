/**
 * A project's Postgres reached by its URL (`migrate --apply`, `schema push`): one client, and the URL
 * kept out of every message (its password replaced by `***`).
 */
import pg from 'pg';
import { errorMessage } from '../core/errors.js';

/** The URL with its password replaced by `***` (for messages); an unparsable one is not shown at all. */
export function redactDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(database URL)';
  }
}

/** `message` with the URL and its password taken out. */
export function redactIn(message: string, databaseUrl: string): string {
  let out = message.split(databaseUrl).join(redactDatabaseUrl(databaseUrl));
  try {
    const password = decodeURIComponent(new URL(databaseUrl).password);
    if (password.length > 0) out = out.split(password).join('***');
  } catch {
    // not a URL: nothing more to take out
  }
  return out;
}

const CONNECT_TIMEOUT_MS = 15_000;

/** A connected client; `fail` makes the error thrown when it cannot connect (its message names the URL, redacted). */
export async function connectDatabase(
  databaseUrl: string,
  fail: (message: string) => Error,
): Promise<pg.Client> {
  // A host that does not answer (an IPv6-only host from IPv4, a firewall) fails within this, not
  // after the system's TCP timeout.
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // A dropped connection rejects the query in flight; without a listener it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw fail(
      `could not connect to ${redactDatabaseUrl(databaseUrl)}: ${redactIn(errorMessage(error), databaseUrl)}`,
    );
  }
}
