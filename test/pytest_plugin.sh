#!/usr/bin/env bash
# The pytest plugin's own tests (python/tests) against two throwaway servers: one that preloads
# unorder_rows and one that only has it installed.  The plugin is installed as a user would,
# with pip into a virtual environment that sees Debian's Python packages.
#
#   test/pytest_plugin.sh          (run_tests.sh runs it; needs the extension installed)
set -euo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
work=$(mktemp -d /tmp/unorder_rows_plugin.XXXXXX)
chmod 755 "$work"
cleanup() {
  test/pg_instance.sh stop "$work/preloaded" || true
  test/pg_instance.sh stop "$work/plain" || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../examples/lib.sh
. examples/lib.sh
python=$(ur_plugin_python "$work/venv")

port=$(( 20000 + RANDOM % 20000 ))
test/pg_instance.sh start "$work/preloaded" "$port" shared_preload_libraries=unorder_rows
test/pg_instance.sh start "$work/plain" $((port + 1))
export UNORDER_ROWS_TEST_PRELOADED="host=$work/preloaded port=$port user=postgres"
export UNORDER_ROWS_TEST_PLAIN="host=$work/plain port=$((port + 1)) user=postgres"
echo "== pytest plugin tests ($("$python" -m pytest --version 2>&1)), servers in $work"
PYTHONDONTWRITEBYTECODE=1 "$python" -m pytest -p no:cacheprovider -q python/tests
