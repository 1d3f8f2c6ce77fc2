#!/usr/bin/env bash
# Result oracle: compare what queries return with unorder_rows off and on (test/oracle/).
#
#   test/oracle.sh                          # CI: every generated query, ~1 minute of sqlsmith
#   ORACLE_SECONDS=1800 ORACLE_SQLSMITH_QUERIES=200000 test/oracle.sh   # longer, by hand
#   ORACLE_ONLY=lateral test/oracle.sh      # only the generated queries whose name has it
#
# Environment:
#   PG_CONFIG                PostgreSQL to test (default: Debian's 15)
#   ORACLE_SEEDS             unorder_rows seeds each query runs with (default 1,2,3)
#   ORACLE_SECONDS           time for sqlsmith's queries (default 60; 0 skips them)
#   ORACLE_SQLSMITH_QUERIES  how many queries sqlsmith writes (default 10000)
#   ORACLE_SQLSMITH_SEED     sqlsmith's seed (default 1)
#   ORACLE_KEEP=1            keep the work directory (server log, queries)
#
# A throwaway server (test/server.sh) holds test/oracle/schema.sql.  Fails on any query
# whose result multiset (or ORDER BY key sequence, or rewound-cursor order) differs, printing
# a reproduction for each.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/server.sh
. test/server.sh
ur_pg_config
seconds=${ORACLE_SECONDS:-60}
[ -n "${UNORDER_ROWS_INSTALLED:-}" ] || test/install_extension.sh

work=""
ur_workdir work oracle
[ -n "${ORACLE_KEEP:-}" ] && ur_keep "$work"
srv=$work/srv
port=$(ur_free_port)

echo "== unorder_rows result oracle: $("$PG_CONFIG" --version)"
ur_server_start "$srv" "$port" shared_preload_libraries=unorder_rows
bindir=$("$PG_CONFIG" --bindir)
"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$srv" -p "$port" -U postgres -d postgres -f test/oracle/schema.sql

args=(--dsn "host=$srv port=$port user=postgres dbname=postgres" --seeds "${ORACLE_SEEDS:-1,2,3}" --seconds "$seconds")
[ -n "${ORACLE_ONLY:-}" ] && args+=(--only "$ORACLE_ONLY")
if [ "$seconds" != 0 ] && command -v sqlsmith >/dev/null; then
  sqlsmith --target="host=$srv port=$port user=postgres dbname=postgres" --exclude-catalog --dry-run \
    --seed="${ORACLE_SQLSMITH_SEED:-1}" --max-queries="${ORACLE_SQLSMITH_QUERIES:-10000}" \
    >"$work/sqlsmith.sql" 2>"$work/sqlsmith.log"
  args+=(--sqlsmith "$work/sqlsmith.sql")
elif [ "$seconds" != 0 ]; then
  echo "oracle: sqlsmith is not installed (apt-get install sqlsmith): generated queries only" >&2
fi
/usr/bin/python3 test/oracle/oracle.py "${args[@]}"
