#!/usr/bin/env bash
# Entrypoint of the unorder_rows test image (docker/Dockerfile).
#
# Turns UNORDER_ROWS_* environment variables into `postgres -c` flags, then hands over to the
# official image's docker-entrypoint.sh (POSTGRES_PASSWORD, initdb scripts, ... work as usual).
# The environment also works where the command cannot be changed, e.g. GitHub Actions services.
#
#   UNORDER_ROWS_ENABLED=on|off   the server-wide switch; the image sets on (Dockerfile ENV).
#                                 Set it empty to leave the switch to postgresql.conf/ALTER SYSTEM.
#   UNORDER_ROWS_SEED=N           a fixed seed, to replay a failing run (0: a seed per session)
#   UNORDER_ROWS_MODE=shuffle|reverse
#
# The flags go before the command's own, so an explicit `-c unorder_rows.enabled=...` wins.
# (The library itself is preloaded by the configuration every new cluster gets.)
set -Eeuo pipefail

if [ $# -eq 0 ] || [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "$1" = postgres ]; then
  shift
  flags=()
  [ -n "${UNORDER_ROWS_ENABLED:-}" ] && flags+=(-c "unorder_rows.enabled=$UNORDER_ROWS_ENABLED")
  [ -n "${UNORDER_ROWS_SEED:-}" ] && flags+=(-c "unorder_rows.seed=$UNORDER_ROWS_SEED")
  [ -n "${UNORDER_ROWS_MODE:-}" ] && flags+=(-c "unorder_rows.mode=$UNORDER_ROWS_MODE")
  set -- postgres "${flags[@]}" "$@"
fi
# (UNORDER_ROWS_NEXT_ENTRYPOINT only exists so that docker/test-install-script.sh can run this
# file without Docker.)
exec "${UNORDER_ROWS_NEXT_ENTRYPOINT:-docker-entrypoint.sh}" "$@"
