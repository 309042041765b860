-- Each pending ledger entry says how long ago it happened by the database's own clock (`age_ms`),
-- so that the worker's windows (a TRUNCATE's 30-second settle) never depend on the worker host's
-- clock. Same functions, same signatures and grants; one more field in each entry. The ledger's
-- ids start at 1, so the pending entries are those after id 0.
CREATE OR REPLACE FUNCTION public.sync_pending_deletions_after(p_schema text, p_table text, p_after_id bigint, p_limit integer)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id::text, 'primary_key', d.primary_key,
                                               'deleted_at', d.deleted_at, 'kind', d.kind,
                                               'age_ms', floor(extract(epoch FROM clock_timestamp() - d.deleted_at) * 1000)::bigint)
                            ORDER BY d.id), '[]')
    FROM (SELECT * FROM public.sync_deletions
           WHERE schema_name = p_schema AND table_name = p_table AND processed_at IS NULL AND id > coalesce(p_after_id, 0)
           ORDER BY id LIMIT greatest(1, least(p_limit, 10000))) AS d
$$;

CREATE OR REPLACE FUNCTION public.sync_pending_deletions(p_schema text, p_table text, p_limit integer)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' AS $$
  SELECT public.sync_pending_deletions_after(p_schema, p_table, 0, p_limit)
$$;
