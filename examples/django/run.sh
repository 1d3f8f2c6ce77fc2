#!/usr/bin/env bash
# Run the bookshop example's test suite with the pytest plugin (python/) against a throwaway
# PostgreSQL that preloads unorder_rows, and check every outcome:
#   pytest:                      unorder_rows off, every test passes;
#   pytest --unorder-rows --unorder-rows-confirm --unorder-rows-record --unorder-rows-baseline=F:
#                                every test marked order_dependent fails on its assertion and is
#                                labelled order-dependent (or seed-dependent), every test marked
#                                fixed or kept passes, and F lists exactly the order_dependent tests;
#   pytest --unorder-rows --unorder-rows-seed=N (the seed of that run): the same failures (replay);
#   pytest --unorder-rows --unorder-rows-baseline=F: green, the listed tests as expected failures.
# Exits non-zero if any outcome differs.
#
#   examples/django/run.sh              (as root, or with sudo: installs what is missing)
#
# Installs, when missing: Debian's python3-django, python3-pytest-django, python3-psycopg2,
# python3-venv, and unorder_rows itself (docker/install-unorder-rows.sh). The plugin goes into a
# virtual environment with pip, as a user would install it. PG_CONFIG selects the PostgreSQL
# (default: Debian's 15); UNORDER_ROWS_INSTALL=always rebuilds the extension from this checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"

# Debian's packages install into the system interpreter, whatever python3 is first on PATH.
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import django, pytest, pytest_django, psycopg2' 2>/dev/null; then
  echo "== installing python3-django python3-pytest-django python3-psycopg2"
  ur_as_root apt-get update -qq
  ur_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3 python3-django python3-pytest python3-pytest-django python3-psycopg2 >/dev/null
  PYTHON=/usr/bin/python3
fi
ur_setup_pg

# A server like the Docker image's, except that the switch is left off server-wide: each run
# sets it per connection (the plugin adds it to every connection's options).
server=""
ur_start_server server shared_preload_libraries=unorder_rows
echo "== $("$PYTHON" -c 'import django; print("Django", django.get_version())'), $("$PG_CONFIG" --version), server in $server"

results=$(mktemp -d "${TMPDIR:-/tmp}/unorder_rows_django.XXXXXX")
_ur_servers+=("$results")   # removed on exit with the server directory
PYTHON=$(ur_plugin_python "$results/venv")
status=0
cd "$here"

# pytest_django in a run: PYTHONDONTWRITEBYTECODE keeps the checkout clean, --create-db builds
# the test database anew, as CI does.
run_pytest() {
  local name=$1; shift
  set +e
  PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m pytest -q -rf --tb=line --create-db \
    --junitxml="$results/$name.xml" -o junit_family=xunit1 "$@" 2>&1 | sed 's/^/  /'
  rc=${PIPESTATUS[0]}
  set -e
}

# pytest exits 0 when all passed, 1 when some failed; anything else is not a test outcome.
expect_exit() {
  if [ "$rc" != "$1" ]; then
    echo "  MISMATCH: pytest exited $rc, expected $1"; status=1
  fi
}

echo "== pytest (unorder_rows off)"
run_pytest off
expect_exit 0
"$PYTHON" "$here/check_junit.py" off "$results/off.xml" || status=1

baseline=$results/baseline.txt
echo "== pytest --unorder-rows --unorder-rows-confirm --unorder-rows-record --unorder-rows-baseline=baseline.txt"
run_pytest on --unorder-rows --unorder-rows-confirm --unorder-rows-record --unorder-rows-baseline="$baseline"
expect_exit 1
"$PYTHON" "$here/check_junit.py" on "$results/on.xml" --confirm || status=1

# A failure must be replayable: the seed of the "on" run gives the same orders again, even in
# a test database created anew (statement fingerprints do not depend on table OIDs).
seed=$("$PYTHON" -c 'import sys, xml.etree.ElementTree as ET
print(next(p.get("value") for p in ET.parse(sys.argv[1]).iter("property") if p.get("name") == "unorder_rows.seed"))' \
  "$results/on.xml" 2>/dev/null) || seed=""
if [ -z "$seed" ]; then
  echo "  MISMATCH: the \"on\" run recorded no seed"; status=1
else
  echo "== pytest --unorder-rows --unorder-rows-seed=$seed (the replay)"
  run_pytest replay --unorder-rows --unorder-rows-seed="$seed" --tb=no
  expect_exit 1
  "$PYTHON" "$here/check_junit.py" replay "$results/on.xml" "$results/replay.xml" || status=1
fi

echo "== pytest --unorder-rows --unorder-rows-baseline=baseline.txt (adoption: only new failures fail)"
sed 's/^/  | /' "$baseline" 2>/dev/null || true
run_pytest baseline --unorder-rows --unorder-rows-baseline="$baseline"
expect_exit 0
"$PYTHON" "$here/check_junit.py" baseline "$results/baseline.xml" "$baseline" || status=1

if [ $status = 0 ]; then
  echo "== django example: as expected (off: all pass; on: order_dependent fail, labelled, replayed; baseline: green)"
else
  echo "== django example: FAILED"
fi
exit $status
