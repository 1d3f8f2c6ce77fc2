-- Checks that depend on row orders SQL leaves unspecified, the way application code and tests
-- often do. They pass on a plain PostgreSQL; with unorder_rows on, every one fails.
--   psql -X -f order_dependent.sql            exit 0 if all pass, 3 otherwise
\ir setup.sql

-- docs/order-contract.md §3.2: LIMIT without ORDER BY picks any row
INSERT INTO tap (ok, description)
SELECT (SELECT name FROM users LIMIT 1) = 'alice', 'the first user is alice (LIMIT 1, no ORDER BY)';

-- docs/order-contract.md §3.4: string_agg without ORDER BY concatenates in any order
INSERT INTO tap (ok, description)
SELECT (SELECT string_agg(name, ',') FROM users) = 'alice,bob,carol,dave,erin',
       'string_agg lists the users in insertion order';

-- docs/order-contract.md §3.3: rows tied on every ORDER BY key come back in any order
INSERT INTO tap (ok, description)
SELECT ARRAY(SELECT name FROM users ORDER BY team) = '{carol,dave,erin,alice,bob}',
       'ORDER BY team keeps team mates in insertion order';

-- docs/order-contract.md §3.3: DISTINCT ON keeps any of the tied rows
INSERT INTO tap (ok, description)
SELECT ARRAY(SELECT DISTINCT ON (team) name FROM users ORDER BY team) = '{carol,erin,alice}',
       'DISTINCT ON (team) keeps the first user of each team';

-- docs/order-contract.md §3.6: INSERT ... SELECT assigns serials in processing order
INSERT INTO audit (name) SELECT name FROM users;
INSERT INTO tap (ok, description)
SELECT (SELECT name FROM audit WHERE id = 1) = 'alice', 'INSERT ... SELECT copies alice first (audit id 1)';

-- docs/order-contract.md §3.1: a cursor without ORDER BY fetches in any order
BEGIN;
DECLARE c CURSOR FOR SELECT name AS fetched FROM users;
FETCH c \gset
COMMIT;
INSERT INTO tap (ok, description)
SELECT :'fetched' = 'alice', 'a cursor fetches alice first';

\ir finish.sql
