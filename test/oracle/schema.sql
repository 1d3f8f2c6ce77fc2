-- Data for the result oracle (test/oracle.sh).  Small tables with duplicates on
-- every grouping column, so joins, aggregates and set operations have ties, and
-- unique ids where a query needs to tell picked rows apart.
CREATE TABLE o_t (id int PRIMARY KEY, g int NOT NULL, h int NOT NULL, s text NOT NULL);
INSERT INTO o_t SELECT i, i % 7, i % 11, 's' || (i % 5) FROM generate_series(1, 300) i;
CREATE INDEX o_t_g ON o_t (g);

CREATE TABLE o_u (id int PRIMARY KEY, g int NOT NULL, v int NOT NULL);
INSERT INTO o_u SELECT i, i % 5, i % 13 FROM generate_series(1, 200) i;
CREATE INDEX o_u_g ON o_u (g);
CREATE INDEX o_u_v ON o_u (v);

-- the outer side of every correlated query: k takes the values 0..3
CREATE TABLE o_p (id int PRIMARY KEY, k int NOT NULL);
INSERT INTO o_p SELECT i, i % 4 FROM generate_series(1, 12) i;

CREATE TABLE o_pt (id int NOT NULL, g int NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE o_pt1 PARTITION OF o_pt FOR VALUES FROM (1) TO (101);
CREATE TABLE o_pt2 PARTITION OF o_pt FOR VALUES FROM (101) TO (201);
CREATE TABLE o_pt3 PARTITION OF o_pt FOR VALUES FROM (201) TO (301);
INSERT INTO o_pt SELECT id, g FROM o_t;
CREATE INDEX o_pt_g ON o_pt (g);

CREATE TABLE o_parent (id int NOT NULL, g int NOT NULL);
CREATE TABLE o_child () INHERITS (o_parent);
INSERT INTO o_parent SELECT id, g FROM o_t WHERE id <= 150;
INSERT INTO o_child SELECT id, g FROM o_t WHERE id > 150;

-- set-returning functions of the rows of one group: SQL (inlined) and PL/pgSQL (run by SPI)
CREATE FUNCTION o_rows_sql(k int) RETURNS SETOF o_t LANGUAGE sql STABLE
AS $$ SELECT * FROM o_t WHERE g % 4 = k $$;
CREATE FUNCTION o_rows_plpgsql(k int) RETURNS SETOF o_t LANGUAGE plpgsql STABLE
AS $$ BEGIN RETURN QUERY SELECT * FROM o_t WHERE g % 4 = k; END $$;

ANALYZE;
