-- SPEC §3.2: LIMIT / OFFSET / FETCH FIRST without ORDER BY change which rows
-- are picked, not only their order; so does LIMIT 1 ... FOR UPDATE SKIP LOCKED.
LOAD 'unorder_rows';
CREATE TABLE jobs AS SELECT g AS id, 'job ' || g AS payload FROM generate_series(1, 50) g;
ANALYZE jobs;

-- the first row of an unordered LIMIT 1 differs in every run (SPEC §5.2)
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
RESET unorder_rows;
DROP TABLE jobs;
