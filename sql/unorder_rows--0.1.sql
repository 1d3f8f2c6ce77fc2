-- unorder_rows 0.1: SQL-level objects.  Perturbation itself needs only the
-- library (LOAD, session_preload_libraries or shared_preload_libraries).
\echo Use "CREATE EXTENSION unorder_rows" to load this file. \quit

CREATE FUNCTION unorder_rows_version() RETURNS text
AS 'MODULE_PATHNAME', 'unorder_rows_version'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION unorder_rows_version() IS 'version of the loaded unorder_rows library';

-- Statements whose row order was perturbed, across sessions (needs the library
-- in shared_preload_libraries; otherwise reading it raises an error that says so).
CREATE FUNCTION unorder_rows_statements(
    OUT fingerprint bigint,
    OUT query text,
    OUT calls bigint,
    OUT rows_perturbed bigint,
    OUT open_orders text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'unorder_rows_statements'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW unorder_rows_statements AS SELECT * FROM unorder_rows_statements();

COMMENT ON VIEW unorder_rows_statements IS
    'one row per statement (fingerprint) whose unspecified row order unorder_rows perturbed';

CREATE FUNCTION unorder_rows_reset() RETURNS void
AS 'MODULE_PATHNAME', 'unorder_rows_reset'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION unorder_rows_reset() IS 'forget the statements listed in unorder_rows_statements';

REVOKE ALL ON FUNCTION unorder_rows_reset() FROM PUBLIC;
