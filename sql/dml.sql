-- docs/order-contract.md §3.6: the processing order of INSERT ... SELECT, UPDATE, DELETE and
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

-- Concurrent sessions running the same UPDATE or DELETE must lock its rows in
-- one order (docs/order-contract.md §3.6, §5.5): the processing order follows a hash of each
-- row's key, the same in every session whatever seed the session drew, so two
-- sessions never deadlock where they would not with the extension off.  Three
-- sessions, three drawn seeds, one processing order, not the table's.
CREATE TABLE session_orders (session_seed text, processing_order text);
SET unorder_rows = on;
INSERT INTO session_orders SELECT current_setting('unorder_rows.seed'),
    array_to_string(rows_of_rolled_back('UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no'), ',');
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
INSERT INTO session_orders SELECT current_setting('unorder_rows.seed'),
    array_to_string(rows_of_rolled_back('UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no'), ',');
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
INSERT INTO session_orders SELECT current_setting('unorder_rows.seed'),
    array_to_string(rows_of_rolled_back('UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no'), ',');
SET unorder_rows = off;
SELECT count(DISTINCT session_seed) AS drawn_seeds,
       count(DISTINCT processing_order) AS processing_orders,
       bool_and(processing_order <> array_to_string(rows_of_rolled_back(
           'UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no'), ',')) AS changed_from_off
FROM session_orders;
DROP TABLE session_orders;
SET unorder_rows = on;
-- the order is the statement's: a configured seed, which every session
-- shares, gives another one; INSERT ... SELECT locks no rows and keeps the
-- session's seeded shuffle
SELECT * FROM perturbed('UPDATE dst SET id = id RETURNING serial_no');
SELECT distinct_orders('UPDATE dst SET id = id RETURNING serial_no') AS orders_over_8_seeds;
SELECT distinct_orders('INSERT INTO dst (id) SELECT id FROM src RETURNING id') AS orders_over_8_seeds;
-- with a primary key, its hash orders the rows
CREATE TABLE keyed (id int PRIMARY KEY, val int);
INSERT INTO keyed SELECT g, 0 FROM generate_series(1, 20) g;
EXPLAIN (COSTS OFF) UPDATE keyed SET val = val + 1;
SELECT * FROM perturbed('UPDATE keyed SET val = val + 1 RETURNING id');
DROP TABLE keyed;
RESET unorder_rows;

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
