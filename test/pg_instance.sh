#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server from outside a shell script (the libpq integration
# tests call it through UNORDER_ROWS_PG_INSTANCE); shell scripts source test/server.sh instead.
#
#   test/pg_instance.sh start DIR PORT [postgres -c settings ...]   # initdb DIR/data if needed, start
#   test/pg_instance.sh stop DIR
#   test/pg_instance.sh restart DIR PORT [settings ...]              # stop, then start with new settings
#
# The server listens only on a Unix socket in DIR (no TCP), on PORT, with trust authentication
# for the user "postgres"; as root it runs as "postgres" (test/server.sh). PG_CONFIG selects the
# installation (default: pg_config on PATH). The server keeps running after this script exits.
set -euo pipefail
# shellcheck source=SCRIPTDIR/server.sh
. "$(dirname "${BASH_SOURCE[0]}")/server.sh"
action=${1:?usage: pg_instance.sh start|stop|restart DIR [PORT] [settings...]}
dir=${2:?missing DIR}
case "$action" in
  start) _ur_start "$dir" "${@:3}" ;;
  stop) _ur_stop "$dir" ;;
  restart) _ur_stop "$dir"; _ur_start "$dir" "${@:3}" ;;
  *) echo "pg_instance.sh: unknown action $action" >&2; exit 2 ;;
esac
