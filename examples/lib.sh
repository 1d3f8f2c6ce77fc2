# shellcheck shell=bash
# Helpers shared by the example runners (sourced, not run).
#
#   ur_setup_pg             sets PG_CONFIG, PG_BINDIR; installs unorder_rows if it is missing
#   ur_start_server VAR [name=value ...]
#                           starts a throwaway server (test/pg_instance.sh), sets VAR to its
#                           directory and exports PGHOST/PGPORT/PGUSER; stopped on exit
#   ur_plugin_python DIR    makes a virtual environment in DIR that sees Debian's Python
#                           packages, installs the pytest plugin (python/) into it as a user
#                           would (pip, no network) and prints its interpreter
#
# Environment: PG_CONFIG (default: Debian's PostgreSQL 15), UNORDER_ROWS_INSTALL=always to
# rebuild and reinstall the extension from this checkout even if one is installed.

ur_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ur_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "need root (or sudo) for: $*" >&2; return 1
  fi
}

ur_setup_pg() {
  if [ -z "${PG_CONFIG:-}" ]; then
    PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
    [ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config || true)
  fi
  if [ -z "$PG_CONFIG" ] || [ ! -x "$PG_CONFIG" ]; then
    # Nothing installed yet: the install script brings the server headers and pg_config.
    ur_as_root "$ur_repo/docker/install-unorder-rows.sh" --pg-major "${PG_MAJOR:-15}"
    PG_CONFIG=/usr/lib/postgresql/${PG_MAJOR:-15}/bin/pg_config
  fi
  export PG_CONFIG
  PG_BINDIR=$("$PG_CONFIG" --bindir)
  if [ ! -x "$PG_BINDIR/postgres" ]; then
    local major; major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
    echo "== installing the PostgreSQL $major server (postgresql-$major)"
    ur_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "postgresql-$major" >/dev/null
  fi
  local lib; lib="$("$PG_CONFIG" --pkglibdir)/unorder_rows.so"
  if [ "${UNORDER_ROWS_INSTALL:-missing}" = always ] || [ ! -f "$lib" ]; then
    echo "== building and installing unorder_rows (docker/install-unorder-rows.sh)"
    ur_as_root env PG_CONFIG="$PG_CONFIG" "$ur_repo/docker/install-unorder-rows.sh"
  fi
}

ur_start_server() {
  local var=$1; shift
  local dir port
  dir=$(mktemp -d "${TMPDIR:-/tmp}/unorder_rows_example.XXXXXX")
  chmod 755 "$dir"
  port=$(( 20000 + RANDOM % 20000 ))
  _ur_servers+=("$dir")
  trap _ur_cleanup EXIT
  "$ur_repo/test/pg_instance.sh" start "$dir" "$port" "$@"
  printf -v "$var" '%s' "$dir"
  export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

_ur_servers=()
_ur_cleanup() {
  local d
  for d in "${_ur_servers[@]}"; do
    "$ur_repo/test/pg_instance.sh" stop "$d" || true
    rm -rf "$d"
  done
}

ur_plugin_python() {
  local venv=$1 copy
  if ! /usr/bin/python3 -c 'import venv, ensurepip, setuptools' 2>/dev/null; then
    echo "== installing python3-venv python3-setuptools" >&2
    ur_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3-venv python3-setuptools python3-wheel >/dev/null
  fi
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  # pip builds in the source folder: build a copy, so the checkout stays clean
  copy=$(mktemp -d "${TMPDIR:-/tmp}/unorder_rows_plugin_src.XXXXXX")
  cp -r "$ur_repo/python/." "$copy"
  "$venv/bin/pip" install -q --no-build-isolation --no-index "$copy" >&2
  rm -rf "$copy"
  echo "$venv/bin/python"
}
