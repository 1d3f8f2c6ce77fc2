#!/usr/bin/env bash
# The README's test command (test/run_tests.sh) against PostgreSQL 17, inside a cached Debian
# trixie root (test/debian_root.sh) holding trixie's postgresql-17 binary packages.  As root.
#
#   test/trixie_pg17.sh
#   test/trixie_pg17.sh --root-only     # only make sure the root is there; print its path
#
# Why a root: this machine's Debian (bookworm) has no PostgreSQL 17, and pgbuild cannot build
# one because Debian's archive answers 404 for 17's source files; trixie's binary packages
# download fine.  What runs: unit tests (Catch2), pg_regress suites, libpq integration tests,
# the pytest plugin's tests, the result oracle's generated queries, and the examples (psql,
# Django), whose packages trixie has.  Not run: PostgreSQL's own regression suite with unorder_rows on
# (test/regress_torture.sh), which needs 17's source package: reported as SKIPPED below.
#
# Catch2: CMakeLists.txt asks for Catch2 v2 (catch2/catch.hpp); trixie ships v3, so the root
# gets bookworm's catch2 2.13 package (headers and CMake files only, no library to mismatch).
# The tree (what `git status` knows: committed, changed and new files) is copied in afresh on
# every run, so nothing built on the host or by an earlier run is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
roots=test/debian_root.sh
cache=${UNORDER_ROWS_ROOTS:-/var/cache/unorder_rows}

catch2_deb=$cache/debs/catch2_2.13.10-1_amd64.deb
if [ ! -f "$catch2_deb" ]; then
  mkdir -p "$cache/debs"
  (cd "$cache/debs" && apt-get download catch2=2.13.10-1 2>/dev/null) \
    || { echo "trixie_pg17.sh: cannot download bookworm's catch2 2.13.10-1" >&2; exit 1; }
fi
root=$("$roots" ensure trixie-pg17 trixie postgresql-17 postgresql-server-dev-17 g++ make cmake pkg-config \
  libpq-dev unzip python3 python3-psycopg2 python3-django python3-pytest python3-pytest-django python3-yaml \
  python3-psycopg python3-pytest-xdist python3-venv python3-setuptools python3-wheel \
  "$catch2_deb" | tail -1)
if [ "${1:-}" = --root-only ]; then echo "$root"; exit 0; fi
exec 9>"$cache/trixie-pg17.use.lock"; flock 9   # one run at a time uses the root's /src
# (each command below gets 9>&-: a server it starts must not keep holding the lock)
echo "== trixie root ready in $((SECONDS - start)) s: $root"

rm -rf "$root/src/unorder_rows"; mkdir -p "$root/src/unorder_rows"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$root/src/unorder_rows"
# The root's packages come from debian_root.sh above; install_deps.sh names bookworm's
# PostgreSQL 15 packages, which trixie does not have.
printf '#!/bin/sh\nexit 0\n' >"$root/src/unorder_rows/test/install_deps.sh"

status=0
"$roots" run "$root" /bin/bash -ec 9>&- '
  cd /src/unorder_rows
  export PG_CONFIG=/usr/lib/postgresql/17/bin/pg_config
  test/run_tests.sh
  echo "== examples (psql, Django/pytest-django) against PostgreSQL 17"
  examples/run_all.sh' || status=$?
echo "== SKIPPED on PostgreSQL 17: PostgreSQL's own regression suite with unorder_rows on" \
  "(test/regress_torture.sh needs the postgresql-17 source package, which Debian's archive" \
  "does not serve here; it runs on Debian's 15)"
rm -rf "$root/src/unorder_rows"
if [ "$status" != 0 ]; then
  echo "== FAILED: PostgreSQL 17 (trixie root), $((SECONDS - start)) s"
  exit "$status"
fi
echo "== PostgreSQL 17 (trixie root): all tests passed in $((SECONDS - start)) s"
