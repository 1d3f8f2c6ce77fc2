# shellcheck shell=bash
# Throwaway PostgreSQL servers for the test scripts, the examples and the demo (sourced, not run).
#
#   ur_pg_config                  exports PG_CONFIG: as given, else UR_DEFAULT_PG_CONFIG, else the
#                                 pg_config on PATH
#   ur_free_port [COUNT]          prints a port P such that P .. P+COUNT-1 are all free
#   ur_workdir VAR NAME           makes a temporary directory, sets VAR to it; removed on exit
#                                 (declare VAR first: shellcheck cannot see the assignment)
#   ur_keep DIR                   leaves DIR in place on exit (and says so)
#   ur_server_start DIR PORT [name=value ...]
#                                 initdb DIR/data if needed and start a server on a Unix socket in
#                                 DIR only (no TCP), trust authentication, user "postgres";
#                                 stopped on exit
#   ur_server_stop DIR            stops it (nothing if it is not running)
#   ur_server_restart DIR PORT [name=value ...]
#   ur_as_server_user CMD ...     runs CMD as the user servers run as
#   ur_on_exit CMD [ARG ...]      runs CMD (a command or function) on exit, before servers are stopped and directories removed
#
# Sourcing installs the one EXIT trap that does all the cleaning up; scripts add to it through
# ur_on_exit instead of setting their own.  initdb and postgres refuse to run as root, so as root
# the servers run as the unprivileged user "postgres" (created if missing).

# The one place that names the default PostgreSQL, and the assertion-enabled build the fuzzing
# and load tests default to (../shared/tools/pgbuild 15 --cassert).
UR_DEFAULT_PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
# shellcheck disable=SC2034 # used by the scripts that source this one
UR_CASSERT_PG_CONFIG=/opt/pg/15-cassert/bin/pg_config
# shellcheck disable=SC2034 # used by the scripts that source this one
ur_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

_ur_servers=()
_ur_dirs=()
_ur_kept=()
_ur_exit_commands=()

ur_pg_config() {
  if [ -z "${PG_CONFIG:-}" ]; then
    PG_CONFIG=$UR_DEFAULT_PG_CONFIG
    [ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config || true)
  fi
  export PG_CONFIG
}

# _ur_port_free PORT: nobody listens on PORT over TCP and no Unix socket of that port is known.
_ur_port_free() {
  local port=$1
  [ -e "/tmp/.s.PGSQL.$port" ] && return 1
  [ -e "/var/run/postgresql/.s.PGSQL.$port" ] && return 1
  if command -v ss >/dev/null; then
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 1
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 1
  return 0
}

# shellcheck disable=SC2120 # COUNT is optional
ur_free_port() {
  local count=${1:-1} tries port i ok
  for ((tries = 0; tries < 200; tries++)); do
    port=$((20000 + RANDOM % 40000))
    ok=1
    for ((i = 0; i < count; i++)); do
      _ur_port_free $((port + i)) || { ok=0; break; }
    done
    [ "$ok" = 1 ] && { echo "$port"; return 0; }
  done
  echo "ur_free_port: no $count free port(s) found" >&2
  return 1
}

ur_workdir() {
  # no locals: printf -v must reach the caller's VAR, whatever its name
  _ur_new_dir=$(mktemp -d "${TMPDIR:-/tmp}/unorder_rows_$2.XXXXXX")
  chmod 755 "$_ur_new_dir" # the server user keeps its socket and log below
  _ur_dirs+=("$_ur_new_dir")
  printf -v "$1" '%s' "$_ur_new_dir"
}

ur_keep() { _ur_kept+=("$1"); }

ur_on_exit() { _ur_exit_commands+=("$(printf '%q ' "$@")"); }

ur_as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# _ur_start DIR PORT [settings]: start without registering the server for the exit trap.
_ur_start() {
  local dir=$1 port=${2:?missing PORT} bindir opts setting
  shift 2
  bindir=$("${PG_CONFIG:-pg_config}" --bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    ur_as_server_user true
    chown postgres "$dir" 2>/dev/null || true
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    ur_as_server_user "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  opts="-p $port -k $dir -c listen_addresses= -c fsync=off"
  for setting in "$@"; do opts+=" -c $setting"; done
  ur_as_server_user "$bindir/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -20 "$dir/server.log" >&2; return 1; }
}

# _ur_stop DIR: stop the server in DIR if it runs.
_ur_stop() {
  local dir=$1 bindir
  [ -f "$dir/data/postmaster.pid" ] || return 0
  bindir=$("${PG_CONFIG:-pg_config}" --bindir)
  ur_as_server_user "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
}

ur_server_start() {
  local dir=$1 known
  for known in "${_ur_servers[@]}"; do [ "$known" = "$dir" ] && break; done
  [ "${known:-}" = "$dir" ] || _ur_servers+=("$dir")
  _ur_start "$@"
}

ur_server_stop() { _ur_stop "$1"; }

ur_server_restart() {
  ur_server_stop "$1"
  ur_server_start "$@"
}

# The EXIT trap: registered commands, then servers, then directories; the exit status is kept.
_ur_exit() {
  local rc=$? i dir kept
  set +e
  for ((i = ${#_ur_exit_commands[@]} - 1; i >= 0; i--)); do eval "${_ur_exit_commands[i]}"; done
  for dir in "${_ur_servers[@]}"; do _ur_stop "$dir" >/dev/null 2>&1; done
  for dir in "${_ur_dirs[@]}"; do
    for kept in "${_ur_kept[@]}"; do [ "$kept" = "$dir" ] && break; done
    if [ "${kept:-}" = "$dir" ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
  done
  exit "$rc"
}
trap _ur_exit EXIT
