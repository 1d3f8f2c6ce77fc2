-- Settings (docs/order-contract.md §2, §6): defaults, the two names of the switch, seeds, mode,
-- scope settings, and PostgreSQL's own errors for bad values.
LOAD 'unorder_rows';

-- defaults: off, seed drawn per session (never shown as 0), shuffle
SHOW unorder_rows;
SHOW unorder_rows.enabled;
SELECT current_setting('unorder_rows.seed')::int > 0 AS drawn_seed_shown;
SHOW unorder_rows.mode;
SHOW unorder_rows.perturb_ties;
SHOW unorder_rows.perturb_subquery_order;
SHOW unorder_rows.perturb_values_returning;
SHOW unorder_rows.perturb_function_rows;
SHOW unorder_rows.perturb_lock_order;

-- the drawn seed is stable within the session
SELECT current_setting('unorder_rows.seed') = current_setting('unorder_rows.seed') AS stable;

-- the short name overrides the dotted one; RESET falls back to it
SET unorder_rows.enabled = on;
SHOW unorder_rows;
SET unorder_rows = off;
SHOW unorder_rows;
RESET unorder_rows;
SHOW unorder_rows;
SET unorder_rows.enabled = off;
SHOW unorder_rows;
SET unorder_rows = on;
SHOW unorder_rows;
SET unorder_rows TO true;
SHOW unorder_rows;
SET unorder_rows TO 0;
SHOW unorder_rows;
RESET unorder_rows;

-- SET LOCAL ends with the transaction
BEGIN;
SET LOCAL unorder_rows = on;
SHOW unorder_rows;
COMMIT;
SHOW unorder_rows;

-- seeds: bounds, and the explicit value is shown as set
SET unorder_rows.seed = 42;
SHOW unorder_rows.seed;
SET unorder_rows.seed = 2147483647;
SHOW unorder_rows.seed;
SET unorder_rows.seed = 0;
SELECT current_setting('unorder_rows.seed')::int > 0 AS drawn_seed_shown;
RESET unorder_rows.seed;

-- mode
SET unorder_rows.mode = reverse;
SHOW unorder_rows.mode;
RESET unorder_rows.mode;

-- bad values get PostgreSQL's usual errors
SET unorder_rows = maybe;
SET unorder_rows.enabled = maybe;
SET unorder_rows.seed = -1;
SET unorder_rows.seed = 2147483648;
SET unorder_rows.seed = 'abc';
SET unorder_rows.mode = random;
SET unorder_rows.perturb_ties = 2;
-- an unknown name under the reserved prefix is an error, not a placeholder (PostgreSQL
-- 13 and 14 only warn when the library is loaded: expected/settings_1.out)
SET unorder_rows.no_such_setting = on;

-- every setting is listed in pg_settings with a description
SELECT name, vartype, boot_val, short_desc IS NOT NULL AS described
FROM pg_settings WHERE name LIKE 'unorder_rows%' ORDER BY name;

-- the SQL-level objects
SELECT unorder_rows_version();
