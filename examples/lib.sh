# shellcheck shell=bash
# Helpers shared by the example runners (sourced, not run).
#
#   ur_setup_pg             sets PG_CONFIG, PG_BINDIR; installs unorder_rows if it is missing
#   ur_start_server VAR [name=value ...]
#                           starts a throwaway server (test/server.sh), sets VAR to its
#                           directory and exports PGHOST/PGPORT/PGUSER; stopped on exit
#   ur_plugin_python DIR    makes a virtual environment in DIR that sees Debian's Python
#                           packages, installs the pytest plugin (python/) into it as a user
#                           would (pip, no network) and prints its interpreter
# and everything test/server.sh offers (ur_workdir, ur_on_exit, ...).
#
# Environment: PG_CONFIG (default: UR_DEFAULT_PG_CONFIG of test/server.sh), UNORDER_ROWS_INSTALL=always
# to rebuild and reinstall the extension from this checkout even if one is installed.

# shellcheck source=SCRIPTDIR/../test/server.sh
. "$(dirname "${BASH_SOURCE[0]}")/../test/server.sh"

ur_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "need root (or sudo) for: $*" >&2; return 1
  fi
}

ur_setup_pg() {
  ur_pg_config
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
  ur_workdir dir example
  port=$(ur_free_port)
  ur_server_start "$dir" "$port" "$@"
  printf -v "$var" '%s' "$dir"
  export PGHOST=$dir PGPORT=$port PGUSER=postgres
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
