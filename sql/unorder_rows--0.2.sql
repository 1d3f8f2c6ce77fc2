-- unorder_rows 0.2: SQL-level objects.  Perturbation itself needs only the
-- library (LOAD, session_preload_libraries or shared_preload_libraries).
\echo Use "CREATE EXTENSION unorder_rows" to load this file. \quit

CREATE FUNCTION unorder_rows_version() RETURNS text
AS 'MODULE_PATHNAME', 'unorder_rows_version'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION unorder_rows_version() IS 'version of the loaded unorder_rows library';

-- Statements whose row order was perturbed, across sessions (needs the library
-- in shared_preload_libraries; otherwise reading it raises an error that says so).
-- Everyone may read it, under pg_stat_statements' rules: the text is stored with
-- its constants replaced by $n, and a role sees the text and fingerprint of other
-- roles' statements only with the privileges of pg_read_all_stats.
CREATE FUNCTION unorder_rows_statements(
    OUT userid oid,
    OUT dbid oid,
    OUT fingerprint bigint,
    OUT query text,
    OUT calls bigint,
    OUT rows_perturbed bigint,
    OUT open_orders text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'unorder_rows_statements_0_2'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW unorder_rows_statements AS SELECT * FROM unorder_rows_statements();

COMMENT ON VIEW unorder_rows_statements IS
    'one row per role, database and statement (fingerprint) whose unspecified row order unorder_rows perturbed';

GRANT SELECT ON unorder_rows_statements TO PUBLIC;

-- Forget statements: of one role, one database, one fingerprint (0 for any).
-- Only superusers and the roles they grant EXECUTE to.
CREATE FUNCTION unorder_rows_reset(userid oid DEFAULT 0, dbid oid DEFAULT 0, fingerprint bigint DEFAULT 0)
RETURNS void
AS 'MODULE_PATHNAME', 'unorder_rows_reset_0_2'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION unorder_rows_reset(oid, oid, bigint) IS
    'forget the statements listed in unorder_rows_statements of a role, a database and a fingerprint (0: any)';

REVOKE ALL ON FUNCTION unorder_rows_reset(oid, oid, bigint) FROM PUBLIC;
