#!/usr/bin/env bash
# Build unorder_rows from this source tree and install it into a Debian-packaged PostgreSQL.
#
#   docker/install-unorder-rows.sh [--pg-major N] [--src DIR] [--remove-build-deps]
#                                  [--preload-config FILE] [--no-apt]
#
# Works on Debian/Ubuntu with PostgreSQL from Debian or from apt.postgresql.org, which
# includes the official `postgres` Docker image (docker/Dockerfile runs this script). As root
# it installs what building needs with apt-get (make, g++, postgresql-server-dev-N); as
# another user it uses sudo for apt-get and `make install`.
#
#   --pg-major N          PostgreSQL major version to build for. Default: $PG_MAJOR (set in the
#                         official image), else the only /usr/lib/postgresql/N with a server.
#   --src DIR             source tree (default: the tree this script is in). It is copied to a
#                         temporary directory and built there, so DIR is never written to.
#   --remove-build-deps   after installing, purge exactly the packages this run installed
#                         (for image builds: keeps the image small). The shared library's own
#                         runtime dependencies are kept.
#   --preload-config FILE append `shared_preload_libraries = 'unorder_rows'` to FILE, once.
#                         The image uses it on /usr/share/postgresql/postgresql.conf.sample,
#                         which initdb copies into every new cluster. Only the library is
#                         preloaded this way, not switched on: initdb runs with this file, and
#                         its own SQL must not be perturbed (the image's entrypoint turns the
#                         switch on: docker/unorder-rows-entrypoint.sh).
#   --no-apt              never call apt-get: fail if a build dependency is missing.
#
# PG_CONFIG=/path/to/pg_config overrides the pg_config derived from --pg-major.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$script_dir/.." && pwd)
pg_major=${PG_MAJOR:-}
remove_build_deps=no
preload_config=""
use_apt=yes

say() { echo "install-unorder-rows: $*"; }
die() { echo "install-unorder-rows: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --pg-major) pg_major=${2:?--pg-major needs a value}; shift 2 ;;
    --pg-major=*) pg_major=${1#*=}; shift ;;
    --src) src=$(cd "${2:?--src needs a value}" && pwd); shift 2 ;;
    --src=*) src=$(cd "${1#*=}" && pwd); shift ;;
    --remove-build-deps) remove_build_deps=yes; shift ;;
    --preload-config) preload_config=${2:?--preload-config needs a value}; shift 2 ;;
    --preload-config=*) preload_config=${1#*=}; shift ;;
    --no-apt) use_apt=no; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

if [ ! -f "$src/unorder_rows.control" ] || [ ! -f "$src/Makefile" ]; then
  die "$src is not an unorder_rows source tree (no unorder_rows.control / Makefile)"
fi

# ------------------------------------------------------------ which PostgreSQL
if [ -z "$pg_major" ] && [ -z "${PG_CONFIG:-}" ]; then
  majors=()
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$d" ] && majors+=("$(basename "$(dirname "$(dirname "$d")")")")
  done
  [ ${#majors[@]} -eq 1 ] || die "cannot tell which PostgreSQL to build for (found: ${majors[*]:-none}); pass --pg-major N"
  pg_major=${majors[0]}
fi
if [ -z "$pg_major" ]; then
  pg_major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
fi
case "$pg_major" in
  13|14|15|16|17|18) ;;
  *) die "PostgreSQL $pg_major is not supported (13 to 18)" ;;
esac
pg_config=${PG_CONFIG:-/usr/lib/postgresql/$pg_major/bin/pg_config}

# -------------------------------------------------------------- build deps
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: run as root"
  sudo=sudo
fi

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
has_server_headers() {
  [ -x "$pg_config" ] && [ -f "$("$pg_config" --includedir-server 2>/dev/null)/postgres.h" ]
}
missing=()
for p in make g++; do
  is_installed "$p" || missing+=("$p")
done
# The server headers (and, on Debian, pg_config) come with postgresql-server-dev-N; a source
# build given by PG_CONFIG has its own.
has_server_headers || missing+=("postgresql-server-dev-$pg_major")

installed_before=""
if [ ${#missing[@]} -gt 0 ]; then
  [ "$use_apt" = yes ] || die "missing build dependencies: ${missing[*]} (and --no-apt given)"
  say "installing build dependencies: ${missing[*]}"
  installed_before=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort)
  export DEBIAN_FRONTEND=noninteractive
  # A package list is needed first in a fresh image (the official image deletes its lists).
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null \
     || ! apt-cache show "postgresql-server-dev-$pg_major" >/dev/null 2>&1; then
    $sudo apt-get update -qq
  fi
  apt-cache show "postgresql-server-dev-$pg_major" >/dev/null 2>&1 \
    || die "no package postgresql-server-dev-$pg_major in the configured apt sources (add apt.postgresql.org for PostgreSQL versions your distribution does not ship)"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x "$pg_config" ] || die "$pg_config not found (is postgresql-server-dev-$pg_major installed?)"
say "building for $("$pg_config" --version) ($pg_config)"

# -------------------------------------------------------------- build, install
build=$(mktemp -d "${TMPDIR:-/tmp}/unorder_rows_build.XXXXXX")
trap 'rm -rf "$build"' EXIT
# Copy the tree without VCS data and build products, so a developer's own build in $src
# (or a read-only bind mount) is never touched.
tar -C "$src" --exclude=./.git --exclude=./build --exclude=./results \
    --exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude='*.tar.gz' -cf - . | tar -C "$build" -xf -
jobs=$(nproc 2>/dev/null || echo 2)
make -C "$build" -s -j"$jobs" PG_CONFIG="$pg_config" >"$build/build.log" 2>&1 \
  || { tail -40 "$build/build.log" >&2; die "build failed"; }
$sudo make -C "$build" -s PG_CONFIG="$pg_config" install >>"$build/build.log" 2>&1 \
  || { tail -40 "$build/build.log" >&2; die "make install failed"; }

pkglibdir=$("$pg_config" --pkglibdir)
sharedir=$("$pg_config" --sharedir)
library=$pkglibdir/unorder_rows.so
[ -f "$library" ] || die "$library was not installed"
[ -f "$sharedir/extension/unorder_rows.control" ] || die "$sharedir/extension/unorder_rows.control was not installed"
say "installed $library and $sharedir/extension/unorder_rows.control"

# ----------------------------------------------------- preload configuration
if [ -n "$preload_config" ]; then
  [ -f "$preload_config" ] || die "--preload-config: $preload_config does not exist"
  if grep -q '^# unorder_rows: preloaded' "$preload_config"; then
    say "$preload_config already preloads unorder_rows"
  else
    $sudo tee -a "$preload_config" >/dev/null <<'CONF'

# unorder_rows: preloaded (added by install-unorder-rows.sh). The switch itself,
# unorder_rows.enabled, is off unless set: postgres -c unorder_rows.enabled=on, ALTER SYSTEM,
# ALTER DATABASE/ROLE, PGOPTIONS, or SET unorder_rows = on in a session.
# To preload other libraries too, list them all: -c shared_preload_libraries=unorder_rows,other
shared_preload_libraries = 'unorder_rows'
CONF
    say "$preload_config now preloads unorder_rows"
  fi
fi

# ------------------------------------------------------- remove build deps
if [ "$remove_build_deps" = yes ]; then
  if [ -z "$installed_before" ]; then
    say "--remove-build-deps: this run installed no package, nothing to remove"
  else
    installed_after=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort)
    added=$(comm -13 <(echo "$installed_before") <(echo "$installed_after"))
    # Keep every package that provides a library unorder_rows.so links against.
    keep=$(ldd "$library" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
             | while read -r lib; do dpkg-query -S "$(readlink -f "$lib")" 2>/dev/null || dpkg-query -S "$lib" 2>/dev/null || true; done \
             | cut -d: -f1 | sort -u)
    remove=$(comm -23 <(echo "$added") <(echo "$keep" | sed '/^$/d' | sort -u) | sed 's/:.*$//' | sort -u)
    if [ -n "$remove" ]; then
      say "removing the $(echo "$remove" | wc -l) packages this run installed"
      # shellcheck disable=SC2086
      $sudo apt-get purge -y -qq $remove >/dev/null
    fi
    # The library must still resolve every shared object it needs.
    if ldd "$library" | grep -q 'not found'; then
      ldd "$library" >&2
      die "removing build dependencies broke $library"
    fi
  fi
fi
say "done"
