-- supabase-sync: sequences. A row copied with its id does not move the target's sequence, so the
-- first insert with a default id on a promoted backup would collide with a synced row. The sync
-- reads, on the source, the sequences behind a table's columns (serial, identity, a default that
-- calls nextval) and those the tables file names, and moves the target's forward to at least the
-- source's position (never backward), on every pass and after the first copy; `failover promote`
-- adds a margin. Only names and numbers pass through these functions.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- The sequence an entry names: {"schema", "name"} and, for a sequence behind a column,
-- {"table": {"schema", "table", "column"}}: the sequence behind the same column on this project
-- (its name may differ from the other project's), else the one named. Null when there is none.
CREATE OR REPLACE FUNCTION public.sync_resolve_sequence(p_entry jsonb) RETURNS regclass
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  t jsonb := p_entry -> 'table';
  found text;
  seq oid;
BEGIN
  IF t IS NOT NULL AND t ->> 'schema' IS NOT NULL AND t ->> 'table' IS NOT NULL AND t ->> 'column' IS NOT NULL
     AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = t ->> 'schema' AND c.relname = t ->> 'table') THEN
    found := pg_catalog.pg_get_serial_sequence(format('%I.%I', t ->> 'schema', t ->> 'table'), t ->> 'column');
    IF found IS NOT NULL THEN RETURN found::regclass; END IF;
  END IF;
  SELECT c.oid INTO seq FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = p_entry ->> 'schema' AND c.relname = p_entry ->> 'name' AND c.relkind = 'S';
  RETURN seq::regclass;
END $$;

-- The value the next nextval() of a sequence returns (numeric: the last value plus the increment
-- may pass the bigint range).
CREATE OR REPLACE FUNCTION public.sync_sequence_next(p_seq regclass) RETURNS numeric
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  last_value bigint;
  called boolean;
  inc bigint;
BEGIN
  EXECUTE format('SELECT last_value, is_called FROM %s', p_seq) INTO last_value, called;
  SELECT s.seqincrement INTO inc FROM pg_catalog.pg_sequence s WHERE s.seqrelid = p_seq;
  RETURN CASE WHEN called THEN last_value::numeric + inc ELSE last_value::numeric END;
END $$;

-- The sequences of one table (behind its columns) and the named ones (p_sequences: [{"schema",
-- "name"}]), each with where it is: [{"schema", "name", "table": {"schema", "table", "column"} | absent,
-- "next": "<the value nextval() returns next>" | null (no such sequence), "increment": "<n>"}].
CREATE OR REPLACE FUNCTION public.sync_read_sequences(p_schema text, p_table text, p_sequences jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid;
  out jsonb := '[]';
  r record;
  e jsonb;
  seq regclass;
BEGIN
  IF p_sequences IS NOT NULL AND (jsonb_typeof(p_sequences) <> 'array' OR jsonb_array_length(p_sequences) > 1000) THEN
    RAISE EXCEPTION 'p_sequences must be a JSON array of at most 1000 sequences' USING ERRCODE = '22023';
  END IF;
  SELECT c.oid INTO rel FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = p_schema AND c.relname = p_table;
  IF rel IS NOT NULL THEN
    FOR r IN
      WITH behind AS (
        -- serial (deptype 'a') and identity (deptype 'i') sequences are owned by their column
        SELECT d.objid AS seq, d.refobjsubid AS attnum FROM pg_catalog.pg_depend d
         WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = rel
           AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
        UNION
        -- a column default that calls nextval() of a sequence it does not own
        SELECT d.refobjid, ad.adnum FROM pg_catalog.pg_attrdef ad
          JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid
                                     AND d.refclassid = 'pg_catalog.pg_class'::regclass
         WHERE ad.adrelid = rel
      )
      SELECT DISTINCT ON (s.oid) s.oid, sn.nspname, s.relname, a.attname
        FROM behind b
        JOIN pg_catalog.pg_class s ON s.oid = b.seq AND s.relkind = 'S'
        JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = rel AND a.attnum = b.attnum
       ORDER BY s.oid, a.attnum
    LOOP
      out := out || jsonb_build_array(jsonb_build_object(
        'schema', r.nspname, 'name', r.relname,
        'table', jsonb_build_object('schema', p_schema, 'table', p_table, 'column', r.attname),
        'next', public.sync_sequence_next(r.oid::regclass)::text,
        'increment', (SELECT s.seqincrement::text FROM pg_catalog.pg_sequence s WHERE s.seqrelid = r.oid)));
    END LOOP;
  END IF;
  FOR e IN SELECT value FROM jsonb_array_elements(coalesce(p_sequences, '[]')) LOOP
    seq := public.sync_resolve_sequence(e);
    out := out || jsonb_build_array(jsonb_build_object(
      'schema', e ->> 'schema', 'name', e ->> 'name',
      'next', CASE WHEN seq IS NULL THEN NULL ELSE public.sync_sequence_next(seq)::text END,
      'increment', (SELECT s.seqincrement::text FROM pg_catalog.pg_sequence s WHERE s.seqrelid = seq)));
  END LOOP;
  RETURN out;
END $$;

-- The positions of sequences given as sync_read_sequences returns them (on the other project):
-- the same entries, "next" being this project's (null: it has no such sequence).
CREATE OR REPLACE FUNCTION public.sync_sequence_positions(p_sequences jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  e jsonb;
  seq regclass;
  out jsonb := '[]';
BEGIN
  IF jsonb_typeof(p_sequences) IS DISTINCT FROM 'array' OR jsonb_array_length(p_sequences) > 1000 THEN
    RAISE EXCEPTION 'p_sequences must be a JSON array of at most 1000 sequences' USING ERRCODE = '22023';
  END IF;
  FOR e IN SELECT value FROM jsonb_array_elements(p_sequences) LOOP
    seq := public.sync_resolve_sequence(e);
    out := out || jsonb_build_array(e || jsonb_build_object(
      'next', CASE WHEN seq IS NULL THEN NULL ELSE public.sync_sequence_next(seq)::text END));
  END LOOP;
  RETURN out;
END $$;

-- Moves this project's sequences forward so that the next nextval() of each returns at least the
-- source's next value plus p_margin (in the direction of the increment), never backward:
-- p_sequences as sync_read_sequences returns them from the source. Result, in order:
-- [{"schema", "name", "before": "<next>" | null (missing here), "after": "<next>", "advanced": bool}].
CREATE OR REPLACE FUNCTION public.sync_advance_sequences(p_sequences jsonb, p_margin bigint DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  e jsonb;
  seq regclass;
  inc bigint;
  lo bigint;
  hi bigint;
  before numeric;
  wanted numeric;
  out jsonb := '[]';
BEGIN
  IF jsonb_typeof(p_sequences) IS DISTINCT FROM 'array' OR jsonb_array_length(p_sequences) > 1000 THEN
    RAISE EXCEPTION 'p_sequences must be a JSON array of at most 1000 sequences' USING ERRCODE = '22023';
  END IF;
  IF p_margin IS NULL OR p_margin < 0 THEN
    RAISE EXCEPTION 'p_margin must be 0 or more (got %)', p_margin USING ERRCODE = '22023';
  END IF;
  FOR e IN SELECT value FROM jsonb_array_elements(p_sequences) LOOP
    seq := public.sync_resolve_sequence(e);
    IF seq IS NULL OR e ->> 'next' IS NULL THEN
      out := out || jsonb_build_array(jsonb_build_object('schema', e ->> 'schema', 'name', e ->> 'name',
        'before', CASE WHEN seq IS NULL THEN NULL ELSE public.sync_sequence_next(seq)::text END,
        'after', CASE WHEN seq IS NULL THEN NULL ELSE public.sync_sequence_next(seq)::text END, 'advanced', false));
      CONTINUE;
    END IF;
    SELECT s.seqincrement, s.seqmin, s.seqmax INTO inc, lo, hi FROM pg_catalog.pg_sequence s WHERE s.seqrelid = seq;
    before := public.sync_sequence_next(seq);
    wanted := CASE WHEN inc > 0 THEN (e ->> 'next')::numeric + p_margin ELSE (e ->> 'next')::numeric - p_margin END;
    wanted := greatest(lo::numeric, least(hi::numeric, wanted));
    IF (inc > 0 AND before < wanted) OR (inc < 0 AND before > wanted) THEN
      PERFORM pg_catalog.setval(seq, wanted::bigint, false);
    END IF;
    out := out || jsonb_build_array(jsonb_build_object('schema', e ->> 'schema', 'name', e ->> 'name',
      'before', before::text, 'after', public.sync_sequence_next(seq)::text,
      'advanced', (inc > 0 AND before < wanted) OR (inc < 0 AND before > wanted)));
  END LOOP;
  RETURN out;
END $$;

-- The version of the supabase-sync functions (see 20261202120300_sync_ledger_v2.sql).
CREATE OR REPLACE FUNCTION public.sync_functions_version() RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$ SELECT 20261202141400::bigint $$;

REVOKE ALL ON FUNCTION public.sync_resolve_sequence(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_sequence_next(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_read_sequences(text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_sequence_positions(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_advance_sequences(jsonb, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_functions_version() FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_resolve_sequence(jsonb), '
                     'public.sync_sequence_next(regclass), public.sync_read_sequences(text, text, jsonb), '
                     'public.sync_sequence_positions(jsonb), public.sync_advance_sequences(jsonb, bigint), '
                     'public.sync_functions_version() FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_read_sequences(text, text, jsonb),
      public.sync_sequence_positions(jsonb), public.sync_advance_sequences(jsonb, bigint),
      public.sync_functions_version() TO service_role;
  END IF;
END $$;
