#!/usr/bin/env bash
# The backend's CPU time of one-million-row reads, two builds of unorder_rows side by side.
#
#   bench/cpu_time.sh OLD.so NEW.so     # e.g. main's build against a branch's (about 3 minutes)
#   bench/cpu_time.sh                   # the installed library alone
#
# bench/run.sh times statements by the wall clock; on a shared host whose vCPUs drift, runs of
# one configuration spread by 30-60 % there (bench/RESULTS.md), more than the 10 % questions
# this answers. Here each statement is measured by the CPU time its backend used (utime + stime
# from /proc/<pid>/stat, which host steal does not inflate), the builds and configurations
# interleaved round by round, and the median of each cell reported:
#   off      COPY (SELECT * FROM t) TO '/dev/null', unorder_rows off
#   on       the same, on (a block-shuffled scan)
#   buf-WM   the same, on with unorder_rows.block_scans off (the buffering node joins and
#            aggregates use), work_mem WM for each of $WORK_MEMS
#   random   COPY (SELECT * FROM t ORDER BY random()) TO '/dev/null', off
# t: $ROWS rows (int, int, md5 text, timestamptz), VACUUMed, in shared buffers. The resolution is
# the kernel's clock tick (10 ms), so each cell takes ROUNDS x REPS statements.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../test/server.sh
. test/server.sh

ur_pg_config
ROWS=${ROWS:-1000000}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-4}
WORK_MEMS=${WORK_MEMS:-4MB 256MB}
bindir=$("$PG_CONFIG" --bindir)
libs=("$@")
[ ${#libs[@]} -gt 0 ] || libs=("$("$PG_CONFIG" --pkglibdir)/unorder_rows.so")

work=""
ur_workdir work cpu_time
# the server runs as another user: it loads copies it can read
for i in "${!libs[@]}"; do
  cp "${libs[$i]}" "$work/lib$i.so"
  chmod 755 "$work" "$work/lib$i.so"
done
port=$(ur_free_port)
ur_server_start "$work/srv" "$port" shared_buffers=256MB jit=off autovacuum=off \
  max_parallel_workers_per_gather=0
echo "== loading t ($ROWS rows)" >&2
"$bindir/psql" -X -q -At -h "$work/srv" -p "$port" -U postgres -d postgres >/dev/null <<SQL
CREATE EXTENSION pg_prewarm;
CREATE TABLE t AS
  SELECT g AS id, ((g::bigint * 7919) % 1000003)::int AS a, md5(g::text) AS b,
         timestamptz '2024-01-01' + g * interval '1 second' AS ts
  FROM generate_series(1, $ROWS) g;
VACUUM (FREEZE, ANALYZE) t;
SELECT pg_prewarm('t');
SQL
tick_ms=$((1000 / $(getconf CLK_TCK)))

# cell LIB_INDEX SETTINGS QUERY: REPS statements on one connection, after one warm-up; prints
# each statement's backend CPU time in ms
cell() {
  local pid times="" i a b reply
  coproc PSQL { "$bindir/psql" -X -q -At -h "$work/srv" -p "$port" -U postgres -d postgres 2>&1; }
  echo "LOAD '$work/lib$1.so'; $2 SELECT pg_backend_pid();" >&"${PSQL[1]}"
  read -r pid <&"${PSQL[0]}"
  for ((i = -1; i < REPS; i++)); do
    a=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    echo "$3; SELECT 'done';" >&"${PSQL[1]}"
    read -r reply <&"${PSQL[0]}"
    [ "$reply" = "done" ] || { echo "cpu_time: $3: $reply" >&2; exit 1; }
    b=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    ((i < 0)) || times+="$(((b - a) * tick_ms)) "
  done
  echo '\q' >&"${PSQL[1]}"
  wait "$PSQL_PID" 2>/dev/null || true
  echo "$times"
}

copy="COPY (SELECT * FROM t) TO '/dev/null'"
configs=(off on)
for wm in $WORK_MEMS; do configs+=("buf-$wm"); done
configs+=(random)
declare -A MS
for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round of $ROUNDS" >&2
  for i in "${!libs[@]}"; do
    for c in "${configs[@]}"; do
      case $c in
        off) MS[$i/$c]+=$(cell "$i" "SET unorder_rows = off;" "$copy") ;;
        on) MS[$i/$c]+=$(cell "$i" "SET unorder_rows = on;" "$copy") ;;
        buf-*)
          MS[$i/$c]+=$(cell "$i" "SET unorder_rows = on; SET unorder_rows.block_scans = off; SET work_mem = '${c#buf-}';" \
            "$copy")
          ;;
        random) MS[$i/$c]+=$(cell "$i" "SET unorder_rows = off;" "COPY (SELECT * FROM t ORDER BY random()) TO '/dev/null'") ;;
      esac
      MS[$i/$c]+=" "
    done
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo ""
echo "backend CPU ms, median of $((ROUNDS * REPS)) statements per cell ($ROWS rows, $("$PG_CONFIG" --version))"
printf '%-10s' config
for i in "${!libs[@]}"; do printf ' %12s' "lib$i"; done
echo ""
for c in "${configs[@]}"; do
  printf '%-10s' "$c"
  for i in "${!libs[@]}"; do printf ' %12s' "$(echo "${MS[$i/$c]}" | median)"; done
  echo ""
done
for i in "${!libs[@]}"; do
  off=$(echo "${MS[$i/off]}" | median)
  on=$(echo "${MS[$i/on]}" | median)
  random=$(echo "${MS[$i/random]}" | median)
  echo "lib$i: ${libs[$i]} (md5 $(md5sum "$work/lib$i.so" | cut -c1-12)): on/off $(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.2f", a / b}'), random/on $(awk -v a="$random" -v b="$on" 'BEGIN {printf "%.2f", a / b}')"
done
echo "targets (issue 15): on/off <= 1.2; random/on >= 3; buf at a large work_mem no slower than at 4MB"
