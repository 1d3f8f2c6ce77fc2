#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server for the tests.
#
#   test/pg_instance.sh start DIR PORT [postgres -c settings ...]   # initdb DIR/data if needed, start
#   test/pg_instance.sh stop DIR
#   test/pg_instance.sh restart DIR PORT [settings ...]              # stop, then start with new settings
#
# The server listens only on a Unix socket in DIR (no TCP), on PORT, with trust
# authentication for the local user. initdb and postgres refuse to run as root,
# so as root everything runs as the unprivileged user "postgres" (created if missing).
# PG_CONFIG selects the installation (default: pg_config on PATH).
set -euo pipefail
action=${1:?usage: pg_instance.sh start|stop|restart DIR [PORT] [settings...]}
dir=${2:?missing DIR}
bindir=$("${PG_CONFIG:-pg_config}" --bindir)

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local port=${1:?missing PORT}; shift
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir" 2>/dev/null || true
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  local opts="-p $port -k $dir -c listen_addresses= -c fsync=off"
  local setting
  for setting in "$@"; do opts+=" -c $setting"; done
  as_owner "$bindir/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -20 "$dir/server.log" >&2; exit 1; }
}

stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
}

case "$action" in
  start) start "${@:3}" ;;
  stop) stop ;;
  restart) stop; start "${@:3}" ;;
  *) echo "pg_instance.sh: unknown action $action" >&2; exit 2 ;;
esac
