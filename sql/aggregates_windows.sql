-- docs/order-contract.md §3.4: the input order of order-sensitive aggregates and window
-- functions without an ORDER BY of their own is changed; aggregates that do
-- not depend on order, and those with their own ORDER BY, are left alone.
LOAD 'unorder_rows';
-- (the aggregated values change with the order, as docs/order-contract.md §5.1 allows, so only
-- whether every run changed is shown; the multiset of elements is checked below)
CREATE TABLE events AS
    SELECT g AS id, g % 3 AS grp, 'e' || g AS label FROM generate_series(1, 30) g;
CREATE INDEX ON events (grp);
ANALYZE events;
CREATE AGGREGATE concat_agg(text) (sfunc = textcat, stype = text, initcond = '');

SELECT runs, every_run_changed FROM perturbed('SELECT array_agg(id) FROM events');
SELECT runs, every_run_changed FROM perturbed('SELECT string_agg(label, '','') FROM events');
SELECT runs, every_run_changed FROM perturbed('SELECT json_agg(id) FROM events');
SELECT runs, every_run_changed FROM perturbed('SELECT jsonb_agg(id) FROM events');
SELECT runs, every_run_changed FROM perturbed('SELECT concat_agg(label) FROM events');
-- per group, hashed and sorted grouping (ORDER BY fixes the group order)
SET enable_sort = off;
SELECT runs, every_run_changed FROM perturbed('SELECT grp, array_agg(id) FROM events GROUP BY grp ORDER BY grp');
RESET enable_sort;
SET enable_hashagg = off;
SELECT runs, every_run_changed FROM perturbed('SELECT grp, array_agg(id) FROM events GROUP BY grp ORDER BY grp');
RESET enable_hashagg;

-- same elements, only their order changes
SET unorder_rows = on;
SELECT sorted(array_agg(id)::text[]) = (SELECT sorted(array_agg(id)::text[]) FROM events) AS same_elements
FROM events;

-- order-insensitive aggregates get no perturbation node at all
EXPLAIN (COSTS OFF) SELECT count(*), sum(id), max(label) FROM events;
EXPLAIN (COSTS OFF) SELECT array_agg(id) FROM events;
RESET unorder_rows;
-- with their own ORDER BY, or DISTINCT, aggregates keep their order
SELECT * FROM preserved('SELECT array_agg(id ORDER BY id) FROM events');
SELECT * FROM preserved('SELECT array_agg(DISTINCT grp) FROM events');
SELECT * FROM preserved('SELECT string_agg(label, '','' ORDER BY id DESC) FROM events');

-- window functions
SELECT runs, every_run_changed FROM perturbed('SELECT id, row_number() OVER () FROM events');
SELECT count(*) AS runs, bool_and(order_changed) AS first_value_changed
FROM perturbation_check('SELECT DISTINCT grp, first_value(id) OVER (PARTITION BY grp) FROM events ORDER BY 1');
-- ties in a window frame: row_number() over a key with ties
SELECT count(*) AS runs, bool_and(order_changed) AS numbering_changed
FROM perturbation_check('SELECT id, row_number() OVER (ORDER BY grp) FROM events ORDER BY id');
-- rank() does not depend on tie order: same values
SELECT * FROM preserved('SELECT id, rank() OVER (ORDER BY grp) FROM events ORDER BY id');
DROP TABLE events;
DROP AGGREGATE concat_agg(text);
