-- docs/order-contract.md §3.5: the output order of GROUP BY, DISTINCT, set operations, joins,
-- partitioned and inherited tables and parallel plans is changed.
LOAD 'unorder_rows';
CREATE TABLE a AS SELECT g AS id, g % 5 AS k FROM generate_series(1, 40) g;
CREATE TABLE b AS SELECT g AS id, 'b' || g AS v FROM generate_series(1, 40) g;
ANALYZE a; ANALYZE b;

SELECT * FROM perturbed('SELECT k, count(*) FROM a GROUP BY k');
SELECT * FROM perturbed('SELECT DISTINCT k FROM a');
SELECT * FROM perturbed('SELECT id FROM a UNION SELECT id FROM b');
SELECT * FROM perturbed('SELECT id FROM a UNION ALL SELECT id FROM b');
SELECT * FROM perturbed('SELECT id FROM a INTERSECT SELECT id FROM b');
SELECT * FROM perturbed('SELECT id FROM a EXCEPT SELECT id FROM b WHERE id > 20');
SELECT * FROM perturbed('SELECT a.id, b.v FROM a JOIN b USING (id)');
SET enable_hashjoin = off; SET enable_mergejoin = off;
SELECT * FROM perturbed('SELECT a.id, b.v FROM a JOIN b USING (id)');
RESET enable_hashjoin; SET enable_nestloop = off;
SELECT * FROM perturbed('SELECT a.id, b.v FROM a JOIN b USING (id)');
RESET enable_mergejoin; RESET enable_nestloop;

-- partitioned and inherited tables
CREATE TABLE parted (id int, region text) PARTITION BY LIST (region);
CREATE TABLE parted_n PARTITION OF parted FOR VALUES IN ('n');
CREATE TABLE parted_s PARTITION OF parted FOR VALUES IN ('s');
INSERT INTO parted SELECT g, CASE WHEN g % 2 = 0 THEN 'n' ELSE 's' END FROM generate_series(1, 20) g;
SELECT * FROM perturbed('SELECT * FROM parted');
CREATE TABLE parent (id int);
CREATE TABLE child () INHERITS (parent);
INSERT INTO parent SELECT generate_series(1, 5);
INSERT INTO child SELECT generate_series(6, 10);
SELECT * FROM perturbed('SELECT * FROM parent');

-- a parallel plan
CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 20000) g;
ANALYZE big;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET unorder_rows = on;
EXPLAIN (COSTS OFF) SELECT id FROM big WHERE id % 7 = 0;
RESET unorder_rows;
SELECT * FROM perturbed('SELECT id FROM big WHERE id % 7 = 0');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE a, b, parted, parent, child, big;
