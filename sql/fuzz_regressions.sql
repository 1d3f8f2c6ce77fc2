-- Cases found by test/fuzz.sh (sqlsmith), minimized.  Each made the server
-- fail with unorder_rows on: an assertion failure, or an error PostgreSQL
-- does not raise with the extension off (docs/order-contract.md §5.5).  Each must now return
-- what it returns with the extension off.
LOAD 'unorder_rows';

-- UPDATE, DELETE and MERGE on partitioned and inherited tables: the row
-- identity columns (ctid, tableoid) reached the perturbation node's scan
-- target list unresolved, and PostgreSQL's set_plan_references asserts they
-- never do (TRAP in setrefs.c on assertion-enabled servers).
CREATE TABLE fz_parted (id int PRIMARY KEY, v int) PARTITION BY HASH (id);
CREATE TABLE fz_parted_0 PARTITION OF fz_parted FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE fz_parted_1 PARTITION OF fz_parted FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO fz_parted SELECT g, g % 3 FROM generate_series(1, 20) g;
CREATE TABLE fz_parent (id int, v int);
CREATE TABLE fz_child (extra text) INHERITS (fz_parent);
INSERT INTO fz_parent SELECT g, g % 3 FROM generate_series(1, 10) g;
INSERT INTO fz_child SELECT g, g % 3, 'x' FROM generate_series(11, 20) g;
-- the processing order changes (RETURNING shows it), the same rows come back
SELECT * FROM perturbed('UPDATE fz_parted SET v = v RETURNING id, v');
SELECT * FROM perturbed('UPDATE fz_parent SET v = v + 0 RETURNING id, v');
-- a join as the source: the rows still carry the target's row identity
-- above the join, so no node sits there (each partition's own rows are
-- shuffled only where a node can sit below the join; README, known limits);
-- the same rows come back
SELECT runs, same_rows FROM perturbed('UPDATE fz_parted p SET v = s.v FROM fz_parent s WHERE s.id = p.id RETURNING p.id, p.v');
SELECT runs, same_rows FROM perturbed('UPDATE fz_parent p SET v = s.v FROM fz_parted s WHERE s.id = p.id RETURNING p.id, s.v');
SET unorder_rows = on;
BEGIN;
WITH d AS (DELETE FROM fz_parted WHERE v = 1 RETURNING id) SELECT count(*), sum(id) FROM d;
DELETE FROM fz_parent WHERE v = 2;
SELECT count(*), sum(id) FROM fz_parent;
ROLLBACK;

-- EXPLAIN VERBOSE prints the node's columns
CREATE FUNCTION fz_explain_matches(query text, pattern text) RETURNS bool
LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || query LOOP
        IF line ~ pattern THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END $$;
SELECT fz_explain_matches('UPDATE fz_parted SET v = 0 WHERE id < 3', 'UnorderRows') AS perturbed;

-- MERGE (PostgreSQL 15 and later; older servers skip it and show the same result)
CREATE FUNCTION fz_merge_into_partitions() RETURNS TABLE (rows bigint, total bigint)
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('server_version_num')::int >= 150000 THEN
        EXECUTE 'MERGE INTO fz_parted p USING fz_parent s ON p.id = s.id
                 WHEN MATCHED AND s.v = 0 THEN DELETE
                 WHEN MATCHED THEN UPDATE SET v = s.v + 10';
    ELSE
        DELETE FROM fz_parted p USING fz_parent s WHERE s.id = p.id AND s.v = 0;
        UPDATE fz_parted p SET v = s.v + 10 FROM fz_parent s WHERE s.id = p.id;
    END IF;
    RETURN QUERY SELECT count(*), sum(v) FROM fz_parted;
END $$;
BEGIN;
SELECT * FROM fz_merge_into_partitions();
ROLLBACK;
RESET unorder_rows;

-- An InitPlan of a subquery whose perturbation node was dropped after
-- planning moved to a parallel-safe node: parallel workers, which are not
-- sent parallel-unsafe subplans, then failed with 'subplan "InitPlan 1" was
-- not initialized'.
CREATE TABLE fz_big (id int, v int);
INSERT INTO fz_big SELECT g, g % 10 FROM generate_series(1, 1000) g;
CREATE TABLE fz_small (v int) WITH (parallel_workers = 0);
INSERT INTO fz_small VALUES (1), (2);
ANALYZE fz_big, fz_small;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET unorder_rows = on;
SELECT count(*) FROM fz_big
WHERE EXISTS (SELECT 1 FROM fz_small s WHERE s.v < (SELECT max(v) FROM fz_big));
RESET unorder_rows;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

DROP TABLE fz_parted, fz_parent, fz_child, fz_big, fz_small;
DROP FUNCTION fz_explain_matches(text, text);
DROP FUNCTION fz_merge_into_partitions();
