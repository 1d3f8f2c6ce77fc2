#!/usr/bin/env bash
# PostgreSQL's own regression suite as a torture test of unorder_rows (issue 5).
#
#   PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config test/regress_torture.sh
#
# Runs the server's own regression suite (src/test/regress, parallel schedule) against a
# throwaway server with unorder_rows preloaded and on, with a fixed seed, then classifies every
# test's output against its expected file(s) with test/torture/classify.py: exact, order-only,
# plan-only (EXPLAIN differs only by the UnorderRows nodes, docs/order-contract.md §5.4), allowed (a difference
# docs/order-contract.md §5.1 permits, listed in test/torture/allowed.txt) or failed. A crash in the server log
# fails the run too. Exits non-zero on any failure; diffs of failures are kept in the output
# directory (printed at the end).
#
# Settings (environment):
#   PG_CONFIG          server under test (default: pg_config on PATH); Debian's packages and
#                      ../shared/tools/pgbuild installs (/opt/pg/<major>[-cassert]) work
#   TORTURE_PORT       port of the throwaway server (default: a free one)
#   TORTURE_SEED       unorder_rows.seed (default 12345): same seed, same run
#   TORTURE_OUT        output directory, emptied first (default /tmp/unorder_rows-torture)
#   TORTURE_CACHE      where the sources are kept between runs (default /var/cache/unorder_rows-torture)
#   TORTURE_BASELINE   auto|1|0: also run the suite with the extension loaded but off, as a
#                      reference for differences that are not the extension's. auto (default)
#                      does so when the suite's sources are not the server's exact version.
#   TORTURE_TESTS      space-separated test names: run only these, after test_setup and
#                      create_index (PostgreSQL 15+: they make the shared tables), for working
#                      on one failure
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=SCRIPTDIR/server.sh
. "$here/server.sh"
export PG_CONFIG=${PG_CONFIG:-pg_config}
port=${TORTURE_PORT:-$(ur_free_port)}
seed=${TORTURE_SEED:-12345}
out=${TORTURE_OUT:-/tmp/unorder_rows-torture}
cache=${TORTURE_CACHE:-/var/cache/unorder_rows-torture}
baseline=${TORTURE_BASELINE:-auto}
only_tests=${TORTURE_TESTS:-}

log() { printf '%s regress_torture: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 2; }

bindir=$("$PG_CONFIG" --bindir)
pgxs=$("$PG_CONFIG" --pgxs)
pg_regress=$(dirname "$pgxs")/../test/regress/pg_regress
[ -x "$pg_regress" ] || die "no pg_regress next to PGXS ($pg_regress)"
# "PostgreSQL 15.20 (Debian 15.20-0+deb12u1)" -> 15.20
version=$("$PG_CONFIG" --version | awk '{print $2}')
major=${version%%.*}
[ "$major" -ge 13 ] 2>/dev/null || die "unsupported server version $version"

# Everything the server touches (results, COPY files, tablespaces) is written by the user the
# server runs as: test/server.sh runs it as "postgres" when we are root.
run_user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  run_user=postgres
fi

# ------------------------------------------------------------------ sources of the suite
# The orig tarball of the server's major release: the exact minor if any cache has it, else
# whatever Debian's source archive offers (bookworm has 15.18 for the 15.20 server: close
# enough, since the baseline run absorbs the few expected outputs that changed).
find_tarball() {
  local v=$1 dir f
  for dir in "$cache" /var/cache/pgbuild; do
    for f in "$dir"/postgresql-"$major"_"$v".orig.tar.*; do
      [ -f "$f" ] && { echo "$f"; return 0; }
    done
  done
  return 1
}

fetch_tarball() {
  mkdir -p "$cache"
  if ! apt-cache showsrc "postgresql-$major" 2>/dev/null | grep -q '^Version:'; then
    # as ../shared/tools/pgbuild does: Debian's source archive for the suites that carry 13..18
    local src_list=/etc/apt/sources.list.d/pgbuild-src.sources
    [ "$(id -u)" = 0 ] || die "no deb-src for postgresql-$major and not root to add it"
    if [ ! -f "$src_list" ]; then
      log "adding deb-src entries ($src_list)"
      cat >"$src_list" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bullseye bookworm trixie sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt-get update -qq
  fi
  log "downloading the source package postgresql-$major into $cache"
  (cd "$cache" && apt-get source --download-only -qq "postgresql-$major" >/dev/null) \
    || die "apt-get source postgresql-$major failed"
}

# newest cached orig tarball of this major (any minor)
newest_tarball() {
  { find "$cache" /var/cache/pgbuild -maxdepth 1 -name "postgresql-${major}_*.orig.tar.*" 2>/dev/null || true; } \
    | sort -V | tail -1
}

tarball=$(find_tarball "$version" || true)
[ -n "$tarball" ] || tarball=$(newest_tarball)
if [ -z "$tarball" ]; then
  fetch_tarball
  tarball=$(newest_tarball)
  [ -n "$tarball" ] || die "no source tarball of PostgreSQL $major after apt-get source"
fi
src_version=$(basename "$tarball" | sed -E 's/^postgresql-[0-9]+_([0-9.]+)\.orig\.tar\..*$/\1/')
src=$cache/src/postgresql-$src_version
if [ ! -f "$src/.complete" ]; then
  log "extracting src/test/regress and contrib/spi of $(basename "$tarball")"
  mkdir -p "$cache/src"
  tmp=$(mktemp -d "$cache/src/.extract.XXXXXX")
  tar -xf "$tarball" -C "$tmp" --strip-components=1 --wildcards '*/src/test/regress/*' '*/contrib/spi/*'
  rm -rf "$src"
  mv "$tmp" "$src"
  chmod -R a+rX "$src"
  touch "$src/.complete"
fi
regress_src=$src/src/test/regress
if [ "$baseline" = auto ]; then
  if [ "$src_version" = "$version" ]; then baseline=0; else baseline=1; fi
fi
log "server $version ($bindir), suite from $src_version, seed $seed, baseline run: $baseline"

# ------------------------------------------------------------------ work area
if [ -z "$out" ] || [ "$out" = / ]; then die "bad TORTURE_OUT"; fi
rm -rf "$out"
mkdir -p "$out/build"
srvdir=""
ur_workdir srvdir torture   # short: the Unix socket path must stay < 108 bytes

# ------------------------------------------------------------------ build
# The C modules the suite loads, compiled with PGXS against the server under test (its headers,
# its ABI) rather than with the sources' configure: nothing else of the tree is needed, since
# the server's installation ships pg_regress itself.
cp "$regress_src/regress.c" "$src/contrib/spi/autoinc.c" "$src/contrib/spi/refint.c" "$out/build/"
make -s -C "$out/build" -f "$here/torture/modules.mk" PG_CONFIG="$PG_CONFIG" >"$out/build/build.log" 2>&1 \
  || { tail -30 "$out/build/build.log" >&2; die "building regress.so failed"; }
if [ -z "${UNORDER_ROWS_INSTALLED:-}" ]; then
  log "installing unorder_rows from $repo"
  "$repo/test/install_extension.sh" >"$out/build/install.log" 2>&1 \
    || { tail -30 "$out/build/install.log" >&2; die "make install failed"; }
fi
chown -R "$run_user" "$out" "$srvdir"

# ------------------------------------------------------------------ runs
schedule=$regress_src/parallel_schedule
tests=()
if [ -n "$only_tests" ]; then
  # the first groups of the schedule create the shared tables other tests read
  schedule_args=()
  read -r -a tests <<<"test_setup create_index $only_tests"
else
  schedule_args=(--schedule="$schedule")
fi

crashed=()
# run_suite NAME ENABLED: a fresh cluster, the suite, the server log checked for crashes
run_suite() {
  local name=$1 enabled=$2 rc=0
  rm -rf "${srvdir:?}"/* "$out/run"
  # up to PostgreSQL 14, pg_regress writes the tests it generates from input/*.source into
  # sql/ and expected/, and the tablespace test needs testtablespace/ (made by the Makefile)
  mkdir -p "$out/run/sql" "$out/run/expected" "$out/run/testtablespace"
  chown -R "$run_user" "$out/run"
  ur_server_start "$srvdir" "$port" \
    shared_preload_libraries=unorder_rows unorder_rows.enabled="$enabled" unorder_rows.seed="$seed"
  log "$name run (unorder_rows.enabled=$enabled)"
  # Same output directory for both runs: pg_regress writes absolute paths of it into outputs.
  ur_as_server_user "$pg_regress" --bindir="$bindir" --inputdir="$regress_src" --outputdir="$out/run" \
    --dlpath="$out/build" --host="$srvdir" --port="$port" --max-concurrent-tests=20 \
    --no-locale --encoding=UTF8 "${schedule_args[@]}" "${tests[@]}" >"$out/run/pg_regress.log" 2>&1 || rc=$?
  ur_server_stop "$srvdir"
  cp "$srvdir/server.log" "$out/run/server.log"
  [ -d "$out/run/results" ] || { tail -20 "$out/run/pg_regress.log" >&2; die "pg_regress did not run (exit $rc)"; }
  if grep -Eq 'terminated by signal|TRAP:|PANIC' "$out/run/server.log"; then
    crashed+=("$name")
    grep -E -B2 -A2 'terminated by signal|TRAP:|PANIC' "$out/run/server.log" | head -40 >&2
  fi
  mv "$out/run" "$out/$name"
}

start=$SECONDS
if [ "$baseline" = 1 ]; then run_suite baseline off; fi
run_suite torture on

# ------------------------------------------------------------------ classify
args=(--schedule "$schedule" --sql-dir "$regress_src/sql" --sql-dir "$out/torture/sql"
  --expected-dir "$regress_src/expected" --expected-dir "$out/torture/expected"
  --results "$out/torture/results" --allowed "$here/torture/allowed.txt" --out "$out/report")
[ -z "$only_tests" ] || args+=(--tests "${tests[*]}")
[ "$baseline" = 1 ] && args+=(--baseline "$out/baseline/results")
status=0
python3 "$here/torture/classify.py" "${args[@]}" || status=1
for name in "${crashed[@]}"; do
  echo "FAILED: the server crashed during the $name run (see $out/$name/server.log)"
  status=1
done
log "done in $((SECONDS - start)) s; classification in $out/report/classification.txt"
[ "$status" = 0 ] || log "failure diffs in $out/report/*.diff"
exit "$status"
