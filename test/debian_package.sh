#!/usr/bin/env bash
# Build the Debian package of unorder_rows and test what users install.  As root.
#
#   test/debian_package.sh 15     # bookworm: postgresql-15-unorder-rows
#   test/debian_package.sh 17     # trixie:   postgresql-17-unorder-rows
#
# 1. dpkg-buildpackage (debian/, pg_buildext) inside a cached Debian root of the suite whose
#    default PostgreSQL is the requested major (test/debian_root.sh); the build runs the
#    pg_regress suites against the files in debian/<package> (dh_pgxs_test).
# 2. A throwaway copy of a root holding only Debian's postgresql-NN (and, for pg_regress, its
#    PGXS files), which never saw the source tree: apt-get installs the .deb, dpkg must own the
#    library and the install scripts, and the autopkgtests run against the installed files
#    (debian/tests: the pg_regress suites via pg_buildext installcheck, then the demo on a
#    server that preloads the library).  The install is docker/install-deb.sh, the step of
#    docker/Dockerfile.deb; run again with the configuration sample, a new cluster must preload.  Only the suites' inputs (Makefile, sql/ without the
#    install scripts, expected/, debian/tests/) are copied in.
#
# The .deb and the build log stay in $UNORDER_ROWS_DEB_OUT (default build/deb/NN).
# Source: the working tree's files that git knows or would add (what `git status` shows).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
major=${1:?usage: test/debian_package.sh 15|17}
case "$major" in
  15) suite=bookworm ;;
  17) suite=trixie ;;
  *) echo "debian_package.sh: no Debian root for PostgreSQL $major (15: bookworm, 17: trixie)" >&2; exit 2 ;;
esac
roots=test/debian_root.sh
cache=${UNORDER_ROWS_ROOTS:-/var/cache/unorder_rows}
mkdir -p "$cache"
exec 9>"$cache/$suite-build.use.lock"; flock 9   # one build at a time in the suite's build root
# (each command below gets 9>&-: a server it starts must not keep holding the lock)
out=${UNORDER_ROWS_DEB_OUT:-$src/build/deb/$major}
start=$SECONDS

# the package's version: debian/changelog's, whose upstream part must be META.json's
debversion=$(dpkg-parsechangelog -l debian/changelog -S Version)
upstream=${debversion%-*}
name=$(dpkg-parsechangelog -l debian/changelog -S Source)

echo "== Debian package for PostgreSQL $major ($suite): $name $debversion"
build_root=$("$roots" ensure "$suite-build" "$suite" build-essential debhelper postgresql-server-dev-all postgresql-all \
  fakeroot | tail -1)
server_root_name=$suite-server
"$roots" ensure "$server_root_name" "$suite" "postgresql-$major" "postgresql-server-dev-$major" make >/dev/null

# 1. build: the upstream tarball (the tree without debian/) and the unpacked source
work=$build_root/build/unorder_rows
rm -rf "$work"; mkdir -p "$work/$name-$upstream"
git ls-files -z --cached --others --exclude-standard | grep -zv '^debian/' \
  | tar --null -T - -czf "$work/${name}_$upstream.orig.tar.gz" --transform "s,^,$name-$upstream/,"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$work/$name-$upstream"
mkdir -p "$out"; rm -f "$out"/*.deb
echo "== dpkg-buildpackage in $build_root (log: $out/build.log)"
if ! "$roots" run "$build_root" /bin/sh -ec 9>&- "
    cd /build/unorder_rows/$name-$upstream
    pg_buildext updatecontrol   # debian/control for the majors this suite supports
    grep -q '^Package: postgresql-$major-' debian/control
    dpkg-buildpackage -us -uc" >"$out/build.log" 2>&1; then
  tail -60 "$out/build.log"
  echo "== FAILED: dpkg-buildpackage for PostgreSQL $major" >&2
  exit 1
fi
grep -E '^(### |test |ok |not ok |.*tests passed|.*failed)' "$out/build.log" | tail -40 || true
cp "$work"/*.deb "$out/"
rm -rf "$work"
deb=$(ls "$out/postgresql-$major-$name"_*.deb)
echo "== built $(basename "$deb") in $((SECONDS - start)) s"
dpkg-deb -f "$deb" Package Version Depends
dpkg-deb -c "$deb" | awk '{print $6}' | grep -E '\.(so|control|sql)$'

# docker/Dockerfile.deb COPYs these files (no Docker engine here to build it)
sed -n 's/^COPY \([^ ]*\) .*/\1/p' docker/Dockerfile.deb | sed "s/\${PG_MAJOR}/$major/g" | while read -r f; do
  compgen -G "$f" >/dev/null || { echo "debian_package.sh: docker/Dockerfile.deb COPYs $f, which does not exist" >&2; exit 1; }
done

# 2. install into a root that never saw the source tree, and test the installed files
clean=$(mktemp -d /var/tmp/unorder_rows_deb.XXXXXX)
trap 'rm -rf "$clean"' EXIT
"$roots" clone "$server_root_name" "$clean/root"
mkdir -p "$clean/root/tmp/debs" "$clean/root/tmp/tests/sql"
cp "$deb" "$clean/root/tmp/debs/"
cp Makefile "$clean/root/tmp/tests/"
find sql -name '*.sql' ! -name 'unorder_rows--*' -exec cp {} "$clean/root/tmp/tests/sql/" \;
cp -r expected "$clean/root/tmp/tests/"
cp -r debian "$clean/root/tmp/tests/"   # pg_buildext reads pgversions
cp docker/install-deb.sh "$clean/root/tmp/debs/"
echo "== install $(basename "$deb") into a clean $suite root (docker/install-deb.sh), then the autopkgtests"
"$roots" run "$clean/root" /bin/bash -ec 9>&- "
  /tmp/debs/install-deb.sh /tmp/debs/$(basename "$deb")
  lib=\$(/usr/lib/postgresql/$major/bin/pg_config --pkglibdir)/unorder_rows.so
  dpkg -S \"\$lib\"
  dpkg -S /usr/share/postgresql/$major/extension/unorder_rows--0.1--0.2.sql
  cd /tmp/tests
  mkdir -p /tmp/autopkgtest && chmod 1777 /tmp/autopkgtest
  echo '### autopkgtest installcheck'
  AUTOPKGTEST_TMP=/tmp/autopkgtest debian/tests/installcheck
  echo '### autopkgtest demo'
  AUTOPKGTEST_TMP=/tmp/autopkgtest debian/tests/demo
  echo '### docker/install-deb.sh with a configuration sample, as docker/Dockerfile.deb runs it'
  sample=/usr/share/postgresql/$major/postgresql.conf.sample
  /tmp/debs/install-deb.sh /tmp/debs/$(basename "$deb") \$sample
  /tmp/debs/install-deb.sh /tmp/debs/$(basename "$deb") \$sample >/dev/null   # once only
  [ \$(grep -c '^shared_preload_libraries = .unorder_rows.' \$sample) = 1 ]
  cd /tmp/autopkgtest
  pg_virtualenv -v $major psql -XAt -o /tmp/preload.out -c 'SHOW shared_preload_libraries' -d postgres >/dev/null
  preload=\$(cat /tmp/preload.out)
  echo \"a new cluster preloads: \$preload\"
  [ \"\$preload\" = unorder_rows ]"
echo "== PostgreSQL $major: package built, installed and tested in $((SECONDS - start)) s"
