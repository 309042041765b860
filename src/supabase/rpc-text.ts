/**
 * Calls to the migrations' functions with the JSON as text both ways, for the copy's hot path: a
 * page of rows is read as the API's text (kept to pass on to the target unchanged) and written from
 * that text, without supabase-js serialising the rows again. The same request supabase-js makes
 * (POST /rest/v1/rpc/<fn>, the service role key, the `public` profile, the same deadline) and the
 * same errors (api-errors.ts).
 */
import { apiError, type ApiError, type FailedCall } from './api-errors.js';
import { REQUEST_TIMEOUT_MS, type ProjectConnection } from './client.js';

type Call = Omit<FailedCall, 'error' | 'status'>;

/** A network failure as postgrest-js words it (status 0), so apiError says the same. */
function networkError(error: unknown): ApiError {
  const e = error as {
    name?: string;
    message?: string;
    cause?: { name?: string; message?: string; code?: string };
  };
  const name = e?.name ?? 'FetchError';
  let details = `${name}: ${e?.message ?? String(error)}`;
  if (e?.cause) {
    details += `\n\nCaused by: ${e.cause.name ?? 'Error'}: ${e.cause.message ?? ''}`;
    if (e.cause.code) details += ` (${e.cause.code})`;
  }
  return { message: `${name}: ${e?.message ?? String(error)}`, details, hint: '', code: '' };
}

/** POSTs `body` (JSON text) to the function `fn`; its answer as text, or the call's SyncError. */
export async function rpcText(
  project: ProjectConnection,
  fn: string,
  body: string,
  call: Call,
): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${project.url.replace(/\/$/, '')}/rest/v1/rpc/${fn}`, {
      method: 'POST',
      headers: {
        apikey: project.serviceRoleKey,
        authorization: `Bearer ${project.serviceRoleKey}`,
        'content-type': 'application/json',
        'content-profile': 'public',
      },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw apiError(project, { ...call, error: networkError(error), status: 0 });
  }
  const text = await response.text();
  if (response.ok) return text;
  let error: ApiError;
  try {
    error = JSON.parse(text) as ApiError;
  } catch {
    error = { message: text };
  }
  throw apiError(project, { ...call, error, status: response.status });
}
