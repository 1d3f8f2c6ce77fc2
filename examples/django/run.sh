#!/usr/bin/env bash
# Run the bookshop example's test suite twice against a throwaway PostgreSQL that preloads
# unorder_rows, and check both outcomes:
#   unorder_rows off: every test passes;
#   unorder_rows on:  every test marked order_dependent fails on its assertion, every test
#                     marked fixed or kept passes;
#   and a third run with the seed the second one reported fails the same way (the replay).
# Exits non-zero if either outcome differs.
#
#   examples/django/run.sh              (as root, or with sudo: installs what is missing)
#
# Installs, when missing: Debian's python3-django, python3-pytest-django, python3-psycopg2,
# and unorder_rows itself (docker/install-unorder-rows.sh). PG_CONFIG selects the PostgreSQL
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
# sets it per connection, as Django's OPTIONS does (bookshop/settings.py, UNORDER_ROWS=on|off).
server=""
ur_start_server server shared_preload_libraries=unorder_rows
echo "== $("$PYTHON" -c 'import django; print("Django", django.get_version())'), $("$PG_CONFIG" --version), server in $server"

results=""
ur_workdir results django
status=0
cd "$here"
for mode in off on; do
  echo "== pytest with unorder_rows $mode"
  set +e
  # --create-db: every run builds its test database anew, as CI does
  PYTHONDONTWRITEBYTECODE=1 UNORDER_ROWS=$mode "$PYTHON" -m pytest -q -rf --tb=line --create-db \
    --junitxml="$results/$mode.xml" -o junit_family=xunit1 2>&1 | sed 's/^/  /'
  rc=${PIPESTATUS[0]}
  set -e
  # pytest exits 0 when all passed, 1 when some failed; anything else is not a test outcome.
  want=$([ "$mode" = off ] && echo 0 || echo 1)
  if [ "$rc" != "$want" ]; then
    echo "  MISMATCH: pytest exited $rc, expected $want"; status=1
  fi
  "$PYTHON" "$here/check_junit.py" "$mode" "$results/$mode.xml" || status=1
done

# A failure must be replayable: the seed the "on" run reports gives the same orders again,
# even in a test database created anew (statement fingerprints do not depend on table OIDs).
seed=$("$PYTHON" -c 'import sys, xml.etree.ElementTree as ET
print(next(p.get("value") for p in ET.parse(sys.argv[1]).iter("property") if p.get("name") == "unorder_rows.seed"))' \
  "$results/on.xml" 2>/dev/null) || seed=""
if [ -z "$seed" ]; then
  echo "  MISMATCH: the \"on\" run recorded no seed"; status=1
else
  echo "== pytest with unorder_rows on, replaying seed $seed (UNORDER_ROWS_SEED=$seed)"
  set +e
  PYTHONDONTWRITEBYTECODE=1 UNORDER_ROWS=on UNORDER_ROWS_SEED=$seed "$PYTHON" -m pytest -q --tb=no --create-db \
    --junitxml="$results/replay.xml" -o junit_family=xunit1 2>&1 | tail -1 | sed 's/^/  /'
  set -e
  "$PYTHON" "$here/check_junit.py" replay "$results/on.xml" "$results/replay.xml" || status=1
fi

if [ $status = 0 ]; then
  echo "== django example: as expected (off: all pass; on: order_dependent fail, fixed and kept pass)"
else
  echo "== django example: FAILED"
fi
exit $status
