-- Reporting (docs/order-contract.md §6): unorder_rows.report says, per statement, which open
-- orders were perturbed, where, how many rows, and the seed to replay them;
-- EXPLAIN labels every perturbation node.
LOAD 'unorder_rows';
CREATE TABLE orders AS SELECT g AS id, g % 3 AS customer FROM generate_series(1, 12) g;
ANALYZE orders;
SHOW unorder_rows.report;
SET unorder_rows = on;
SET unorder_rows.seed = 4242;

-- off (the default): silent
SELECT count(DISTINCT id) FROM (SELECT id FROM orders LIMIT 3) s;

SET unorder_rows.report = notice;
-- one line per statement; nothing for statements whose order is fixed or single-row
SELECT count(DISTINCT id) FROM (SELECT id FROM orders LIMIT 3) s;
SELECT count(*) FROM (SELECT customer, id FROM orders ORDER BY customer) s;
SELECT count(*) FROM (SELECT id FROM orders ORDER BY id) s;
SELECT count(*) FROM orders;
SELECT cardinality(array_agg(id)) FROM orders;
CREATE TEMP TABLE customer_lists AS
    SELECT customer, array_agg(id) AS ids FROM orders GROUP BY customer;
-- inside functions, each statement is reported where it runs
CREATE FUNCTION first_order() RETURNS int LANGUAGE sql AS 'SELECT id FROM orders LIMIT 1';
SELECT first_order() IS NOT NULL AS got_one;

-- log: the same line goes to the server log instead of the client
SET unorder_rows.report = log;
SELECT count(DISTINCT id) FROM (SELECT id FROM orders LIMIT 3) s;

-- bad values
SET unorder_rows.report = verbose;
RESET unorder_rows.report;

-- EXPLAIN: kind, keys, and with VERBOSE the seed
EXPLAIN (COSTS OFF) SELECT customer, id FROM orders ORDER BY customer;
-- the query identifier depends on table OIDs: hide it (PostgreSQL 14 and later show it)
DO $$ BEGIN PERFORM set_config('compute_query_id', 'off', false) FROM pg_settings WHERE name = 'compute_query_id'; END $$;
EXPLAIN (COSTS OFF, VERBOSE) SELECT id FROM orders;
DO $$ BEGIN PERFORM set_config('compute_query_id', 'auto', false) FROM pg_settings WHERE name = 'compute_query_id'; END $$;
-- with ANALYZE: rows, runs and where they were kept (an index provides the order)
CREATE INDEX ON orders (customer);
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT * FROM perturbation_stats('SELECT customer, id FROM orders ORDER BY customer');
RESET enable_seqscan; RESET enable_bitmapscan;

-- the cross-session view needs the library at server start (here it is only LOADed)
SELECT * FROM unorder_rows_statements;
SELECT unorder_rows_reset();
RESET unorder_rows.seed;
RESET unorder_rows;
DROP FUNCTION first_order();
DROP TABLE orders;
