-- Schema and data for test/fuzz.sh.  sqlsmith builds its queries from what the catalog
-- offers (tables, views, columns, types, operators, functions, aggregates), so every
-- object here is bait for one kind of perturbation point: ties and duplicates for the
-- run-wise shuffles, NULLs for sort/hash edge cases, several index kinds for ordered
-- scans, partitions and inheritance for Append/MergeAppend, views that carry their own
-- ORDER BY / LIMIT / DISTINCT ON / windows for the preserved cases, triggers and
-- functions for nested query levels.  A few hundred rows per table keep queries fast;
-- one bigger table lets a small work_mem spill.  Values come from arithmetic on
-- generate_series (no random()), so every run starts from the same data.

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b text);

-- Ties on every column but id, NULLs in most columns, many index kinds.
CREATE TABLE ties (
    id int PRIMARY KEY,
    g int NOT NULL,
    h int,
    s text,
    n numeric,
    f float8,
    d date,
    ts timestamptz,
    b bool,
    m mood,
    arr int[],
    j jsonb,
    r int4range,
    p pair
);
INSERT INTO ties
SELECT i, i % 5,
       CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 END,
       CASE WHEN i % 11 = 0 THEN NULL ELSE 's' || (i % 6) END,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 4) * 1.5 END,
       CASE WHEN i % 17 = 0 THEN 'NaN'::float8 ELSE (i % 9) / 3.0 END,
       date '2024-01-01' + (i % 10),
       timestamptz '2024-01-01 00:00+00' + (i % 8) * interval '1 hour',
       CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END,
       (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::mood,
       ARRAY[i % 4, i % 3],
       jsonb_build_object('k', i % 4, 'v', CASE WHEN i % 6 = 0 THEN NULL ELSE i % 5 END),
       int4range(i % 10, i % 10 + 3),
       ROW(i % 3, 'p' || (i % 2))::pair
FROM generate_series(1, 400) i;
CREATE INDEX ties_g ON ties (g);
CREATE INDEX ties_g_h ON ties (g, h DESC NULLS LAST);
CREATE INDEX ties_s_partial ON ties (s) WHERE b;
CREATE INDEX ties_lower_s ON ties (lower(s));
CREATE INDEX ties_h_hash ON ties USING hash (h);
CREATE INDEX ties_arr ON ties USING gin (arr);
CREATE INDEX ties_r ON ties USING gist (r);
CREATE INDEX ties_d_brin ON ties USING brin (d);

-- Exact duplicate rows, no key, no index.
CREATE TABLE dups (a int, b text, c numeric);
INSERT INTO dups SELECT i % 10, chr(65 + i % 4), (i % 3)::numeric FROM generate_series(1, 300) i;
INSERT INTO dups SELECT NULL, NULL, NULL FROM generate_series(1, 20);

-- Keys and a foreign key (sqlsmith uses constraints for ON CONFLICT); a serial and a
-- trigger so that DML assigns values and fires triggers in processing order.
CREATE TABLE parent (pid int PRIMARY KEY, name text UNIQUE, grp int);
INSERT INTO parent SELECT i, 'p' || i, i % 4 FROM generate_series(1, 60) i;
CREATE TABLE child (
    cid serial PRIMARY KEY,
    pid int REFERENCES parent,
    qty posint,
    note text,
    created timestamp DEFAULT timestamp '2024-01-01'
);
INSERT INTO child (pid, qty, note)
SELECT 1 + i % 60, 1 + i % 5, CASE WHEN i % 9 = 0 THEN NULL ELSE 'n' || (i % 7) END
FROM generate_series(1, 500) i;
CREATE INDEX child_pid ON child (pid);

CREATE TABLE audit (op text, rid int, seq bigserial);
CREATE FUNCTION child_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit (op, rid) VALUES (TG_OP, NEW.cid);
    RETURN NEW;
END $$;
CREATE TRIGGER child_audit AFTER INSERT OR UPDATE ON child
    FOR EACH ROW EXECUTE FUNCTION child_audit();

-- Identity column.
CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind mood, payload jsonb);
INSERT INTO events (kind, payload)
SELECT (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::mood, jsonb_build_array(i % 5, i % 2)
FROM generate_series(1, 200) i;

-- Range partitions, one of them sub-partitioned by list, with defaults; a partitioned index.
CREATE TABLE measurements (city int, day date, temp numeric, note text) PARTITION BY RANGE (day);
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurements_2024 PARTITION OF measurements
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (city);
CREATE TABLE measurements_2024_a PARTITION OF measurements_2024 FOR VALUES IN (1, 2, 3);
CREATE TABLE measurements_2024_b PARTITION OF measurements_2024 DEFAULT;
CREATE TABLE measurements_other PARTITION OF measurements DEFAULT;
CREATE INDEX measurements_city_day ON measurements (city, day);
INSERT INTO measurements
SELECT i % 6, date '2023-06-01' + (i % 500), (i % 30) - 5, CASE WHEN i % 4 = 0 THEN NULL ELSE 'm' END
FROM generate_series(1, 600) i;

-- Hash partitions.
CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric) PARTITION BY HASH (id);
CREATE TABLE accounts_0 PARTITION OF accounts FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE accounts_1 PARTITION OF accounts FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE accounts_2 PARTITION OF accounts FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO accounts SELECT i, 'o' || (i % 7), (i % 10) * 10 FROM generate_series(1, 300) i;

-- Inheritance.
CREATE TABLE vehicles (vid int, make text, wheels int);
CREATE TABLE cars (doors int) INHERITS (vehicles);
CREATE TABLE bikes (gears int) INHERITS (vehicles);
INSERT INTO vehicles SELECT i, 'make' || (i % 3), 4 FROM generate_series(1, 100) i;
INSERT INTO cars SELECT i, 'make' || (i % 3), 4, 2 + 2 * (i % 2) FROM generate_series(101, 250) i;
INSERT INTO bikes SELECT i, 'make' || (i % 3), 2, i % 21 FROM generate_series(251, 400) i;
CREATE INDEX cars_make ON cars (make);

-- Big enough to spill at a small work_mem.
CREATE TABLE big (id int, k int, pad text);
INSERT INTO big SELECT i, i % 50, repeat('x', 20 + i % 30) FROM generate_series(1, 5000) i;
CREATE INDEX big_k ON big (k);

-- Views that carry order of their own, or none.
CREATE VIEW v_sorted AS SELECT id, g, s FROM ties ORDER BY g;
CREATE VIEW v_grouped AS
    SELECT g, count(*) AS cnt, array_agg(id) AS ids, string_agg(s, ',') AS ss FROM ties GROUP BY g;
CREATE VIEW v_union AS SELECT a, b FROM dups UNION SELECT g, s FROM ties;
CREATE VIEW v_union_all AS SELECT vid, make FROM cars UNION ALL SELECT vid, make FROM bikes;
CREATE VIEW v_window AS
    SELECT id, g, row_number() OVER (PARTITION BY g) AS rn,
           first_value(id) OVER (PARTITION BY g ORDER BY h) AS fv
    FROM ties;
CREATE VIEW v_limit AS SELECT a, b FROM dups LIMIT 50;
CREATE VIEW v_distinct_on AS SELECT DISTINCT ON (g) g, id, s FROM ties ORDER BY g, h;
CREATE VIEW v_join AS SELECT p.pid, p.name, c.qty, c.note FROM parent p JOIN child c USING (pid);
CREATE VIEW v_recursive AS
    WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 20) SELECT n FROM r;
CREATE VIEW v_values AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (1, 'c')) v(x, y);
CREATE VIEW v_srf AS SELECT g, unnest(arr) AS e, generate_series(1, g) AS k FROM ties;
CREATE VIEW v_agg_sorted_sub AS SELECT array_agg(id) AS ids FROM (SELECT id FROM ties ORDER BY id DESC) s;

-- Functions with query levels of their own (SQL inlined or not, PL/pgSQL via SPI) and a
-- user aggregate whose result depends on input order.
CREATE FUNCTION any_id(grp int) RETURNS int LANGUAGE sql STABLE
    AS $$ SELECT id FROM ties WHERE ties.g = grp LIMIT 1 $$;
CREATE FUNCTION ids_of(grp int) RETURNS int[] LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN ARRAY(SELECT id FROM ties WHERE ties.g = grp); END $$;
CREATE FUNCTION first_note(p int) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
BEGIN
    SELECT note INTO result FROM child WHERE pid = p;
    RETURN result;
END $$;
CREATE AGGREGATE concat_agg(text) (sfunc = textcat, stype = text, initcond = '');

ANALYZE;
