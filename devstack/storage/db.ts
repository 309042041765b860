/**
 * Every database statement of a request runs in a transaction scoped as hosted Storage scopes it
 * (supabase/storage `src/internal/database/postgres/scope.ts`): the JWT's role (here always
 * `service_role`), `request.jwt.claims`, `request.method`/`request.path`, `storage.operation`
 * (e.g. `storage.object.upload`) and `storage.allow_delete_query = true`, all transaction-local.
 * So a trigger on storage.objects sees the same role and settings as on a hosted project.
 * The connection's own user only needs to be a member of service_role (superuser not required).
 */
import pg from 'pg';

export interface Scope {
  claims: Record<string, unknown>;
  method: string;
  path: string;
  operation: string;
}

export type Tx = pg.PoolClient;

export class StorageDb {
  constructor(readonly pool: pg.Pool) {}

  async transaction<T>(scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query(
        `SELECT set_config('role', 'service_role', true), set_config('request.jwt.claim.role', 'service_role', true),
                set_config('request.jwt.claim.sub', $1, true), set_config('request.jwt.claims', $2, true),
                set_config('request.method', $3, true), set_config('request.path', $4, true),
                set_config('storage.operation', $5, true), set_config('storage.allow_delete_query', 'true', true)`,
        [
          typeof scope.claims.sub === 'string' ? scope.claims.sub : '',
          JSON.stringify(scope.claims),
          scope.method,
          scope.path,
          scope.operation,
        ],
      );
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Runs `fn` and rolls it back: hosted Storage's `testPermission`, which surfaces RLS, FK and unique errors early. */
  async dryRun(scope: Scope, fn: (tx: Tx) => Promise<unknown>): Promise<void> {
    const rollback = new Error('dry run');
    try {
      await this.transaction(scope, async (tx) => {
        await fn(tx);
        throw rollback;
      });
    } catch (error) {
      if (error !== rollback) throw error;
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export interface ObjectRow {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  owner_id: string | null;
  version: string | null;
  metadata: Record<string, unknown> | null;
  user_metadata: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  last_accessed_at: Date;
}

export interface BucketRow {
  id: string;
  name: string;
  owner: string | null;
  owner_id: string | null;
  public: boolean;
  type: string;
  file_size_limit: string | null;
  allowed_mime_types: string[] | null;
  created_at: Date;
  updated_at: Date;
}

export async function findBucket(tx: Tx, id: string): Promise<BucketRow | undefined> {
  const result = await tx.query<BucketRow>('SELECT * FROM storage.buckets WHERE id = $1', [id]);
  return result.rows[0];
}

export async function findObject(tx: Tx, bucket: string, name: string, forUpdate = false) {
  const result = await tx.query<ObjectRow>(
    `SELECT * FROM storage.objects WHERE bucket_id = $1 AND name = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [bucket, name],
  );
  return result.rows[0];
}

/** The object row write of every upload path: hosted Storage's `upsertObject` (INSERT … ON CONFLICT DO UPDATE). */
export async function upsertObject(
  tx: Tx,
  row: {
    bucket: string;
    name: string;
    owner?: string;
    metadata: unknown;
    /** undefined: NULL on insert, unchanged on update (TUS uploads without metadata). */
    userMetadata: Record<string, unknown> | undefined;
    version: string;
  },
): Promise<ObjectRow> {
  const owner = row.owner && isUuid(row.owner) ? row.owner : null;
  const result = await tx.query<ObjectRow>(
    `INSERT INTO storage.objects (name, owner, owner_id, bucket_id, metadata, user_metadata, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (name, bucket_id) DO UPDATE SET metadata = EXCLUDED.metadata, version = EXCLUDED.version${
       row.userMetadata === undefined ? '' : ', user_metadata = EXCLUDED.user_metadata'
     }${owner ? ', owner = EXCLUDED.owner' : ''}${row.owner ? ', owner_id = EXCLUDED.owner_id' : ''}
     RETURNING *`,
    [row.name, owner, row.owner ?? null, row.bucket, row.metadata, row.userMetadata ?? null, row.version],
  );
  return result.rows[0]!;
}

/** Serialises writers of one object name for the rest of the transaction (hosted: `waitObjectLock`). */
export async function lockObjectName(tx: Tx, bucket: string, name: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${bucket}/${name}`]);
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-5][0-9a-f]{3}-[089ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(value);
}
