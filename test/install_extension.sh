#!/usr/bin/env bash
# Build unorder_rows from this tree and install it into $PG_CONFIG's server.
#
#   PG_CONFIG=/opt/pg/18/bin/pg_config test/install_extension.sh
#
# From scratch (make clean): objects left by a build against another PostgreSQL would
# otherwise be installed as they are.  Used by run_tests.sh, regress_torture.sh, fuzz.sh and
# load.sh; those three skip it when UNORDER_ROWS_INSTALLED=1 (run_tests.sh has just done it).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PG_CONFIG:?set PG_CONFIG}"
make -s PG_CONFIG="$PG_CONFIG" clean >/dev/null
make -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
