-- A perturbation point fed straight by a plain scan of a heap table scans the table itself:
-- blocks in a seeded order (random start, stride coprime to the block count), each block's rows
-- in a seeded order, streaming (docs/order-contract.md §3.1, §3.2, §5.2).  A LIMIT stops early.
LOAD 'unorder_rows';
CREATE TABLE bs AS SELECT g AS id, g % 10 AS g, repeat('p', 200) AS pad FROM generate_series(1, 2000) g;
ANALYZE bs;
SET unorder_rows = on;
SET unorder_rows.seed = 11;

-- the node takes the Seq Scan's place: its table, quals and output
EXPLAIN (COSTS OFF) SELECT id FROM bs WHERE g = 5 LIMIT 3;
EXPLAIN (COSTS OFF, VERBOSE) SELECT id, g FROM bs;
EXPLAIN (COSTS OFF) SELECT array_agg(id) FROM bs;
-- a LIMIT stops early: one or two of the table's blocks are read, not all
CREATE FUNCTION block_stats(query text) RETURNS TABLE (rows_out int, blocks_visited int, blocks int)
LANGUAGE sql AS $$
    SELECT (node->>'Actual Rows')::numeric::int, (node->>'Blocks Visited')::int, (node->>'Blocks')::int
    FROM analyzed_plan(query) top,
         LATERAL (SELECT CASE WHEN top->>'Node Type' = 'Limit' THEN top->'Plans'->0 ELSE top END) n(node)
$$;
SELECT rows_out, blocks_visited <= 2 AS stopped_early, blocks > 20 AS table_has_many_blocks
FROM block_stats('SELECT id FROM bs LIMIT 10');
SELECT rows_out, blocks_visited = blocks AS read_all FROM block_stats('SELECT id FROM bs');

-- §5.2: the first row differs from the plain scan's in every run; same rows
SELECT * FROM perturbed('SELECT id FROM bs');
SELECT * FROM perturbed('SELECT id FROM bs WHERE g = 5');
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT id FROM bs LIMIT 1');
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT id FROM bs WHERE g = 5 LIMIT 1');
-- the picks are rows of the table, each once, as many as asked
SELECT count(*) AS picked, count(DISTINCT id) AS different, bool_and(g = 5) AS filtered
FROM (SELECT id, g FROM bs WHERE g = 5 LIMIT 40) s;
-- the seed decides: several orders over the seeds
SELECT distinct_orders('SELECT id FROM bs LIMIT 5') > 4 AS seeds_matter;

-- dead rows: the plain scan's first row may be the only live row of the block visited first
CREATE TABLE sparse AS SELECT g AS id FROM generate_series(1, 3000) g;
DELETE FROM sparse WHERE id NOT IN (1, 1500, 2999);
SELECT * FROM perturbed('SELECT id FROM sparse');
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT id FROM sparse LIMIT 1');
-- rows that look exactly like the plain scan's first are not emitted first while another differs
CREATE TABLE dup AS SELECT 'same' AS v FROM generate_series(1, 500) UNION ALL SELECT 'other';
SELECT * FROM perturbed('SELECT v FROM dup');
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT v FROM dup LIMIT 1');
-- one row, or rows all alike: nothing to perturb, same result
SELECT * FROM perturbation_check('SELECT v FROM dup WHERE v = ''other''', '{1}');
-- an empty table, an empty result
CREATE TABLE empty_t (id int);
SELECT count(*) FROM (SELECT id FROM empty_t) s;
SELECT count(*) FROM (SELECT id FROM bs WHERE g = 99) s;

-- rescans return the same rows in the same order (a LATERAL subquery re-run for each outer row,
-- with a changed parameter that does not change what the quals pass)
SELECT count(DISTINCT picks) AS different_picks
FROM generate_series(1, 4) n, LATERAL (SELECT array_agg(id) AS picks FROM (SELECT id FROM bs WHERE id > 0 * n LIMIT 3) s) x;
EXPLAIN (COSTS OFF) SELECT picks
FROM generate_series(1, 4) n, LATERAL (SELECT array_agg(id) AS picks FROM (SELECT id FROM bs WHERE id > 0 * n LIMIT 3) s) x;
-- and a nested loop's inner side, read once per outer row, the same way each time
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
SELECT count(*) AS pairs FROM (SELECT id FROM bs WHERE id <= 3) a JOIN (SELECT id FROM bs WHERE g = 1) b ON b.id < 100;
RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_material;

-- reverse mode walks the table backwards
SET unorder_rows.mode = reverse;
EXPLAIN (COSTS OFF) SELECT id FROM bs;
SELECT id FROM bs LIMIT 3;
SELECT id FROM sparse;
RESET unorder_rows.mode;

-- where the node keeps buffering instead
-- rows it locks (FOR UPDATE: EvalPlanQual and the pick decide which row is locked)
EXPLAIN (COSTS OFF) SELECT id FROM bs LIMIT 1 FOR UPDATE SKIP LOCKED;
-- DML sources keep their session-independent processing order
EXPLAIN (COSTS OFF) DELETE FROM sparse WHERE id = 1500;
-- volatile quals (the plain scan's first row would be looked for with other values);
-- volatile output computed above the node is fine (PostgreSQL 13 computes it in the scan
-- itself, which then keeps the buffering node: block_scan_1.out)
EXPLAIN (COSTS OFF) SELECT id FROM bs WHERE random() >= 0 LIMIT 1;
EXPLAIN (COSTS OFF) SELECT id, random() AS r FROM bs LIMIT 1;
-- the setting switches block scans off
SET unorder_rows.block_scans = off;
EXPLAIN (COSTS OFF) SELECT id FROM bs LIMIT 3;
RESET unorder_rows.block_scans;
-- and with the switch off the plan runs as PostgreSQL's, in the plain order
PREPARE q AS SELECT id FROM bs LIMIT 3;
SET unorder_rows = off;
EXECUTE q;
EXPLAIN (COSTS OFF) EXECUTE q;
DEALLOCATE q;

DROP FUNCTION block_stats(text);
DROP TABLE bs, sparse, dup, empty_t;
