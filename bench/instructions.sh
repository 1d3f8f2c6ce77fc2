#!/usr/bin/env bash
# bench/instructions.sh — what unorder_rows costs per statement, in instructions the backend runs.
#
#   bench/instructions.sh              # about 3-5 minutes on 2 vCPUs
#   N=500 bench/instructions.sh        # statements per measured session (default 1000)
#
# Timings of small statements on a shared host swing by 10-30 % from one round to the next (see
# bench/RESULTS.md), more than the few per cent this is about.  Instructions do not: the server
# runs under valgrind's callgrind (the machine has no hardware counters to read), every backend
# writes its own count, and the count of a statement is the same in every run to within 0.2 %.  Callgrind slows the server some 50-fold, so this counts and does not time;
# cache misses and lock waits are not in it.
#
# For each configuration and statement, two sessions run N and 2N statements; the count per
# statement is (count(2N) - count(N)) / N, so connection set-up and library loading cancel out.
# Configurations: none (a server without the library), off (shared_preload_libraries, switch
# off), on (the same server, unorder_rows = on).  Statements, over pgbench_accounts (pgbench -i,
# scale 1), each with its own constant as the simple protocol sends it:
#   pk      SELECT abalance FROM pgbench_accounts WHERE aid = K       (pgbench -S; Django get(pk=))
#   range10 SELECT aid, abalance FROM pgbench_accounts WHERE aid BETWEEN K AND K + 9   (a node)
#   sorted10 the same ORDER BY aid                                     (unique order: no node)
# Measures the library installed in $PG_CONFIG's pkglibdir (`make install` first), or the one at
# the path $BENCH_LIB (another build, to compare two in turn).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../test/server.sh
. test/server.sh
ur_pg_config
BINDIR=$("$PG_CONFIG" --bindir)
N=${N:-1000}
LIB=${BENCH_LIB:-unorder_rows}
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

work=""
ur_workdir work bench_instructions
chmod 777 "$work"
PORT=$(ur_free_port)
PSQL=("$BINDIR/psql" -X -q -h "$work" -p "$PORT" -U postgres -d postgres)

# the data, with a normal server
ur_server_start "$work" "$PORT" >/dev/null
"$BINDIR/pgbench" -i -q -s 1 -h "$work" -p "$PORT" -U postgres postgres >"$work/pgbench.log" 2>&1
ur_server_stop "$work"

valgrind_pid=""
stop_valgrind_server() {
  [ -n "$valgrind_pid" ] || return 0
  ur_as_server_user "$BINDIR/pg_ctl" -D "$work/data" -m fast -w -t 120 stop >/dev/null 2>&1 || true
  wait "$valgrind_pid" 2>/dev/null || true
  valgrind_pid=""
}
ur_on_exit stop_valgrind_server

# start_counting_server PRELOAD: the postmaster under callgrind; its backends (forks) are counted too
start_counting_server() {
  ur_as_server_user valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" --dump-instr=no \
    "$BINDIR/postgres" -D "$work/data" -p "$PORT" -k "$work" -c listen_addresses= -c fsync=off \
    -c jit=off -c autovacuum=off -c shared_preload_libraries="$1" >"$work/valgrind.log" 2>&1 &
  valgrind_pid=$!
  local i
  for ((i = 0; i < 600; i++)); do
    if "$BINDIR/pg_isready" -q -h "$work" -p "$PORT"; then
      # the first session after a start writes the relation cache's init file and more: not counted
      "${PSQL[@]}" -c "SELECT count(*) FROM pgbench_accounts WHERE aid < 100" >/dev/null
      return 0
    fi
    sleep 0.5
  done
  echo "instructions.sh: the server under valgrind did not start" >&2
  tail -20 "$work/valgrind.log" >&2
  return 1
}

statement() { # KIND K
  case $1 in
    pk) echo "SELECT abalance FROM pgbench_accounts WHERE aid = $2;" ;;
    range10) echo "SELECT aid, abalance FROM pgbench_accounts WHERE aid BETWEEN $2 AND $2 + 9;" ;;
    sorted10) echo "SELECT aid, abalance FROM pgbench_accounts WHERE aid BETWEEN $2 AND $2 + 9 ORDER BY aid;" ;;
  esac
}

# session_count CONFIG KIND COUNT: instructions of one backend that ran COUNT statements
session_count() {
  local config=$1 kind=$2 count=$3 file i pid options=""
  [ "$config" = on ] && options="-c unorder_rows=on"
  file="$work/$config-$kind-$count.sql"
  {
    echo "SELECT pg_backend_pid() AS pid \\gset"
    echo "\\o /dev/null"
    for ((i = 0; i < count; i++)); do statement "$kind" $(((i * 7919) % 99990 + 1)); done
    echo "\\o"
    echo "SELECT :pid;"
  } >"$file"
  pid=$(PGOPTIONS=$options "${PSQL[@]}" -At -f "$file" | tail -1)
  # callgrind writes the count when the backend exits, just after the client leaves
  for ((i = 0; i < 600; i++)); do
    if [ -f "$work/cg.$pid" ] && grep -q '^totals:' "$work/cg.$pid"; then
      awk '/^totals:/ {print $2}' "$work/cg.$pid"
      return 0
    fi
    sleep 0.2
  done
  echo "instructions.sh: no count from backend $pid" >&2
  return 1
}

declare -A PER
KINDS=(pk range10 sorted10)
measure() { # CONFIG
  local kind one two
  for kind in "${KINDS[@]}"; do
    one=$(session_count "$1" "$kind" "$N")
    two=$(session_count "$1" "$kind" $((2 * N)))
    PER[$1,$kind]=$(((two - one) / N))
    echo "  $1 $kind: $one instructions for $N statements, $two for $((2 * N)): ${PER[$1,$kind]} per statement" >&2
  done
}

if [ -n "${BENCH_LIB:-}" ]; then
  echo "== $("$PG_CONFIG" --version), library $LIB" >&2
else
  echo "== $("$PG_CONFIG" --version), library $("$PG_CONFIG" --pkglibdir)/unorder_rows.so, tree $(git rev-parse --short HEAD 2>/dev/null || echo '?')" >&2
fi
echo "== server without the library" >&2
start_counting_server ""
measure none
stop_valgrind_server
echo "== server with shared_preload_libraries = $LIB" >&2
start_counting_server "$LIB"
measure off
measure on
stop_valgrind_server

echo
echo "instructions per statement (callgrind, simple protocol, $N vs $((2 * N)) statements per session)"
printf '  %-9s %10s %10s %10s %14s %14s\n' statement none off on "off vs none" "on vs off"
for kind in "${KINDS[@]}"; do
  none=${PER[none,$kind]} off=${PER[off,$kind]} on=${PER[on,$kind]}
  printf '  %-9s %10d %10d %10d %+8d %+5.1f%% %+8d %+5.1f%%\n' "$kind" "$none" "$off" "$on" \
    $((off - none)) "$(echo "100 * ($off - $none) / $none" | bc -l)" \
    $((on - off)) "$(echo "100 * ($on - $off) / $off" | bc -l)"
done
