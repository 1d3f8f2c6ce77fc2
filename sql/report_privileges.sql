-- Who may read and reset the cross-session statistics (docs/order-contract.md §6, issue 14), with
-- pg_stat_statements' rules: every role reads unorder_rows_statements (the text of
-- other roles' statements only with the privileges of pg_read_all_stats); only
-- superusers and the roles they grant EXECUTE reset.  The rows themselves need the
-- library at server start, which this server does not have: what each role sees,
-- the normalized text and resets per role are checked by test/integration
-- (test_report.cpp).  Here reading and resetting stop at the error saying the
-- statistics are not available, which comes after the privilege checks.
CREATE ROLE regress_alice;
CREATE ROLE regress_bob;

-- the view and the function behind it: every role
SELECT has_table_privilege('regress_bob', 'unorder_rows_statements', 'SELECT') AS view,
       has_function_privilege('regress_bob', 'unorder_rows_statements()', 'EXECUTE') AS function;
SET ROLE regress_bob;
SELECT * FROM unorder_rows_statements;

-- reset: not for every role
SELECT has_function_privilege('regress_bob', 'unorder_rows_reset(oid, oid, bigint)', 'EXECUTE') AS reset;
SELECT unorder_rows_reset();
SELECT unorder_rows_reset(0, 0, 0);
RESET ROLE;
-- a role granted EXECUTE may reset, also per role, database and fingerprint
GRANT EXECUTE ON FUNCTION unorder_rows_reset(oid, oid, bigint) TO regress_alice;
SET ROLE regress_alice;
SELECT unorder_rows_reset(userid => 'regress_bob'::regrole);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION unorder_rows_reset(oid, oid, bigint) FROM regress_alice;

-- the columns: whose statement (userid), where (dbid), then what
SELECT attname, format_type(atttypid, atttypmod) AS type
FROM pg_attribute
WHERE attrelid = 'unorder_rows_statements'::regclass AND attnum > 0
ORDER BY attnum;

-- upgrade from 0.1, whose view was closed but whose function was open to every role
-- and showed every role's text (the leak)
DROP EXTENSION unorder_rows;
CREATE EXTENSION unorder_rows VERSION '0.1';
SELECT extversion FROM pg_extension WHERE extname = 'unorder_rows';
SELECT has_table_privilege('regress_bob', 'unorder_rows_statements', 'SELECT') AS view,
       has_function_privilege('regress_bob', 'unorder_rows_statements()', 'EXECUTE') AS function,
       has_function_privilege('regress_bob', 'unorder_rows_reset()', 'EXECUTE') AS reset;
SELECT count(*) AS columns FROM pg_attribute
WHERE attrelid = 'unorder_rows_statements'::regclass AND attnum > 0;
ALTER EXTENSION unorder_rows UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'unorder_rows';
-- the same objects as a fresh 0.2 install, with the same privileges
SELECT pg_describe_object(classid, objid, 0) AS object
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'unorder_rows')
  AND classid <> 'pg_type'::regclass  -- PostgreSQL 18 also lists the view's row types
ORDER BY 1;
SELECT attname, format_type(atttypid, atttypmod) AS type
FROM pg_attribute
WHERE attrelid = 'unorder_rows_statements'::regclass AND attnum > 0
ORDER BY attnum;
SELECT has_table_privilege('regress_bob', 'unorder_rows_statements', 'SELECT') AS view,
       has_function_privilege('regress_bob', 'unorder_rows_statements()', 'EXECUTE') AS function,
       has_function_privilege('regress_bob', 'unorder_rows_reset(oid, oid, bigint)', 'EXECUTE') AS reset;

DROP ROLE regress_alice;
DROP ROLE regress_bob;
