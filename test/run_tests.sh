#!/usr/bin/env bash
# Run every test of unorder_rows against throwaway servers; exit non-zero on any failure.
#
#   test/run_tests.sh                      # Debian's PostgreSQL 15
#   PG_CONFIG=/opt/pg/15-cassert/bin/pg_config test/run_tests.sh   # another build
#
# Builds and installs the extension, runs the Catch2 unit tests of the core,
# the pg_regress suites (sql/, expected/), the libpq integration tests, the pytest plugin's
# tests (python/) and the result oracle
# (test/oracle.sh: results with the extension off and on must be the same); with
# Debian's PostgreSQL 15, also the examples (examples/), the Docker recipe and PostgreSQL's own
# regression suite with the extension on; with an assertion-enabled build, also sqlsmith
# fuzzing and the load/fault tests (as root; UNORDER_ROWS_SKIP_RELIABILITY=1 skips these).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
[ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config)
[ -x test/install_deps.sh ] && [ "$(id -u)" = 0 ] && test/install_deps.sh

echo "== unorder_rows tests against $("$PG_CONFIG" --version) ($PG_CONFIG)"
work=$(mktemp -d /tmp/unorder_rows_test.XXXXXX)
chmod 755 "$work"
port=$(( 20000 + RANDOM % 20000 ))
cleanup() {
  test/pg_instance.sh stop "$work/regress" || true
  for d in "$work"/it/*/; do [ -d "$d" ] && test/pg_instance.sh stop "$d" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
failed=()

echo "== build and install"
test/install_extension.sh
export UNORDER_ROWS_INSTALLED=1 # the reliability scripts below need not build it again

echo "== unit tests (Catch2, src/core)"
cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/cmake -j"$(nproc)" >/dev/null
build/cmake/unit_tests || failed+=(unit)

echo "== pg_regress suites"
test/pg_instance.sh start "$work/regress" "$port"
mkdir -p build/regress
if ! make -s PG_CONFIG="$PG_CONFIG" installcheck PGHOST="$work/regress" PGPORT="$port" PGUSER=postgres; then
  failed+=(regress)
  [ -f build/regress/regression.diffs ] && cat build/regress/regression.diffs
fi
test/pg_instance.sh stop "$work/regress"

echo "== integration tests (libpq)"
if [ -x build/cmake/integration_tests ]; then
  mkdir -p "$work/it"; chmod 777 "$work/it"
  UNORDER_ROWS_TEST_DIR="$work/it" UNORDER_ROWS_TEST_PORT=$((port + 1)) \
    UNORDER_ROWS_PG_INSTANCE="$root/test/pg_instance.sh" build/cmake/integration_tests || failed+=(integration)
else
  echo "integration_tests not built" >&2; failed+=(integration)
fi

# The result oracle (issue 10): every generated query on every build; sqlsmith's queries too on
# Debian's 15 and on an assertion-enabled build.
echo "== result oracle: results with unorder_rows off and on (test/oracle.sh)"
oracle_seconds=0
if [ "$PG_CONFIG" = /usr/lib/postgresql/15/bin/pg_config ] || "$PG_CONFIG" --configure | grep -q -- --enable-cassert; then
  oracle_seconds=${ORACLE_SECONDS:-60}
fi
ORACLE_SECONDS=$oracle_seconds test/oracle.sh || failed+=(oracle)

echo "== pytest plugin (python/, test/pytest_plugin.sh)"
test/pytest_plugin.sh || failed+=(pytest-plugin)

# The examples and the Docker recipe use Debian's PostgreSQL 15 (and Debian's Python packages).
if [ "$PG_CONFIG" = /usr/lib/postgresql/15/bin/pg_config ] && [ "$(id -u)" = 0 ]; then
  echo "== examples (psql, Django/pytest-django) with unorder_rows off and on"
  examples/run_all.sh || failed+=(examples)
  echo "== Docker recipe without Docker (install script, image configuration, entrypoint)"
  PG_MAJOR=15 docker/test-install-script.sh || failed+=(docker)
fi

# Reliability checks (issue 5): PostgreSQL's own regression suite with the extension on, against
# Debian's 15; sqlsmith fuzzing and load/fault tests against an assertion-enabled build.
if [ "$(id -u)" = 0 ] && [ -z "${UNORDER_ROWS_SKIP_RELIABILITY:-}" ]; then
  if [ "$PG_CONFIG" = /usr/lib/postgresql/15/bin/pg_config ]; then
    echo "== PostgreSQL's regression suite with unorder_rows on (test/regress_torture.sh)"
    test/regress_torture.sh || failed+=(torture)
  fi
  if "$PG_CONFIG" --configure | grep -q -- --enable-cassert; then
    echo "== sqlsmith fuzzing (test/fuzz.sh)"
    test/fuzz.sh || failed+=(fuzz)
    echo "== load, leaks and faults (test/load.sh)"
    test/load.sh || failed+=(load)
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "== FAILED: ${failed[*]}"
  exit 1
fi
echo "== all tests passed"
