#!/usr/bin/env bash
# The release tarball (`make dist`, the zip PGXN takes) builds and passes its pg_regress suites
# on its own: unpacked alone, away from this tree, with its own Makefile.  As root.
#
#   test/dist_check.sh
#
# `make dist` archives the committed tree (HEAD).  The check runs inside the cached trixie
# root of test/trixie_pg17.sh (PostgreSQL 17, build tools; test/debian_root.sh), so that it
# neither needs nor overwrites the host's shared PostgreSQL installation.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
zip=$(make -s dist | sed -n 's/^dist: //p')
[ -f "$zip" ] || { echo "dist_check.sh: make dist made no tarball" >&2; exit 1; }
echo "== $zip: unpack alone, build, install, pg_regress (PostgreSQL 17, trixie root)"
root=$(test/trixie_pg17.sh --root-only | tail -1)
exec 9>"${UNORDER_ROWS_ROOTS:-/var/cache/unorder_rows}/trixie-pg17.use.lock"; flock 9   # its PostgreSQL 17
rm -rf "$root/dist"; mkdir -p "$root/dist"
mv "$zip" "$root/dist/"
test/debian_root.sh run "$root" /bin/bash -ec 9>&- "
  cd /dist
  unzip -q $zip
  cd ${zip%.zip}
  export PG_CONFIG=/usr/lib/postgresql/17/bin/pg_config
  make -s -j\$(nproc) >/dev/null
  make -s install >/dev/null
  . test/server.sh
  srv=''
  ur_workdir srv dist_check
  port=\$(ur_free_port)
  ur_server_start \$srv \$port
  mkdir -p build/regress
  if ! make -s installcheck PGHOST=\$srv PGPORT=\$port PGUSER=postgres; then
    cat build/regress/regression.diffs 2>/dev/null | head -100
    exit 1
  fi"
rm -rf "$root/dist"
echo "== $zip: built and passed its pg_regress suites alone in $((SECONDS - start)) s"
