-- A perturbed statement is fingerprinted by lexing its text again; that lexing
-- must be quiet, or a literal the parser already warned about warns twice
-- (standard_conforming_strings = off, escape_string_warning = on).
LOAD 'unorder_rows';
CREATE TABLE ew (id int);
INSERT INTO ew SELECT generate_series(1, 5);
SET standard_conforming_strings = off;
SET escape_string_warning = on;
SET unorder_rows = on;
-- the LIMIT's pick is perturbed (the node is there), and the statement warns once
EXPLAIN (COSTS OFF) SELECT count(id) FROM (SELECT id, 'a\'b' AS s FROM ew LIMIT 3) picked;
SELECT count(id) FROM (SELECT id, 'a\'b' AS s FROM ew LIMIT 3) picked;
RESET unorder_rows;
RESET escape_string_warning;
RESET standard_conforming_strings;
DROP TABLE ew;
