-- docs/order-contract.md §3.2: LIMIT / OFFSET / FETCH FIRST without ORDER BY change which rows
-- are picked, not only their order; so does LIMIT 1 ... FOR UPDATE SKIP LOCKED.
LOAD 'unorder_rows';
CREATE TABLE jobs AS SELECT g AS id, 'job ' || g AS payload FROM generate_series(1, 50) g;
ANALYZE jobs;

-- the first row of an unordered LIMIT 1 differs in every run (docs/order-contract.md §5.2)
SELECT * FROM perturbation_check('SELECT id FROM jobs LIMIT 1')
WHERE NOT order_changed;
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT id FROM jobs LIMIT 1');
-- FETCH FIRST and OFFSET too
SELECT count(*) AS runs, bool_and(order_changed) AS picked_other_rows
FROM perturbation_check('SELECT id FROM jobs FETCH FIRST 3 ROWS ONLY');
SELECT count(*) AS runs, bool_and(order_changed) AS picked_other_rows
FROM perturbation_check('SELECT id FROM jobs OFFSET 45');
-- the picked rows are still rows of the table, and as many as asked
SET unorder_rows = on;
SELECT count(*) AS picked, count(*) FILTER (WHERE id BETWEEN 1 AND 50) AS from_table
FROM (SELECT id FROM jobs LIMIT 5) s;

-- the plan perturbs below the Limit
EXPLAIN (COSTS OFF) SELECT id FROM jobs LIMIT 3;

-- a queue pick: LIMIT 1 FOR UPDATE SKIP LOCKED locks a perturbed row
EXPLAIN (COSTS OFF) SELECT id FROM jobs LIMIT 1 FOR UPDATE SKIP LOCKED;
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT id FROM jobs LIMIT 1 FOR UPDATE SKIP LOCKED');

-- a LIMIT in a subquery picks differently too
SELECT count(*) AS runs, bool_and(order_changed) AS picked_other_rows
FROM perturbation_check('SELECT s.id FROM (SELECT id FROM jobs LIMIT 1) s');
-- scalar subquery with LIMIT 1
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT (SELECT id FROM jobs LIMIT 1) AS first_job');

-- docs/order-contract.md §4.7: rows nobody can tell apart need no perturbation.  A LIMIT whose
-- output columns are all constants (Django's .exists(), Rails' exists?) keeps PostgreSQL's plan,
-- and stops at the first match ...
EXPLAIN (COSTS OFF) SELECT 1 AS a FROM jobs WHERE id % 10 = 5 LIMIT 1;
EXPLAIN (COSTS OFF) SELECT FROM jobs LIMIT 3;
-- ... so does a result of such rows
EXPLAIN (COSTS OFF) SELECT 1 AS a, NULL::text AS b FROM jobs;
SELECT count(*) AS rows, count(DISTINCT a) AS different FROM (SELECT 1 AS a FROM jobs LIMIT 5) s;
-- with one column that differs between rows, the pick is perturbed
EXPLAIN (COSTS OFF) SELECT 1 AS a, id FROM jobs WHERE id % 10 = 5 LIMIT 1;
-- rows it would lock are perturbed: which row is locked is the pick
EXPLAIN (COSTS OFF) SELECT 1 AS a FROM jobs WHERE id % 10 = 5 LIMIT 1 FOR UPDATE;
-- and rows feeding DML (which row an INSERT copies is as open as which a SELECT returns)
EXPLAIN (COSTS OFF) INSERT INTO jobs SELECT 1, 'copy' FROM jobs LIMIT 1;
EXPLAIN (COSTS OFF) WITH gone AS (DELETE FROM jobs WHERE false RETURNING 1)
SELECT 1 AS a FROM jobs LIMIT 1;

-- Where the node buffers (here forced: a plain scan is otherwise shuffled at the source and the
-- LIMIT stops early, block_scan.sql), under a LIMIT it keeps only a sample of the rows the LIMIT reads
-- (OFFSET + count), not its whole input: the same distribution as the first
-- rows of a full permutation, so rows and order still change in every run.
SET unorder_rows.block_scans = off;
CREATE TABLE events AS SELECT g AS id, repeat('x', 300) AS payload FROM generate_series(1, 20000) g;
ANALYZE events;
SELECT count(*) AS runs, bool_and(order_changed) AS picked_other_rows
FROM perturbation_check('SELECT id FROM events LIMIT 3 OFFSET 2');
CREATE FUNCTION limit_node_stats(query text)
RETURNS TABLE (rows_perturbed int, rows_sampled int, storage text, under_64kb bool)
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF) ' || query INTO plan;
    plan := plan->0->'Plan'->'Plans'->0;
    RETURN QUERY SELECT (plan->>'Rows Perturbed')::int, (plan->>'Rows Sampled for LIMIT')::int,
                        plan->>'Storage', (plan->>'Peak Memory')::int < 64;
END $$;
-- 20000 rows read, 5 kept, a few kB of memory
SELECT * FROM limit_node_stats('SELECT id FROM events LIMIT 5');
-- the picks are rows of the table, each once, as many as asked
SELECT count(*) AS picked, count(DISTINCT id) AS different, bool_and(id BETWEEN 1 AND 20000) AS from_table
FROM (SELECT id FROM events LIMIT 40 OFFSET 10) s;
-- a LIMIT given as a parameter of a generic plan is sampled too
SET plan_cache_mode = force_generic_plan;
PREPARE pick(bigint) AS SELECT id FROM events LIMIT $1;
SELECT count(*) AS runs, bool_and(order_changed) AS picked_other_rows
FROM perturbation_check('EXECUTE pick(4)');
SELECT * FROM limit_node_stats('EXECUTE pick(4)');
DEALLOCATE pick;
RESET plan_cache_mode;
-- a LIMIT that changes on every rescan (LATERAL) reads as many as asked each time
SELECT n, count(s.id) AS picked, count(DISTINCT s.id) AS different
FROM generate_series(1, 4) n, LATERAL (SELECT id FROM events LIMIT n) s GROUP BY n ORDER BY n;
-- a volatile LIMIT could differ between the LIMIT and the node: no sample
SELECT * FROM limit_node_stats('SELECT id FROM events LIMIT (1 + 0 * random())::int');
-- LIMIT NULL / LIMIT ALL read everything
SELECT count(*) FROM (SELECT id FROM events LIMIT NULL) s;
-- when the rows the LIMIT reads do not fit in work_mem, the node buffers all
-- of them and spills, like without a LIMIT
SET work_mem = '64kB';
SELECT * FROM limit_node_stats('SELECT * FROM events LIMIT 700');
SELECT count(*) AS picked, count(DISTINCT id) AS different FROM (SELECT * FROM events LIMIT 700) s;
RESET work_mem;
DROP FUNCTION limit_node_stats(text);
DROP TABLE events;
RESET unorder_rows.block_scans;
RESET unorder_rows;
DROP TABLE jobs;
