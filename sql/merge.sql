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
