-- SPEC §3.6: the processing order of INSERT ... SELECT, UPDATE, DELETE and
-- MERGE is changed: serial assignment, trigger firing order, RETURNING order,
-- and which source row wins in UPDATE ... FROM.
LOAD 'unorder_rows';
CREATE TABLE src AS SELECT g AS id FROM generate_series(1, 20) g;
CREATE TABLE dst (serial_no serial, id int);
CREATE TABLE fired (n serial, id int);
CREATE FUNCTION log_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fired (id) VALUES (NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER dst_log BEFORE INSERT OR UPDATE ON dst FOR EACH ROW EXECUTE FUNCTION log_row();

-- serial values are assigned in the perturbed order; triggers fire in it
SET unorder_rows = on;
INSERT INTO dst (id) SELECT id FROM src;
SELECT array_agg(id ORDER BY serial_no) <> array_agg(id ORDER BY id) AS serials_follow_perturbed_order,
       count(*) AS rows
FROM dst;
SELECT array_agg(id ORDER BY n) <> array_agg(id ORDER BY id) AS triggers_fired_in_perturbed_order
FROM fired;
-- RETURNING of INSERT ... SELECT, UPDATE, DELETE
SELECT * FROM perturbed('INSERT INTO dst (id) SELECT id FROM src RETURNING id');
SELECT * FROM perturbed('UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no');
CREATE TABLE victims AS SELECT g AS id FROM generate_series(1, 10) g;
SELECT count(*) AS runs, bool_and(order_changed) AS order_changed
FROM perturbation_check('WITH d AS (DELETE FROM victims RETURNING id) SELECT id FROM d');
SET unorder_rows = on;
EXPLAIN (COSTS OFF) UPDATE dst SET id = id;
RESET unorder_rows;

-- Concurrent sessions running the same statement must lock its rows in one
-- order (SPEC §3.6, §5.5): the processing order is changed, but is the same
-- whatever the session's seed, so two sessions never deadlock where they
-- would not with the extension off.
SELECT * FROM perturbed('UPDATE dst SET id = id RETURNING serial_no');
SELECT distinct_orders('UPDATE dst SET id = id RETURNING serial_no') AS orders_over_8_seeds;
SELECT distinct_orders('INSERT INTO dst (id) SELECT id FROM src RETURNING id') AS orders_over_8_seeds;

-- UPDATE ... FROM with several matching source rows: the winner changes
CREATE TABLE target (id int, val text);
INSERT INTO target VALUES (1, 'none');
CREATE TABLE candidates (id int, val text);
INSERT INTO candidates SELECT 1, 'candidate ' || g FROM generate_series(1, 6) g;
CREATE FUNCTION update_winner() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    UPDATE target t SET val = c.val FROM candidates c WHERE t.id = c.id;
    RETURN (SELECT val FROM target);
END $$;
SET unorder_rows = off;
CREATE TEMP TABLE baseline_winner AS SELECT update_winner() AS winner;
SET unorder_rows = on;
SELECT count(*) FILTER (WHERE w.winner <> b.winner) AS runs_with_another_winner, count(*) AS runs
FROM (SELECT set_config('unorder_rows.seed', s::text, false), update_winner() AS winner
      FROM generate_series(1, 6) s) w, baseline_winner b;
RESET unorder_rows; RESET unorder_rows.seed;
DROP TABLE src, dst, fired, victims, target, candidates;
DROP FUNCTION log_row(), update_winner();
