-- docs/order-contract.md §3.6 for MERGE (PostgreSQL 15 and later; expected/merge_1.out is the
-- output of older servers, which do not know the command).
LOAD 'unorder_rows';
-- MERGE processes its source in a perturbed order (trigger order shows it)
CREATE TABLE src AS SELECT g AS id FROM generate_series(1, 20) g;
CREATE TABLE merged (id int primary key, hits int);
SET unorder_rows = on;
CREATE TABLE merge_log (n serial, id int);
CREATE FUNCTION log_merge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO merge_log (id) VALUES (NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER merged_log BEFORE INSERT ON merged FOR EACH ROW EXECUTE FUNCTION log_merge();
MERGE INTO merged m USING src s ON m.id = s.id
    WHEN NOT MATCHED THEN INSERT VALUES (s.id, 1);
SELECT array_agg(id ORDER BY n) <> array_agg(id ORDER BY id) AS merge_order_changed, count(*) AS rows
FROM merge_log;

RESET unorder_rows;
DROP TABLE src, merged, merge_log;
DROP FUNCTION log_merge();

-- MERGE through its join (docs/order-contract.md §3.6, §5.5): a row that matches
-- is keyed on the target row it will change, fetched by the TID the join
-- carries; a row that matches none (NOT MATCHED: a NULL TID) on its own
-- columns, so that every session inserts the same new rows in one order (an
-- insert waits for another session's insert of the same unique key).
CREATE TABLE stock (id int PRIMARY KEY, qty int);
INSERT INTO stock SELECT g, 0 FROM generate_series(1, 30, 2) g;
CREATE TABLE deliveries (id int, qty int);
INSERT INTO deliveries SELECT g, g FROM generate_series(1, 30) g;
ANALYZE stock, deliveries;
CREATE TABLE stock_log (n serial, op text, id int);
CREATE FUNCTION log_stock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stock_log (op, id) VALUES (TG_OP, NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER stock_log BEFORE INSERT OR UPDATE ON stock FOR EACH ROW EXECUTE FUNCTION log_stock();
-- The order in which a MERGE changed and inserted rows (trigger order), and the
-- table after it, sorted; rolled back.
CREATE FUNCTION merge_outcome(statement text, OUT processing_order text[], OUT contents text[])
LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE statement;
        processing_order := array(SELECT op || ' ' || id FROM stock_log ORDER BY n);
        contents := sorted(rows_of('SELECT * FROM stock'));
        RAISE EXCEPTION USING ERRCODE = 'UR001';
    EXCEPTION WHEN SQLSTATE 'UR001' THEN
        NULL;
    END;
END $$;
CREATE TABLE merge_outcomes (run text, processing_order text[], contents text[]);
CREATE FUNCTION record_merge(run text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO merge_outcomes SELECT run, o.* FROM merge_outcome(
        'MERGE INTO stock s USING deliveries d ON s.id = d.id
         WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty
         WHEN NOT MATCHED THEN INSERT VALUES (d.id, d.qty)') o
$$;
SET unorder_rows = on;
EXPLAIN (COSTS OFF) MERGE INTO stock s USING deliveries d ON s.id = d.id
    WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty
    WHEN NOT MATCHED THEN INSERT VALUES (d.id, d.qty);
SELECT record_merge('on');
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT record_merge('on, nested loop');
RESET enable_hashjoin;
RESET enable_mergejoin;
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
SELECT record_merge('on, another session');
-- the rows of both tables moved: deliveries 1 to 15 and stock rows 1 to 15 now
-- come after the others
SET unorder_rows = off;
UPDATE deliveries SET qty = qty WHERE id <= 15;
UPDATE stock SET qty = qty WHERE id <= 15;
TRUNCATE stock_log;
SELECT record_merge('off');
SET unorder_rows = on;
SELECT record_merge('on, rows moved');
SET unorder_rows = off;
SELECT count(DISTINCT processing_order) FILTER (WHERE run <> 'off') AS orders_on,
       count(DISTINCT contents) AS contents,
       bool_and(processing_order <> off_order) FILTER (WHERE run <> 'off') AS changed_from_off,
       count(*) AS runs
FROM merge_outcomes, (SELECT processing_order AS off_order FROM merge_outcomes WHERE run = 'off') off;
-- every change and insert once, in one order with both kinds mixed
SELECT count(*) FILTER (WHERE p LIKE 'UPDATE%') AS updates, count(*) FILTER (WHERE p LIKE 'INSERT%') AS inserts,
       (SELECT array(SELECT left(x, 6) FROM unnest(processing_order) x)
               <> array(SELECT left(x, 6) FROM unnest(processing_order) x ORDER BY left(x, 6))
        FROM merge_outcomes WHERE run = 'on') AS kinds_mixed
FROM merge_outcomes, unnest(processing_order) p WHERE run = 'on';
RESET unorder_rows;
DROP TABLE stock, deliveries, stock_log, merge_outcomes;
DROP FUNCTION log_stock(), merge_outcome(text), record_merge(text);
