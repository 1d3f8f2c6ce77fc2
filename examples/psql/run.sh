#!/usr/bin/env bash
# The psql example: run order_dependent.sql and fixed.sql against a throwaway PostgreSQL, with
# unorder_rows off and on, and check both outcomes:
#   off: both scripts pass (exit 0, every check "ok");
#   on:  order_dependent.sql fails (exit 3, every check "not ok"), fixed.sql passes.
#
# The server is an "existing server" that does not preload the library; it is turned on the two
# ways docs/ci-recipes.md gives for such a server:
#   PGOPTIONS='-c session_preload_libraries=unorder_rows -c unorder_rows.enabled=on'  (superuser)
#   ALTER DATABASE app_test SET session_preload_libraries = 'unorder_rows';
#   ALTER DATABASE app_test SET unorder_rows.enabled = on;
#
#   examples/psql/run.sh       (as root, or with sudo, if unorder_rows is not installed yet)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
ur_setup_pg
psql=("$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1)

server=""
ur_start_server server
echo "== $("$PG_CONFIG" --version), server in $server (library not preloaded)"
"${psql[@]}" -q -d postgres <<'SQL'
CREATE DATABASE app_test;
ALTER DATABASE app_test SET session_preload_libraries = 'unorder_rows';
ALTER DATABASE app_test SET unorder_rows.enabled = on;
SQL

status=0
runs=0
failed_runs=0
# check LABEL STATE SCRIPT EXPECT [env ...]: run SCRIPT with psql, expect STATE in its header
# line, and EXPECT=pass (exit 0, all ok) or fail (exit 3, all not ok).
check() {
  local label=$1 state=$2 script=$3 expect=$4 db=$5; shift 5
  local out rc ok notok plan header problems=()
  set +e
  out=$(cd "$here" && env "$@" "${psql[@]}" -d "$db" -f "$script" 2>&1)
  rc=$?
  set -e
  ok=$(grep -c '^ok ' <<<"$out" || true)
  notok=$(grep -c '^not ok ' <<<"$out" || true)
  plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$out")
  header=$(grep '^# unorder_rows:' <<<"$out" || true)
  [[ $header == "# unorder_rows: $state,"* ]] || problems+=("session state: '$header', expected $state")
  [ -n "$plan" ] && [ "$plan" -gt 0 ] || problems+=("no TAP plan line")
  if [ "$expect" = pass ]; then
    [ "$rc" = 0 ] || problems+=("psql exited $rc, expected 0")
    [ "$ok" = "$plan" ] && [ "$notok" = 0 ] || problems+=("$ok ok, $notok not ok of ${plan:-?}, expected all ok")
  else
    [ "$rc" = 3 ] || problems+=("psql exited $rc, expected 3 (the script's own failure)")
    [ "$notok" = "$plan" ] && [ "$ok" = 0 ] || problems+=("$ok ok, $notok not ok of ${plan:-?}, expected all not ok")
    grep -q "ERROR:  $plan of $plan checks failed" <<<"$out" || problems+=("no 'checks failed' error from finish.sql")
  fi
  runs=$((runs + 1))
  if [ ${#problems[@]} -eq 0 ]; then
    echo "  as expected: $label: $script ${expect}ed ($ok ok, $notok not ok, exit $rc)"
  else
    failed_runs=$((failed_runs + 1)); status=1
    echo "  MISMATCH: $label: $script: ${problems[*]}"
    printf '%s\n' "$out" | sed 's/^/    | /'
  fi
}

off_opts="PGOPTIONS=-c session_preload_libraries=unorder_rows -c unorder_rows.enabled=off"
on_opts="PGOPTIONS=-c session_preload_libraries=unorder_rows -c unorder_rows.enabled=on"

echo "== unorder_rows off (loaded through PGOPTIONS, switched off)"
check "off" off order_dependent.sql pass postgres "$off_opts"
check "off" off fixed.sql pass postgres "$off_opts"
echo "== unorder_rows on through PGOPTIONS"
check "on (PGOPTIONS)" on order_dependent.sql fail postgres "$on_opts"
check "on (PGOPTIONS)" on fixed.sql pass postgres "$on_opts"
echo "== unorder_rows on through ALTER DATABASE app_test SET ..."
check "on (ALTER DATABASE)" on order_dependent.sql fail app_test
check "on (ALTER DATABASE)" on fixed.sql pass app_test
echo "== one failing run, as a CI log shows it:"
(cd "$here" || exit; "${psql[@]}" -d app_test -f order_dependent.sql 2>&1 | sed 's/^/  | /') || true

if [ $status = 0 ]; then
  echo "== psql example: as expected ($runs runs)"
else
  echo "== psql example: FAILED ($failed_runs of $runs runs differ)"
fi
exit $status
