-- docs/order-contract.md §3.1: result order without ORDER BY is changed in every run, with the
-- same rows: SELECT, cursor fetches, CREATE TABLE AS, COPY (query) TO, RETURNING.
LOAD 'unorder_rows';
CREATE TABLE items AS SELECT g AS id, 'item ' || g AS name FROM generate_series(1, 20) g;
CREATE INDEX ON items (id);
ANALYZE items;

-- a plain SELECT: sequential scan order
SELECT * FROM perturbed('SELECT * FROM items');
-- index order (the planner picks an index scan, the query does not ask for order)
SET enable_seqscan = off;
SELECT * FROM perturbed('SELECT * FROM items WHERE id > 0');
RESET enable_seqscan;
-- a bitmap heap scan
SET enable_seqscan = off; SET enable_indexscan = off;
SELECT * FROM perturbed('SELECT * FROM items WHERE id > 0');
RESET enable_seqscan; RESET enable_indexscan;
-- two rows are enough to be caught
SELECT * FROM perturbed('SELECT * FROM items WHERE id <= 2');
-- seeds choose different orders
SELECT distinct_orders('SELECT * FROM items') > 4 AS seeds_matter;

-- the plan shows where rows are perturbed
SET unorder_rows = on;
EXPLAIN (COSTS OFF) SELECT * FROM items;

-- a cursor's fetches (OPEN ... FOR EXECUTE declares a portal like DECLARE does;
-- a join, so that no WHERE CURRENT OF can address a table row)
CREATE FUNCTION cursor_rows(query text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    c refcursor;
    r record;
    result text[] := '{}';
BEGIN
    OPEN c FOR EXECUTE query;
    LOOP
        FETCH c INTO r;
        EXIT WHEN NOT FOUND;
        result := result || r::text;
    END LOOP;
    CLOSE c;
    RETURN result;
END $$;
SET unorder_rows = off;
CREATE TEMP TABLE cursor_baseline AS
    SELECT cursor_rows('SELECT i.id FROM items i JOIN items j USING (id)') AS fetched;
SET unorder_rows = on;
SELECT cursor_rows('SELECT i.id FROM items i JOIN items j USING (id)') <> fetched AS fetch_order_changed,
       sorted(cursor_rows('SELECT i.id FROM items i JOIN items j USING (id)')) = sorted(fetched) AS same_rows
FROM cursor_baseline;

-- CREATE TABLE AS keeps the perturbed order in the new table's physical order
SET unorder_rows.seed = 7;
CREATE TABLE items_copy AS SELECT id FROM items;
SET unorder_rows = off;
SELECT array_agg(id) = (SELECT array_agg(id ORDER BY id) FROM items) AS ctas_in_insertion_order,
       count(*) AS rows
FROM items_copy;
SELECT sorted(array_agg(id::text)) = sorted((SELECT array_agg(id::text) FROM items)) AS same_rows
FROM items_copy;

-- COPY (query) TO writes the rows in the perturbed order
SET unorder_rows = on;
CREATE TEMP TABLE copied (line text);
CREATE FUNCTION copy_lines() RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE copied;
    COPY (SELECT id FROM items) TO '/tmp/unorder_rows_copy_test.txt';
    COPY copied FROM '/tmp/unorder_rows_copy_test.txt';
    RETURN (SELECT array_agg(line) FROM copied);
END $$;
SELECT copy_lines() <> (SELECT array_agg(id::text ORDER BY id) FROM items) AS copy_order_changed,
       sorted(copy_lines()) = (SELECT sorted(array_agg(id::text)) FROM items) AS same_rows;

-- RETURNING of UPDATE follows the (perturbed) processing order
SELECT * FROM perturbed('UPDATE items SET name = name RETURNING id');
RESET unorder_rows;
RESET unorder_rows.seed;
DROP TABLE items, items_copy;
DROP FUNCTION copy_lines(), cursor_rows(text);
