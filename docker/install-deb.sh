#!/bin/sh
# Install unorder_rows from its Debian package and preload it in every new cluster.
#
#   docker/install-deb.sh /path/postgresql-NN-unorder-rows_VERSION_ARCH.deb [CONFIG_SAMPLE]
#
# apt-get installs the package (its dependency, Debian's or apt.postgresql.org's postgresql-NN,
# is normally there already); CONFIG_SAMPLE, when given, is the postgresql.conf sample initdb
# copies, to which `shared_preload_libraries = 'unorder_rows'` is appended once.  Used by
# docker/Dockerfile.deb (sample: the official image's /usr/share/postgresql/postgresql.conf.sample)
# and by test/debian_package.sh in a clean Debian root, which checks that a new cluster then
# preloads the library.
set -eu
deb=${1:?usage: install-deb.sh PACKAGE.deb [CONFIG_SAMPLE]}
sample=${2:-}
case "$deb" in /*) ;; *) deb=$PWD/$deb ;; esac
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
package=$(dpkg-deb -f "$deb" Package)
dpkg -L "$package" | grep -E '/unorder_rows(\.so|\.control)$'
if [ -n "$sample" ]; then
  [ -f "$sample" ] || { echo "install-deb.sh: $sample does not exist" >&2; exit 1; }
  if ! grep -q '^# unorder_rows: preloaded' "$sample"; then
    cat >>"$sample" <<'CONF'

# unorder_rows: preloaded (added by install-deb.sh). The switch itself,
# unorder_rows.enabled, is off unless set: postgres -c unorder_rows.enabled=on, ALTER SYSTEM,
# ALTER DATABASE/ROLE, PGOPTIONS, or SET unorder_rows = on in a session.
# To preload other libraries too, list them all: -c shared_preload_libraries=unorder_rows,other
shared_preload_libraries = 'unorder_rows'
CONF
  fi
  echo "install-deb.sh: $sample preloads unorder_rows"
fi
