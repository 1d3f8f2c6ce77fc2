-- The checks of order_dependent.sql, written so that SQL fixes every order they rely on.
-- They pass with unorder_rows off and on.
\ir setup.sql

INSERT INTO tap (ok, description)
SELECT (SELECT name FROM users ORDER BY id LIMIT 1) = 'alice', 'the first user is alice (ORDER BY id LIMIT 1)';

INSERT INTO tap (ok, description)
SELECT (SELECT string_agg(name, ',' ORDER BY id) FROM users) = 'alice,bob,carol,dave,erin',
       'string_agg(... ORDER BY id) lists the users in insertion order';

INSERT INTO tap (ok, description)
SELECT ARRAY(SELECT name FROM users ORDER BY team, id) = '{carol,dave,erin,alice,bob}',
       'ORDER BY team, id keeps team mates in insertion order';

INSERT INTO tap (ok, description)
SELECT ARRAY(SELECT DISTINCT ON (team) name FROM users ORDER BY team, id) = '{carol,erin,alice}',
       'DISTINCT ON (team) ... ORDER BY team, id keeps the first user of each team';

INSERT INTO audit (name) SELECT name FROM users ORDER BY id;
INSERT INTO tap (ok, description)
SELECT (SELECT name FROM audit WHERE id = 1) = 'alice', 'INSERT ... SELECT ... ORDER BY id copies alice first';

BEGIN;
DECLARE c CURSOR FOR SELECT name AS fetched FROM users ORDER BY id;
FETCH c \gset
COMMIT;
INSERT INTO tap (ok, description)
SELECT :'fetched' = 'alice', 'a cursor with ORDER BY id fetches alice first';

\ir finish.sql
