#!/usr/bin/env bash
# Build, install, start a throwaway server and show an order-dependent query being caught.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/server.sh
. test/server.sh
ur_pg_config
[ "$(id -u)" = 0 ] && test/install_deps.sh
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
if [ "$(id -u)" = 0 ]; then make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
else sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null; fi
dir=""
ur_workdir dir demo
port=$(ur_free_port)
ur_server_start "$dir" "$port" shared_preload_libraries=unorder_rows
psql -X -q -h "$dir" -p "$port" -U postgres -d postgres <<'SQL'
\echo 'A test that expects the first row of an unordered query to be the first inserted:'
CREATE TABLE users (id int, name text);
INSERT INTO users VALUES (1, 'alice'), (2, 'bob'), (3, 'carol');
\echo
\echo '-- unorder_rows off: SELECT name FROM users LIMIT 1'
SELECT name FROM users LIMIT 1;
SET unorder_rows = on;
\echo '-- unorder_rows on (seed shown below): the same query picks another row, every run'
SHOW unorder_rows.seed;
SELECT name FROM users LIMIT 1;
\echo '-- ORDER BY fixes the order, so it is kept:'
SELECT name FROM users ORDER BY id LIMIT 1;
\echo '-- where the extension perturbs, EXPLAIN says so:'
EXPLAIN (COSTS OFF) SELECT name FROM users LIMIT 1;
SQL
