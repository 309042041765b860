/**
 * An app's access rules and server logic as a Supabase project holds them, in a schema of its own
 * (`app_<suffix>`, so that concurrent test files' objects stay out of its comparison): posts with
 * row level security whose policies call `auth.uid()`, grants to `authenticated` only, an enum, a
 * domain, an index, a foreign key with a cascade and a check, an `updated_at` trigger and its
 * function, an RPC (`my_post_count`, SECURITY INVOKER, revoked from PUBLIC and anon), a
 * SECURITY DEFINER function with its search_path, a policy calling a SECURITY DEFINER helper in a
 * schema of its own (`app_<suffix>_private`), a `security_invoker` view, a materialized view,
 * and the posts in the supabase_realtime publication.
 */
import pg from 'pg';

export interface AppAccess {
  schema: string;
  posts: string;
  comments: string;
  /** The tables file's entries. */
  tables: Array<{ name: string; primaryKeys: string[] }>;
}

export function appAccess(suffix: string): AppAccess {
  const schema = `app_${suffix}`;
  return {
    schema,
    posts: `${schema}.posts`,
    comments: `${schema}.comments`,
    tables: [
      { name: `${schema}.posts`, primaryKeys: ['id'] },
      { name: `${schema}.comments`, primaryKeys: ['id'] },
    ],
  };
}

/** What a user creates on the target before a first sync: the schema, its types and bare tables. */
export function bareDdl(a: AppAccess): string {
  return `
CREATE SCHEMA ${a.schema};
CREATE TYPE ${a.schema}.post_status AS ENUM ('draft', 'published');
CREATE DOMAIN ${a.schema}.title AS text CHECK (length(VALUE) BETWEEN 1 AND 200);
CREATE TABLE ${a.posts} (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  author_id uuid NOT NULL,
  title ${a.schema}.title NOT NULL,
  status ${a.schema}.post_status NOT NULL DEFAULT 'draft',
  updated_at timestamptz NOT NULL DEFAULT now()
);`;
}

/** The whole app, on the source. */
export function appDdl(a: AppAccess): string {
  const s = a.schema;
  return `${bareDdl(a)}
GRANT USAGE ON SCHEMA ${s} TO anon, authenticated, service_role;
CREATE TABLE ${a.comments} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  post_id uuid NOT NULL REFERENCES ${a.posts} (id) ON DELETE CASCADE,
  author_id uuid NOT NULL DEFAULT auth.uid(),
  body text NOT NULL CONSTRAINT body_length CHECK (length(body) < 2000),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX posts_author_idx ON ${a.posts} (author_id, updated_at DESC);
CREATE INDEX comments_post_idx ON ${a.comments} (post_id);

ALTER TABLE ${a.posts} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${a.comments} ENABLE ROW LEVEL SECURITY;
CREATE POLICY "authors read their posts" ON ${a.posts} FOR SELECT TO authenticated
  USING (author_id = (SELECT auth.uid()) OR status = 'published');
CREATE POLICY "authors write their posts" ON ${a.posts} FOR INSERT TO authenticated
  WITH CHECK (author_id = (SELECT auth.uid()));
CREATE POLICY "authors edit their posts" ON ${a.posts} AS PERMISSIVE FOR UPDATE TO authenticated
  USING (author_id = (SELECT auth.uid())) WITH CHECK (author_id = (SELECT auth.uid()));
CREATE POLICY "no comments on drafts" ON ${a.comments} AS RESTRICTIVE FOR INSERT TO authenticated
  WITH CHECK (EXISTS (SELECT 1 FROM ${a.posts} p WHERE p.id = post_id AND p.status = 'published'));
CREATE POLICY "comments are public" ON ${a.comments} FOR SELECT TO anon, authenticated USING (true);
CREATE POLICY "comment as yourself" ON ${a.comments} FOR INSERT TO authenticated
  WITH CHECK (author_id = (SELECT auth.uid()));
-- A helper in a schema of its own, as Supabase's guides advise for SECURITY DEFINER functions.
CREATE SCHEMA ${s}_private;
GRANT USAGE ON SCHEMA ${s}_private TO authenticated;
CREATE FUNCTION ${s}_private.owns_post(p_post uuid) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM ${a.posts} WHERE id = p_post AND author_id = auth.uid())
$$;
REVOKE EXECUTE ON FUNCTION ${s}_private.owns_post(uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION ${s}_private.owns_post(uuid) TO authenticated;
CREATE POLICY "authors read comments on their posts" ON ${a.comments} FOR SELECT TO authenticated
  USING (${s}_private.owns_post(post_id));

GRANT SELECT, INSERT, UPDATE ON ${a.posts} TO authenticated;
GRANT SELECT ON ${a.comments} TO anon;
GRANT SELECT, INSERT ON ${a.comments} TO authenticated;
GRANT UPDATE (body) ON ${a.comments} TO authenticated;
GRANT ALL ON ${a.posts}, ${a.comments} TO service_role;

CREATE FUNCTION ${s}.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER posts_touch BEFORE UPDATE ON ${a.posts} FOR EACH ROW EXECUTE FUNCTION ${s}.touch_updated_at();
CREATE TRIGGER comments_touch BEFORE UPDATE ON ${a.comments} FOR EACH ROW EXECUTE FUNCTION ${s}.touch_updated_at();

CREATE FUNCTION ${s}.my_post_count() RETURNS bigint LANGUAGE sql STABLE SET search_path = '' AS $$
  SELECT count(*) FROM ${a.posts} WHERE author_id = auth.uid()
$$;
REVOKE EXECUTE ON FUNCTION ${s}.my_post_count() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION ${s}.my_post_count() TO authenticated;
CREATE FUNCTION ${s}.publish(p_post uuid) RETURNS ${s}.post_status
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  UPDATE ${a.posts} SET status = 'published' WHERE id = p_post AND author_id = auth.uid();
  RETURN (SELECT status FROM ${a.posts} WHERE id = p_post);
END $$;
REVOKE EXECUTE ON FUNCTION ${s}.publish(uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION ${s}.publish(uuid) TO authenticated;

CREATE VIEW ${s}.published_posts WITH (security_invoker = true) AS
  SELECT id, title, updated_at FROM ${a.posts} WHERE status = 'published';
GRANT SELECT ON ${s}.published_posts TO anon, authenticated;
CREATE MATERIALIZED VIEW ${s}.post_counts AS
  SELECT author_id, count(*) AS posts FROM ${a.posts} GROUP BY author_id;
CREATE UNIQUE INDEX post_counts_author ON ${s}.post_counts (author_id);
REVOKE ALL ON ${s}.post_counts FROM anon, authenticated;

ALTER PUBLICATION supabase_realtime ADD TABLE ${a.posts};`;
}

/** Runs SQL on one project's database (as `postgres`, not a superuser, as a user's SQL runs). */
export async function runSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
