-- unorder_rows.mode = reverse: a deterministic reversal, still never the
-- received order (docs/order-contract.md §6): where reversing changes nothing visible, the last
-- row that differs from the first comes first.
LOAD 'unorder_rows';
CREATE TABLE r AS SELECT g AS id, g % 2 AS parity FROM generate_series(1, 6) g;
SET unorder_rows = on;
SET unorder_rows.mode = reverse;

-- insertion order is 1..6; reversed, whatever the seed
SELECT id FROM r;
SET unorder_rows.seed = 12345;
SELECT id FROM r;
-- LIMIT picks from the reversed input
SELECT id FROM r LIMIT 2;
-- ties of ORDER BY parity are reversed within each parity (off, then on)
SET unorder_rows = off;
SELECT parity, id FROM r ORDER BY parity;
SET unorder_rows = on;
SELECT parity, id FROM r ORDER BY parity;
-- a, b, a: plain reversal would give a, b, a again; b comes first instead
CREATE TABLE aba (v text);
INSERT INTO aba VALUES ('a'), ('b'), ('a');
SELECT v FROM aba;
-- aggregate input
SELECT array_agg(id) FROM r;
SELECT * FROM perturbed('SELECT id FROM r');
RESET unorder_rows.mode;
RESET unorder_rows.seed;
RESET unorder_rows;
DROP TABLE r, aba;
