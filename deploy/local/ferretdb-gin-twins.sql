-- GIN twins for FerretDB v1.24's indexes (PostgreSQL backend). Installed by deploy/local/infra
-- as the superuser in FerretDB's database (event triggers need a superuser); see NOTES.md.
--
-- Why: FerretDB creates every MongoDB index as a btree on expressions `(_jsonb -> 'field')`, but
-- pushes a top-level equality filter down as `_jsonb -> 'field' @> '<value>'` (find, count,
-- delete, the query part of update/findAndModify). A btree cannot serve `@>`; a GIN index with
-- `jsonb_path_ops` on the same expression can. So for each btree FerretDB creates, this adds a
-- GIN index on each of its top-level key expressions (the "twins"). The btrees stay: they
-- enforce `unique` and serve FerretDB's own `WHERE _jsonb -> '_id' = $1` (update/delete by _id).
--
-- What counts as FerretDB's (internal/backends/postgresql/metadata/registry.go, v1.24.2):
-- * a MongoDB database is a schema holding the table `_ferretdb_database_metadata`;
-- * a collection is a table `<name>_<fnv32 hex>` with the one column `_jsonb jsonb`;
-- * an index is `CREATE [UNIQUE] INDEX "<table part>_<index part>_<fnv32 hex>_idx"` (btree) on
--   `((_jsonb -> 'f'))` or, for a dotted key, `((_jsonb -> 'a' -> 'b'))`, maybe `DESC`; the
--   `_id_` index of every collection is made the same way, so it gets a twin too.
-- * the metadata table's own indexes (`_ferretdb_database_metadata_*_idx`) are left alone.
-- Twins are named `<FerretDB index name without _idx>_g<n>`; they never end in `_idx`, so they
-- can neither be mistaken for FerretDB's (no recursion) nor collide with a name FerretDB picks
-- later. Dotted keys get no twin: FerretDB does not push dotted paths down (unless started with
-- --test-enable-nested-pushdown, and then as `#>`, which an index on `-> 'a' -> 'b'` cannot
-- serve either). A key expression that already has a GIN twin on the table (a compound index
-- {a, b} next to {a}) is not indexed twice.
-- `fastupdate = off`: with GIN's default pending list, fresh entries (all of them, in a test
-- database that was just filled) are scanned linearly by every lookup until a vacuum merges
-- them: 1.4 ms instead of 0.02 ms per lookup at 20k rows; inserts were not slower without it.

SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS _lienthong_infra;
REVOKE ALL ON SCHEMA _lienthong_infra FROM PUBLIC;

-- Ensures every top-level key expression of FerretDB's btrees on table `tbl` has a GIN twin.
-- The functions run as their owner, the superuser (SECURITY DEFINER): FerretDB's role has no
-- access to this schema, and cannot alter or drop what is in it.
CREATE OR REPLACE FUNCTION _lienthong_infra.ensure_gin_twins(tbl oid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  ix record;
  expr text;
  n int;
BEGIN
  FOR ix IN
    SELECT i.indexrelid, i.indnkeyatts, ic.relname AS iname, t.relname AS tname, ns.nspname
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_am am ON am.oid = ic.relam
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace ns ON ns.oid = t.relnamespace
     WHERE i.indrelid = tbl
       AND am.amname = 'btree'
       AND ic.relname ~ '_[0-9a-f]{8}_idx$'
       AND t.relname <> '_ferretdb_database_metadata'
       AND EXISTS (SELECT 1 FROM pg_class m
                    WHERE m.relnamespace = t.relnamespace AND m.relname = '_ferretdb_database_metadata')
     ORDER BY ic.oid
  LOOP
    FOR n IN 1 .. ix.indnkeyatts LOOP
      expr := pg_get_indexdef(ix.indexrelid, n, false);   -- ((_jsonb -> 'f'::text)), no DESC
      CONTINUE WHEN expr !~ $re$^\(\(_jsonb -> '([^']|'')*'::text\)\)$$re$;  -- top-level keys only
      CONTINUE WHEN EXISTS (
        SELECT 1 FROM pg_index g
          JOIN pg_class gc ON gc.oid = g.indexrelid
          JOIN pg_am gam ON gam.oid = gc.relam
         WHERE g.indrelid = tbl AND gam.amname = 'gin' AND g.indnkeyatts = 1
           AND pg_get_indexdef(g.indexrelid, 1, false) = expr);
      EXECUTE format('CREATE INDEX %I ON %I.%I USING gin (%s jsonb_path_ops) WITH (fastupdate = off)',
                     regexp_replace(ix.iname, '_idx$', '_g' || n), ix.nspname, ix.tname, expr);
    END LOOP;
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION _lienthong_infra.on_create_index() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  tbl oid;
BEGIN
  FOR tbl IN
    SELECT DISTINCT i.indrelid
      FROM pg_event_trigger_ddl_commands() c
      JOIN pg_index i ON i.indexrelid = c.objid
      JOIN pg_class ic ON ic.oid = c.objid
     WHERE c.command_tag = 'CREATE INDEX' AND c.object_type = 'index'
       AND ic.relname ~ '_[0-9a-f]{8}_idx$'                      -- FerretDB's, not a twin
  LOOP
    PERFORM _lienthong_infra.ensure_gin_twins(tbl);
  END LOOP;
END
$fn$;

-- FerretDB drops an index (dropIndexes): drop the twins named after it, then re-ensure the
-- table's other indexes still have theirs (a twin may have served two btrees).
CREATE OR REPLACE FUNCTION _lienthong_infra.on_drop_index() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  d record;
  twin record;
  tbl oid;
BEGIN
  FOR d IN
    SELECT schema_name, object_name FROM pg_event_trigger_dropped_objects()
     WHERE original AND object_type = 'index' AND object_name ~ '_[0-9a-f]{8}_idx$'
  LOOP
    tbl := NULL;
    FOR twin IN
      SELECT gc.relname, g.indrelid
        FROM pg_class gc
        JOIN pg_index g ON g.indexrelid = gc.oid
        JOIN pg_namespace ns ON ns.oid = gc.relnamespace
       WHERE ns.nspname = d.schema_name
         AND gc.relname ~ '_g[0-9]+$'
         AND regexp_replace(gc.relname, '_g[0-9]+$', '') = regexp_replace(d.object_name, '_idx$', '')
    LOOP
      EXECUTE format('DROP INDEX %I.%I', d.schema_name, twin.relname);
      tbl := twin.indrelid;
    END LOOP;
    IF tbl IS NOT NULL THEN
      PERFORM _lienthong_infra.ensure_gin_twins(tbl);
    END IF;
  END LOOP;
END
$fn$;

-- Idempotent: `infra up` applies this file again to a cluster that is already running, so the
-- functions above are replaced in place, the triggers are created once, and tables that exist
-- already (made before this version of the file) get their missing twins.
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'lienthong_gin_twins_create') THEN
    CREATE EVENT TRIGGER lienthong_gin_twins_create ON ddl_command_end
      WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION _lienthong_infra.on_create_index();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'lienthong_gin_twins_drop') THEN
    CREATE EVENT TRIGGER lienthong_gin_twins_drop ON sql_drop
      WHEN TAG IN ('DROP INDEX') EXECUTE FUNCTION _lienthong_infra.on_drop_index();
  END IF;
  PERFORM _lienthong_infra.ensure_gin_twins(t.oid)
     FROM pg_class t JOIN pg_namespace ns ON ns.oid = t.relnamespace
    WHERE t.relkind = 'r' AND ns.nspname !~ '^pg_' AND ns.nspname <> 'information_schema';
END
$do$;
