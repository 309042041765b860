/**
 * Where a page of the initial copy spends its time, on the copy's own path: the read
 * (`sync_read_rows` through the local API) vs the same SQL directly, number protection and
 * JSON.parse in the worker (and the JSON.stringify it no longer does: the page's text is passed on),
 * the write through the API (`sync_apply_upserts`, body built from the page's text) vs the same
 * function called directly, the API's CPU per request and the target's Postgres CPU per write.
 */
import { performance } from 'node:perf_hooks';
import { protectImpreciseNumbers } from '../src/supabase/lossless-json.js';
import { q, round } from './lib.js';

export interface ProfileRow {
  batchSize: number;
  readApiMs: number;
  readSqlMs: number;
  parseMs: number;
  protectMs: number;
  stringifyMs: number;
  writeApiMs: number;
  writeSqlMs: number;
  responseKb: number;
  apiCpuMsPerRequest: number;
  targetPgCpuMsPerWrite: number;
}

interface Project {
  url: string;
  serviceRoleKey: string;
  databaseUrl: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return round(s[Math.floor(s.length / 2)] ?? 0, 2);
};

export async function profileCopy(
  stack: { source: Project; target: Project },
  sourceTable: string,
  batchSizes: number[],
  cpu: () => { api: number; sourcePg: number; targetPg: number },
): Promise<ProfileRow[]> {
  const rows: ProfileRow[] = [];
  const headers = (p: Project) => ({
    apikey: p.serviceRoleKey,
    authorization: `Bearer ${p.serviceRoleKey}`,
    'content-type': 'application/json',
  });
  const scratch = 'bench_profile_target';
  await q(
    stack.target.databaseUrl,
    `CREATE TABLE IF NOT EXISTS public.${scratch} (id bigint PRIMARY KEY, v int NOT NULL DEFAULT 0, payload text NOT NULL, updated_at timestamptz NOT NULL)`,
  );
  for (const b of batchSizes) {
    const reps = Math.max(3, Math.min(10, Math.floor(30_000 / b)));
    const readApi: number[] = [];
    const readSql: number[] = [];
    const parse: number[] = [];
    const protect: number[] = [];
    const stringify: number[] = [];
    const writeApi: number[] = [];
    const writeSql: number[] = [];
    let bytes = 0;
    let apiCpu = 0;
    let pgCpu = 0;
    for (let i = 0; i < reps; i++) {
      const after = i * b;
      const c0 = cpu();
      // The read the copy makes: sync_read_rows through the API, one page in key order.
      let t = performance.now();
      const res = await fetch(`${stack.source.url}/rest/v1/rpc/sync_read_rows`, {
        method: 'POST',
        headers: headers(stack.source),
        body: JSON.stringify({
          p_schema: 'public',
          p_table: sourceTable,
          p_order: ['id'],
          p_after: [String(after)],
          p_from: null,
          p_limit: b,
        }),
      });
      const text = await res.text();
      readApi.push(performance.now() - t);
      bytes = text.length;
      t = performance.now();
      const protectedText = protectImpreciseNumbers(text);
      protect.push(performance.now() - t);
      t = performance.now();
      const page = JSON.parse(protectedText) as Array<Record<string, unknown>>;
      parse.push(performance.now() - t);
      t = performance.now();
      await q(
        stack.source.databaseUrl,
        `SELECT coalesce(json_agg(t), '[]')::text AS j FROM (SELECT * FROM public.${sourceTable} WHERE id > $1 ORDER BY id LIMIT $2) t`,
        [after, b],
      );
      readSql.push(performance.now() - t);
      // What the worker no longer does: serialise the page again for the write (it sends the text it read).
      t = performance.now();
      JSON.stringify(page);
      stringify.push(performance.now() - t);
      // The write the copy makes (the page's text passed through), then the same function called
      // directly; the scratch table is emptied before each, so both insert the same rows.
      const call = {
        p_schema: 'public',
        p_table: scratch,
        p_primary_keys: ['id'],
        p_version_column: 'updated_at',
      };
      const body = `${JSON.stringify(call).slice(0, -1)},"p_rows":${protectedText}}`;
      await q(stack.target.databaseUrl, `TRUNCATE public.${scratch}`);
      const cw = cpu();
      t = performance.now();
      const w = await fetch(`${stack.target.url}/rest/v1/rpc/sync_apply_upserts`, {
        method: 'POST',
        headers: headers(stack.target),
        body,
      });
      await w.text();
      writeApi.push(performance.now() - t);
      const cw1 = cpu();
      pgCpu += cw1.targetPg - cw.targetPg;
      apiCpu += cw1.api - c0.api;
      await q(stack.target.databaseUrl, `TRUNCATE public.${scratch}`);
      t = performance.now();
      await q(stack.target.databaseUrl, `SELECT public.sync_apply_upserts($1, $2, $3, $4, $5::json)`, [
        call.p_schema,
        call.p_table,
        call.p_primary_keys,
        call.p_version_column,
        protectedText,
      ]);
      writeSql.push(performance.now() - t);
    }
    await q(stack.target.databaseUrl, `TRUNCATE public.${scratch}`);
    rows.push({
      batchSize: b,
      readApiMs: median(readApi),
      readSqlMs: median(readSql),
      parseMs: median(parse),
      protectMs: median(protect),
      stringifyMs: median(stringify),
      writeApiMs: median(writeApi),
      writeSqlMs: median(writeSql),
      responseKb: Math.round(bytes / 1024),
      // The API's CPU for one read + one write request (it runs in the stack process alone).
      apiCpuMsPerRequest: round((apiCpu / reps / 2) * 1000, 1),
      targetPgCpuMsPerWrite: round((pgCpu / reps) * 1000, 1),
    });
  }
  return rows;
}
