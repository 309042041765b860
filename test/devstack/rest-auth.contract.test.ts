/**
 * Contract: signed-in users, the anon key and RLS through the local PostgREST stand-in, as Kong +
 * PostgREST serve them on hosted projects, seen through the unmodified supabase-js client: the
 * request runs as the JWT's role with its claims in `request.jwt.claims`, so `auth.uid()` policies,
 * grants and EXECUTE privileges apply; PostgREST's errors for bad tokens and roles.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { newJwtSecret, signJwt, userAccessToken, type UserTokenOptions } from '../../devstack/keys.js';
import { closeDatabases, db, uniqueName } from '../support/db.js';
import { testStack } from '../support/stack-env.js';

type RpcResult = { data: unknown; error: unknown };

const project = testStack().source;
const sql = () => db(project.databaseUrl);
const alice = { sub: randomUUID(), email: 'alice@example.com' };
const bob = { sub: randomUUID(), email: 'bob@example.com' };
const tokenOf = (user: UserTokenOptions) => userAccessToken(project.jwtSecret, user);

/** supabase-js as an app uses it: the anon key, and a signed-in user's access token when given. */
function client(key: string, accessToken?: string): SupabaseClient {
  return createClient<Record<string, never>>(project.url, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
    ...(accessToken === undefined ? {} : { accessToken: () => Promise.resolve(accessToken) }),
  });
}
const anon = client(project.anonKey);
const asAlice = client(project.anonKey, tokenOf(alice));
const service = client(project.serviceRoleKey);

/** A raw request, for the response headers and tokens supabase-js would not send. */
async function get(path: string, headers: Record<string, string>) {
  const res = await fetch(`${project.url}/rest/v1/${path}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const notes = uniqueName('auth_notes');
const whoami = uniqueName('auth_whoami');
const members = uniqueName('auth_members_only');

before(async () => {
  // As an app's migration: RLS on, policies on auth.uid(), grants to authenticated only.
  await sql().query(`
    CREATE TABLE public.${notes} (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      owner uuid NOT NULL DEFAULT auth.uid(),
      body text NOT NULL);
    ALTER TABLE public.${notes} ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_select ON public.${notes} FOR SELECT TO authenticated USING (owner = auth.uid());
    CREATE POLICY own_insert ON public.${notes} FOR INSERT TO authenticated WITH CHECK (owner = auth.uid());
    CREATE POLICY own_update ON public.${notes} FOR UPDATE TO authenticated USING (owner = auth.uid());
    GRANT SELECT, INSERT, UPDATE, DELETE ON public.${notes} TO authenticated;
    GRANT SELECT ON public.${notes} TO service_role;
    INSERT INTO public.${notes} (owner, body) VALUES
      ('${alice.sub}', 'alice 1'), ('${alice.sub}', 'alice 2'), ('${bob.sub}', 'bob 1');

    CREATE FUNCTION public.${whoami}() RETURNS jsonb LANGUAGE sql STABLE AS $$
      SELECT jsonb_build_object(
        'uid', auth.uid(), 'role', auth.role(), 'email', auth.email(), 'aud', auth.jwt() ->> 'aud',
        'current_user', current_user, 'statement_timeout', current_setting('statement_timeout'),
        'method', current_setting('request.method'), 'path', current_setting('request.path'),
        'client_info', current_setting('request.headers')::jsonb ->> 'x-client-info',
        'search_path', current_setting('search_path')) $$;
    CREATE FUNCTION public.${members}() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'members only' $$;
    REVOKE EXECUTE ON FUNCTION public.${members}() FROM PUBLIC, anon;
    GRANT EXECUTE ON FUNCTION public.${members}() TO authenticated;
    NOTIFY pgrst, 'reload schema';`);
});

after(closeDatabases);

describe('a signed-in user (the anon key and an access token)', () => {
  test('sees only its own rows: the policies on auth.uid() apply', async () => {
    const { data, error, status } = await asAlice.from(notes).select('body, owner').order('id');
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(status, 200);
    assert.deepEqual(data, [
      { body: 'alice 1', owner: alice.sub },
      { body: 'alice 2', owner: alice.sub },
    ]);
  });

  test('inserts a row of its own (owner defaults to auth.uid()) and cannot insert one for another user', async () => {
    const own = await asAlice.from(notes).insert({ body: 'alice 3' }).select('body, owner').single();
    assert.equal(own.error, null, JSON.stringify(own.error));
    assert.equal(own.status, 201);
    assert.deepEqual(own.data, { body: 'alice 3', owner: alice.sub });

    const foreign = await asAlice.from(notes).insert({ body: 'forged', owner: bob.sub });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.error?.code, '42501');
    assert.equal(foreign.error?.message, `new row violates row-level security policy for table "${notes}"`);
    const { rows } = await sql().query(`SELECT 1 FROM public.${notes} WHERE body = 'forged'`);
    assert.equal(rows.length, 0);
  });

  test("updates of another user's rows touch nothing", async () => {
    const res = await asAlice.from(notes).update({ body: 'hijacked' }).eq('owner', bob.sub).select('id');
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.deepEqual(res.data, []);
    const { rows } = await sql().query(`SELECT body FROM public.${notes} WHERE owner = $1`, [bob.sub]);
    assert.deepEqual(rows, [{ body: 'bob 1' }]);
  });

  test("an RPC runs as the user: auth.uid(), auth.role(), auth.email(), auth.jwt() and PostgREST's settings", async () => {
    const { data, error } = (await asAlice.rpc(whoami)) as RpcResult;
    assert.equal(error, null, JSON.stringify(error));
    const info = data as Record<string, unknown>;
    assert.equal(info.uid, alice.sub);
    assert.equal(info.role, 'authenticated');
    assert.equal(info.email, alice.email);
    assert.equal(info.aud, 'authenticated');
    assert.equal(info.current_user, 'authenticated');
    assert.equal(info.statement_timeout, '8s', "authenticated's role setting, as PostgREST applies it");
    assert.equal(info.method, 'POST');
    assert.equal(info.path, `/rpc/${whoami}`);
    assert.match(String(info.client_info), /^supabase-js/);
    assert.equal(info.search_path, '"public", "public", "extensions"');
  });

  test('a function granted to authenticated runs; anon is refused it with 401 42501', async () => {
    const member = await asAlice.rpc(members);
    assert.equal(member.error, null, JSON.stringify(member.error));
    assert.equal(member.data, 'members only');
    const refused = await anon.rpc(members);
    assert.equal(refused.status, 401);
    assert.equal(refused.error?.code, '42501');
    assert.equal(refused.error?.message, `permission denied for function ${members}`);
  });
});

describe('the anon key alone', () => {
  test('a table granted to authenticated only: 401 42501 with WWW-Authenticate: Bearer', async () => {
    const res = await anon.from(notes).select('id');
    assert.equal(res.status, 401);
    assert.equal(res.error?.code, '42501');
    assert.equal(res.error?.message, `permission denied for table ${notes}`);
    const raw = await get(`${notes}?select=id`, { apikey: project.anonKey });
    assert.equal(raw.status, 401);
    assert.equal(raw.headers.get('www-authenticate'), 'Bearer');
  });

  test('runs as anon with no uid, and with anon role settings', async () => {
    const { data, error } = (await anon.rpc(whoami)) as RpcResult;
    assert.equal(error, null, JSON.stringify(error));
    const info = data as Record<string, unknown>;
    assert.deepEqual([info.uid, info.role, info.current_user], [null, 'anon', 'anon']);
    assert.equal(info.statement_timeout, '3s');
  });

  test('an Authorization header that is not a bearer token leaves the request anonymous', async () => {
    const res = await get(`rpc/${whoami}`, {
      apikey: project.serviceRoleKey,
      authorization: 'Basic Zm9vOmJhcg==',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.current_user, 'anon');
  });
});

describe('service_role', () => {
  test('still bypasses RLS on what it is granted', async () => {
    const { data, error } = await service.from(notes).select('body').like('body', '% 1').order('body');
    assert.equal(error, null, JSON.stringify(error));
    assert.deepEqual(data, [{ body: 'alice 1' }, { body: 'bob 1' }]);
  });
});

describe('tokens PostgREST refuses, with its codes and statuses', () => {
  test('expired (beyond the 30 s of clock skew): 401 PGRST303 "JWT expired"', async () => {
    const expired = client(project.anonKey, tokenOf({ ...alice, expiresInSeconds: -60 }));
    const res = await expired.from(notes).select('id');
    assert.equal(res.status, 401);
    assert.equal(res.error?.code, 'PGRST303');
    assert.equal(res.error?.message, 'JWT expired');
    const raw = await get(`${notes}?select=id`, {
      apikey: project.anonKey,
      authorization: `Bearer ${tokenOf({ ...alice, expiresInSeconds: -60 })}`,
    });
    assert.equal(
      raw.headers.get('www-authenticate'),
      'Bearer error="invalid_token", error_description="JWT expired"',
    );
    // Within the skew PostgREST still takes it.
    const late = await client(project.anonKey, tokenOf({ ...alice, expiresInSeconds: -10 }))
      .from(notes)
      .select('id');
    assert.equal(late.error, null, JSON.stringify(late.error));
  });

  test('signed with another secret: 401 PGRST301', async () => {
    const forged = userAccessToken(newJwtSecret(), alice);
    const res = await client(project.anonKey, forged).from(notes).select('id');
    assert.equal(res.status, 401);
    assert.equal(res.error?.code, 'PGRST301');
    assert.equal(res.error?.message, 'No suitable key or wrong key type');
    assert.equal(res.error?.details, 'None of the keys was able to decode the JWT');
  });

  test('a role that does not exist: 401 22023; one authenticator may not become: 403 42501', async () => {
    const unknown = await client(project.anonKey, tokenOf({ ...alice, role: 'nobody_here' })).rpc(whoami);
    assert.equal(unknown.status, 401);
    assert.equal(unknown.error?.code, '22023');
    assert.equal(unknown.error?.message, 'role "nobody_here" does not exist');
    const admin = await client(project.anonKey, tokenOf({ ...alice, role: 'postgres' })).rpc(whoami);
    assert.equal(admin.status, 403);
    assert.equal(admin.error?.code, '42501');
    assert.equal(admin.error?.message, 'permission denied to set role "postgres"');
  });

  test('a user token is no API key: the gateway refuses it with 401 "Invalid API key"', async () => {
    const res = await client(tokenOf(alice)).from(notes).select('id');
    assert.equal(res.status, 401);
    assert.equal(res.error?.message, 'Invalid API key');
    const other = signJwt({ role: 'anon' }, newJwtSecret());
    assert.equal((await get(`${notes}?select=id`, { apikey: other })).status, 401);
  });
});
