#!/usr/bin/env bash
# bench/run.sh — what unorder_rows costs, measured side by side in one run.
#
#   bench/run.sh                       # everything: about 9-10 minutes on 2 vCPUs (more if the machine is busy)
#   PARTS=read bench/run.sh            # only the 1M-row reads (parts 2-4): about 2-3 minutes
#   PARTS=pgbench PGBENCH_MODE=prepared bench/run.sh   # only pgbench, with prepared statements
#
# Measures the library installed in $PG_CONFIG's pkglibdir, or $BENCH_LIB (run `make && make install` first to
# measure the working tree). It is copied once at the start and loaded from that copy by path, so
# a `make install` during the run cannot mix two builds. The bench starts its own throwaway server
# with test/server.sh in $BENCH_DIR (wiped at start, stopped at exit); log in $BENCH_DIR.log.
#
# 1. pgbench -S (select-only), scale $SCALE, $CLIENTS clients, $THREADS threads, $DURATION s per run;
#    configs interleaved (start rotated every round) for $ROUNDS rounds; each run follows a server
#    restart on the same data dir and a pg_prewarm of the pgbench tables; median tps per config and
#    the median over rounds of tps / tps of "none" in the same round:
#      none  library not loaded
#      off   shared_preload_libraries=unorder_rows, unorder_rows.enabled=off
#      on    shared_preload_libraries=unorder_rows, unorder_rows.enabled=on (server config)
#      (qid, not in the default list: library not loaded, compute_query_id=on)
# 1b. The same pgbench, $AB_DURATION s runs, off and on alternating $AB_ROUNDS times on one preloaded server
#    (switched with PGOPTIONS=-c unorder_rows.enabled=on, no restart): a finer on-vs-off ratio.
# 1c. Per-statement cost without client or protocol: two sessions on one server take turns running
#    bench_block(n), a PL/pgSQL loop of n EXECUTEs of the pgbench query (each parsed, planned, run):
#    session A never loads the library, session B LOADs it and runs blocks with the switch off and on.
# 2-4. One server with the library preloaded, the switch set per session with SET.
#    t = 1M rows (int, int, md5 text, timestamptz: ~50 bytes of data, 80 bytes on disk per row),
#    kept in shared_buffers (pg_prewarm); for each work_mem:
#      off     COPY (SELECT * FROM t) TO '/dev/null'                     unorder_rows off
#      on      the same                                                  unorder_rows on
#      buf     the same, unorder_rows.block_scans off                    unorder_rows on
#              (the buffering node every other perturbation point uses: joins, aggregates, ...)
#      random  COPY (SELECT * FROM t ORDER BY random()) TO '/dev/null'   unorder_rows off
#      floor   COPY (SELECT *, count(*) OVER () FROM t) TO '/dev/null'   unorder_rows off
#              (reference, not a target: a WindowAgg over one whole partition stores every row in a
#              tuplestore, spilling beyond work_mem, before it emits the first one: the cost of
#              "buffer everything, then emit" with no permutation, plus one int8 column of output)
#      lim-off / lim-on   SELECT * FROM t LIMIT 10                       off / on
#      exists-off / -on   SELECT 1 AS a FROM t WHERE id % 10 = 5 LIMIT 1 off / on (Django .exists())
#      id10-off / -on     SELECT id FROM t LIMIT 10                      off / on (qs[:10])
#    Every run is a fresh connection (so VmHWM starts afresh): a warm-up scan of t maps t's shared
#    buffers into the backend, then VmHWM is read from /proc/<pg_backend_pid()>/status, the
#    statement runs under psql's \timing, and VmHWM is read again; "MB" is the growth, i.e. the
#    statement's private peak memory (parallel query is off in these sessions, so one backend does
#    all the work). Configs are interleaved; medians are reported.
#
# Noise: by default the server is pinned to the last CPU and the clients to the others (PIN=0 turns
# this off), so runs do not differ by where the scheduler puts a backend (the vCPUs of a shared host
# can run at very different speeds; the bench prints a per-CPU probe). Ratios are medians of paired
# runs (same round / same iteration), which cancels slow drift of the host's speed.
# The machine may also be shared. Before every measured run the bench waits (up to
# $QUIET_WAIT s) until other processes use less than $MAX_FOREIGN % of the CPUs, and it measures the
# CPU time used by others during the run (/proc/stat minus our server, our client, kdamond and an
# allowance of $ALLOW_MS CPU ms for the kernel and the bench's own bookkeeping); a run where that
# exceeds $MAX_FOREIGN % is repeated (up to $ATTEMPTS attempts; the last one is kept and
# flagged). jit=off everywhere (JIT compile time would only penalize the ORDER BY random() baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../test/server.sh
. test/server.sh

ur_pg_config
BINDIR=$("$PG_CONFIG" --bindir)
DIR=${BENCH_DIR:-/tmp/unorder_rows_bench}
PORT=${BENCH_PORT:-$(ur_free_port)}
PARTS=${PARTS:-pgbench,ab,micro,read}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-6}
PGBENCH_MODE=${PGBENCH_MODE:-simple}
PGBENCH_CONFIGS=${PGBENCH_CONFIGS:-none off on}
AB_DURATION=${AB_DURATION:-3} # part 1b: seconds per run
AB_ROUNDS=${AB_ROUNDS:-12}
MICRO_N=${MICRO_N:-2000}       # part 1c: statements per config and round
MICRO_ROUNDS=${MICRO_ROUNDS:-30}
ROWS=${ROWS:-1000000}
RUNS_DEFAULT=${RUNS_DEFAULT:-5} # timed runs per config at the default work_mem (4MB)
RUNS_OTHER=${RUNS_OTHER:-3}     # timed runs per config at the other work_mem values
WORK_MEMS=${WORK_MEMS:-4MB 1MB 64MB 256MB}
LIMIT_WORK_MEMS=${LIMIT_WORK_MEMS:-4MB 64MB}
MAX_FOREIGN=${MAX_FOREIGN:-10} # % of all CPUs other processes may use during a run
ALLOW_MS=${ALLOW_MS:-100}      # CPU ms per run not counted as others (kernel threads, the bench's own bookkeeping)
ATTEMPTS=${ATTEMPTS:-3}
QUIET_WAIT=${QUIET_WAIT:-60}
COMMON=(shared_buffers=256MB jit=off autovacuum=off max_connections=20)
PIN=${PIN:-1} # pin the server and the clients to separate CPUs (PIN=0: let the scheduler choose)

LOG=$DIR.log
LIBCOPY=$DIR.lib/unorder_rows.so
NPROC=$(nproc)
HZ=$(getconf CLK_TCK)
SERVER_CPUS=${SERVER_CPUS:-$((NPROC - 1))}
if ((NPROC > 1)); then CLIENT_CPUS=${CLIENT_CPUS:-0-$((NPROC - 2))}; else CLIENT_CPUS=${CLIENT_CPUS:-0}; fi
CLIENT=()
((PIN)) && CLIENT=(taskset -c "$CLIENT_CPUS")
PSQL=("${CLIENT[@]}" "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres)

say() { echo "$*" | tee -a "$LOG"; }
# pin the postmaster and its processes; backends forked later inherit the affinity
pin_server() {
  ((PIN)) || return 0
  local pm p
  pm=$(head -1 "$DIR/data/postmaster.pid")
  for p in "$pm" $(pgrep -P "$pm"); do taskset -a -pc "$SERVER_CPUS" "$p" >/dev/null; done
}
server() {
  ur_server_restart "$DIR" "$PORT" "${COMMON[@]}" "$@" >>"$LOG" 2>&1
  pin_server
}

# median of the numbers on stdin
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
med() { echo "$1" | tr ' ' '\n' | grep . | median; }
maxof() { echo "$1" | tr ' ' '\n' | grep . | sort -g | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b+0==0) print "nan"; else printf "%.2f", a/b}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {if (b+0==0) print "nan"; else printf "%+.1f%%", (a/b-1)*100}'; }

# ---- noise accounting ----
# Busy CPU ticks of the machine, minus the kernel's DAMON thread (kdamond, active on some VMs):
# it works in proportion to our own memory traffic, so it is reported, not counted as others.
KDAMOND=$(pgrep '^kdamond' | tr '\n' ' ' || true)
kdamond_ticks() {
  local p t=0
  for p in $KDAMOND; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo $t
}
busy_ticks() { echo $(($(awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat) - $(kdamond_ticks))); }
# CPU ticks of our server: postmaster plus its exited (reaped) children, e.g. finished backends
server_ticks() {
  local pm
  pm=$(head -1 "$DIR/data/postmaster.pid" 2>/dev/null) || { echo 0; return; }
  awk '{print $14+$15+$16+$17}' "/proc/$pm/stat" 2>/dev/null || echo 0
}
now_ns() { date +%s%N; }
# CPU ticks of the calling subshell's finished children (our client), as the line measured() expects
# ($BASHPID must be read here: inside $(...) it would name that inner subshell)
client_ticks() {
  local me=$BASHPID
  echo "CLIENT_TICKS $(awk '{print $16+$17}' "/proc/$me/stat")"
}
# wait until the machine is quiet apart from us (at most QUIET_WAIT seconds)
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) b0 s0 b1 s1 f
  while :; do
    b0=$(busy_ticks) s0=$(server_ticks)
    sleep 0.5
    b1=$(busy_ticks) s1=$(server_ticks)
    f=$(((b1 - b0 - (s1 - s0)) * 100 * 2 / (HZ * NPROC)))
    if ((f < MAX_FOREIGN)) || ((SECONDS >= deadline)); then return; fi
  done
}
# measured CMD...: runs CMD (a function printing its result on stdout, then a line
# "CLIENT_TICKS n"), retrying when others used more than MAX_FOREIGN % of the CPUs.
# Sets RESULT (CMD's output without that line) and FOREIGN (%).
measured() {
  local attempt out b0 s0 t0 b1 s1 t1 k0 k1 client
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    wait_quiet
    k0=$(kdamond_ticks) b0=$(busy_ticks) s0=$(server_ticks) t0=$(now_ns)
    out=$("$@")
    sleep 0.15 # let the postmaster reap the backends
    k1=$(kdamond_ticks) b1=$(busy_ticks) s1=$(server_ticks) t1=$(now_ns)
    KDAMOND_PCT=$(awk -v k=$((k1 - k0)) -v ns=$((t1 - t0)) -v hz="$HZ" -v n="$NPROC" 'BEGIN {printf "%.1f", k / (ns / 1e9 * hz * n) * 100}')
    client=$(echo "$out" | sed -n 's/^CLIENT_TICKS //p')
    RESULT=$(echo "$out" | grep -v '^CLIENT_TICKS ')
    FOREIGN=$(awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v c="${client:-0}" -v ns=$((t1 - t0)) -v hz="$HZ" -v n="$NPROC" \
      -v allow="$ALLOW_MS" 'BEGIN {f = (b - s - c - allow / 1000 * hz) / (ns / 1e9 * hz * n) * 100; if (f < 0) f = 0; printf "%.1f", f}')
    if awk -v f="$FOREIGN" -v m="$MAX_FOREIGN" 'BEGIN {exit !(f <= m)}'; then return; fi
    echo "    noisy run ($FOREIGN% of the CPUs used by other processes), attempt $attempt of $ATTEMPTS" | tee -a "$LOG" >&2
  done
  FOREIGN="$FOREIGN!"
}

ur_server_stop "$DIR" # a server left by an interrupted run (test/server.sh replaced the old cleanup function)
rm -rf "$DIR" "$DIR.lib" "$LOG"
: >"$LOG"

# ---- machine and build ----
LIB=${BENCH_LIB:-"$("$PG_CONFIG" --pkglibdir)/unorder_rows.so"} # BENCH_LIB: measure another build without installing it
mkdir -p "$DIR.lib"
cp "$LIB" "$LIBCOPY"
chmod 755 "$DIR.lib" "$LIBCOPY"
say "== machine"
say "nproc: $NPROC"
say "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
say "ram: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
say "kernel: $(uname -r)"
say "library: $LIB md5 $(md5sum "$LIBCOPY" | cut -c1-12) ($(stat -c %y "$LIB" | cut -d. -f1)), tree $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted src changes'); loaded from the copy $LIBCOPY"
say "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
probe=""
for ((c = 0; c < NPROC && c < 8; c++)); do
  t0=$(now_ns)
  taskset -c "$c" bash -c 'for ((i = 0; i < 200000; i++)); do :; done'
  probe+="cpu$c $((($(now_ns) - t0) / 1000000)) ms  "
done
say "cpu speed probe: $probe(the same shell loop pinned to each CPU; vCPUs of a shared host can differ and drift)"
if ((PIN)); then
  say "pinning: server on CPU $SERVER_CPUS, clients (psql, pgbench) on CPU $CLIENT_CPUS"
else
  say "pinning: none"
fi
PRELOAD=shared_preload_libraries=$LIBCOPY

server
say "postgres: $("${PSQL[@]}" -c 'SHOW server_version')"
say "settings: ${COMMON[*]}, work_mem default 4MB"

# ---- data ----
echo "== loading data (pgbench scale $SCALE, t with $ROWS rows)" >&2
"$BINDIR/pgbench" -i -q -s "$SCALE" -h "$DIR" -p "$PORT" -U postgres postgres >>"$LOG" 2>&1
tinfo=$("${PSQL[@]}" <<EOF
CREATE EXTENSION pg_prewarm;
CREATE TABLE t AS
  SELECT g AS id, ((g::bigint * 7919) % 1000003)::int AS a, md5(g::text) AS b,
         timestamptz '2024-01-01' + g * interval '1 second' AS ts
  FROM generate_series(1, $ROWS) g;
VACUUM (FREEZE, ANALYZE) t;
CHECKPOINT;
SELECT 'table t: ' || pg_size_pretty(pg_relation_size('t')) || ', '
       || (SELECT avg(pg_column_size(t.*))::int FROM t) || ' bytes per row (incl. 24-byte header)';
EOF
)
say "$tinfo"

# ---- 1. pgbench ----
declare -A TPS FOR
config_settings() {
  case $1 in
    none) ;;
    qid) echo compute_query_id=on ;;
    off) echo "$PRELOAD" unorder_rows.enabled=off ;;
    on) echo "$PRELOAD" unorder_rows.enabled=on ;;
  esac
}
pgbench_run() { # [seconds]
  "${CLIENT[@]}" "$BINDIR/pgbench" -n -S -M "$PGBENCH_MODE" -c "$CLIENTS" -j "$THREADS" -T "${1:-$DURATION}" \
    -h "$DIR" -p "$PORT" -U postgres postgres 2>&1 | tee -a "$LOG" |
    sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p'
  client_ticks
}

if [[ ,$PARTS, == *,pgbench,* ]]; then
  read -r -a configs <<<"$PGBENCH_CONFIGS"
  n=${#configs[@]}
  say ""
  say "== 1. pgbench -S -M $PGBENCH_MODE -s $SCALE -c $CLIENTS -j $THREADS -T $DURATION, $ROUNDS rounds"
  for ((r = 0; r < ROUNDS; r++)); do
    for ((k = 0; k < n; k++)); do
      c=${configs[(r + k) % n]}
      # shellcheck disable=SC2046
      server $(config_settings "$c")
      state=$("${PSQL[@]}" -c "SELECT coalesce(current_setting('unorder_rows', true), 'not loaded') || ', query id ' || current_setting('compute_query_id')")
      "${PSQL[@]}" -c "SELECT pg_prewarm(c) FROM unnest(array['pgbench_accounts', 'pgbench_accounts_pkey', 'pgbench_branches', 'pgbench_tellers']) c" >/dev/null
      measured pgbench_run
      TPS[$c]+="$RESULT "
      FOR[$c]+="$FOREIGN "
      say "round $((r + 1)) $(printf '%-5s' "$c") ($state): $RESULT tps, others used $FOREIGN% CPU (kdamond $KDAMOND_PCT%)"
    done
  done
  server "$PRELOAD" unorder_rows.enabled=on
  say "plan of the pgbench query with the switch on:"
  "${PSQL[@]}" -c "EXPLAIN (COSTS OFF) SELECT abalance FROM pgbench_accounts WHERE aid = 4711" | sed 's/^/    /' | tee -a "$LOG"
fi

# ---- 1b. quick A/B within one server ----
declare -A TPSAB
ab_options() {
  case $1 in
    none | off) echo "" ;;
    qid) echo "-c compute_query_id=on" ;;
    off-noqid) echo "-c compute_query_id=off" ;;
    on) echo "-c unorder_rows.enabled=on" ;;
  esac
}
ab_round_robin() { # label configs...
  local label=$1 r k c n
  shift
  n=$#
  local cs=("$@")
  for c in "${cs[@]}"; do
    echo "  $label $c: $(PGOPTIONS=$(ab_options "$c") "${PSQL[@]}" -c "SELECT 'unorder_rows ' || coalesce(current_setting('unorder_rows', true), 'not loaded') || ', compute_query_id ' || current_setting('compute_query_id')")" >>"$LOG"
  done
  for ((r = 0; r < AB_ROUNDS; r++)); do
    for ((k = 0; k < n; k++)); do
      c=${cs[(r + k) % n]}
      PGOPTIONS=$(ab_options "$c") measured pgbench_run "$AB_DURATION"
      TPSAB[$c]+="$RESULT "
      echo "  $label round $((r + 1)) $c: $RESULT tps, others $FOREIGN%" >>"$LOG"
    done
  done
}
if [[ ,$PARTS, == *,ab,* ]]; then
  say ""
  say "== 1b. pgbench -S, ${AB_DURATION}s runs alternating within one server (PGOPTIONS, no restart), $AB_ROUNDS rounds"
  server "$PRELOAD" unorder_rows.enabled=off
  "${PSQL[@]}" -c "SELECT pg_prewarm(c) FROM unnest(array['pgbench_accounts', 'pgbench_accounts_pkey', 'pgbench_branches', 'pgbench_tellers']) c" >/dev/null
  ab_round_robin "preloaded" off on
fi

# ---- 1c. per-statement cost, two sessions taking turns ----
# bench_block(n): n times EXECUTE of the pgbench query (parse, plan, execute), us per statement
BLOCK_FN=$(cat <<'EOF'
CREATE OR REPLACE FUNCTION bench_block(n int) RETURNS float8 LANGUAGE plpgsql AS $f$
DECLARE
  t0 timestamptz := clock_timestamp();
  r int;
BEGIN
  FOR i IN 1..n LOOP
    EXECUTE 'SELECT abalance FROM pgbench_accounts WHERE aid = $1' INTO r USING (i * 7919) % 1000000 + 1;
  END LOOP;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / n;
END
$f$;
EOF
)
declare -A MICRO
ask() { # in-fd out-fd sql: send sql to a session, print the line it answers
  echo "$3" >&"$1"
  local line=""
  read -r -t 300 line <&"$2" || true
  echo "$line"
}
if [[ ,$PARTS, == *,micro,* ]]; then
  say ""
  say "== 1c. per statement: EXECUTE of the pgbench query in PL/pgSQL, $MICRO_N per block; session A without"
  say "   the library, session B after LOAD (switch off / on); blocks alternate A, B-off, B-on, $MICRO_ROUNDS rounds"
  server
  "${PSQL[@]}" -c "SELECT pg_prewarm(c) FROM unnest(array['pgbench_accounts', 'pgbench_accounts_pkey']) c" >/dev/null
  "${PSQL[@]}" <<<"$BLOCK_FN"
  mkdir -p "$DIR.micro"
  rm -f "$DIR.micro"/*
  mkfifo "$DIR.micro/a.in" "$DIR.micro/a.out" "$DIR.micro/b.in" "$DIR.micro/b.out"
  "${PSQL[@]}" <"$DIR.micro/a.in" >"$DIR.micro/a.out" 2>>"$LOG" &
  exec {AI}>"$DIR.micro/a.in" {AO}<"$DIR.micro/a.out"
  "${PSQL[@]}" <"$DIR.micro/b.in" >"$DIR.micro/b.out" 2>>"$LOG" {AI}>&- {AO}<&- &
  exec {BI}>"$DIR.micro/b.in" {BO}<"$DIR.micro/b.out"
  ask "$BI" "$BO" "LOAD '$LIBCOPY'; SELECT 1;" >/dev/null
  echo "  session A: $(ask "$AI" "$AO" "SELECT coalesce(current_setting('unorder_rows', true), 'library not loaded');")" >>"$LOG"
  echo "  session B: library loaded, switch $(ask "$BI" "$BO" "SELECT current_setting('unorder_rows', true);")" >>"$LOG"
  ask "$AI" "$AO" "SELECT bench_block($MICRO_N);" >/dev/null # warm-up
  ask "$BI" "$BO" "SELECT bench_block($MICRO_N);" >/dev/null
  cfgs=(none off on)
  for ((r = 0; r < MICRO_ROUNDS; r++)); do
    for ((k = 0; k < 3; k++)); do
      c=${cfgs[(r + k) % 3]}
      case $c in
        none) v=$(ask "$AI" "$AO" "SELECT bench_block($MICRO_N);") ;;
        off) v=$(ask "$BI" "$BO" "SET unorder_rows.enabled = off; SELECT bench_block($MICRO_N);") ;;
        on) v=$(ask "$BI" "$BO" "SET unorder_rows.enabled = on; SELECT bench_block($MICRO_N);") ;;
      esac
      MICRO[$c]+="$v "
    done
  done
  exec {AI}>&- {BI}>&-
  wait
  exec {AO}<&- {BO}<&-
  for c in none off on; do echo "  $c: ${MICRO[$c]}" >>"$LOG"; done
fi

# ---- 2-4. one-million-row reads ----
declare -A MS HWM RFOR
Q_READ="COPY (SELECT * FROM t) TO '/dev/null'"
Q_RANDOM="COPY (SELECT * FROM t ORDER BY random()) TO '/dev/null'"
Q_FLOOR="COPY (SELECT *, count(*) OVER () FROM t) TO '/dev/null'"
Q_LIMIT="SELECT * FROM t LIMIT 10"
# what ORMs send (issue 15): Django's .exists() (rows nobody can tell apart), qs[:10] without ordering
Q_EXISTS="SELECT 1 AS a FROM t WHERE id % 10 = 5 LIMIT 1"
Q_ID10="SELECT id FROM t LIMIT 10"
Q_TOPN="SELECT * FROM t ORDER BY b LIMIT 10"

# one run on a fresh connection: prints "<ms> <VmHWM growth in kB>"
one_run() {
  local wm=$1 enabled=$2 query=$3 settings=${4:-} out
  out=$("${PSQL[@]}" <<EOF
SET work_mem = '$wm';
SET max_parallel_workers_per_gather = 0;
SET unorder_rows.enabled = $enabled;
$settings
SELECT count(*) FROM t;
SELECT 'HWM ' || substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') from 'VmHWM:\s*(\d+) kB');
\o /dev/null
\timing on
$query;
\timing off
\o
SELECT 'HWM ' || substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') from 'VmHWM:\s*(\d+) kB');
EOF
  )
  echo "$out" | awk '/^HWM / {h[++n]=$2} /^Time: / {t=$2} END {printf "%s %d\n", t, h[2]-h[1]}'
  client_ticks
}

cell() { # work_mem config query enabled [settings]
  local wm=$1 c=$2
  measured one_run "$wm" "$4" "$3" "${5:-}"
  MS[$wm/$c]+="${RESULT% *} "
  HWM[$wm/$c]+="${RESULT#* } "
  RFOR[$wm/$c]+="${FOREIGN%!} "
  echo "  $wm $c: ${RESULT% *} ms, VmHWM +${RESULT#* } kB, others used $FOREIGN% CPU" >>"$LOG"
}

if [[ ,$PARTS, == *,read,* ]]; then
  server "$PRELOAD"
  "${PSQL[@]}" -c "SELECT pg_prewarm('t')" >/dev/null
  say ""
  say "== 2-4. reads of t ($ROWS rows), fresh connection per run, library preloaded"
  for wm in $WORK_MEMS; do
    runs=$RUNS_OTHER
    [ "$wm" = 4MB ] && runs=$RUNS_DEFAULT
    echo "work_mem $wm: $runs runs per config" >&2
    for ((i = 0; i < runs; i++)); do
      cell "$wm" off "$Q_READ" off
      cell "$wm" on "$Q_READ" on
      cell "$wm" buf "$Q_READ" on "SET unorder_rows.block_scans = off;"
      cell "$wm" random "$Q_RANDOM" off
      cell "$wm" floor "$Q_FLOOR" off
    done
  done
  for wm in $LIMIT_WORK_MEMS; do
    runs=$RUNS_OTHER
    [ "$wm" = 4MB ] && runs=$RUNS_DEFAULT
    echo "LIMIT 10, work_mem $wm: $runs runs per config" >&2
    for ((i = 0; i < runs; i++)); do
      cell "$wm" exists-off "$Q_EXISTS" off
      cell "$wm" exists-on "$Q_EXISTS" on
      cell "$wm" id10-off "$Q_ID10" off
      cell "$wm" id10-on "$Q_ID10" on
      cell "$wm" lim-off "$Q_LIMIT" off
      cell "$wm" lim-on "$Q_LIMIT" on
      cell "$wm" top-off "$Q_TOPN" off
      cell "$wm" top-on "$Q_TOPN" on
    done
  done
  {
    echo "EXPLAIN ANALYZE with the switch on, work_mem 4MB and 64MB:"
    for wm in 4MB 64MB; do
      "${PSQL[@]}" -c "SET work_mem = '$wm'" -c "SET unorder_rows.enabled = on" \
        -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM t" \
        -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM t LIMIT 10" \
        -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $Q_EXISTS" \
        -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $Q_ID10" \
        -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $Q_TOPN" | sed "s/^/    $wm  /"
    done
  } >>"$LOG"
fi

# ---- summary ----
# paired A B: median over runs i of A[i] / B[i] (both lists in run order, so i pairs neighbours in time)
paired() {
  paste -d' ' <(echo "$1" | tr ' ' '\n' | grep .) <(echo "$2" | tr ' ' '\n' | grep .) |
    awk '$2 > 0 {print $1 / $2}' | median
}
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo ""
echo "================================ summary ================================"
grep -E '^(nproc|cpu|ram|postgres|library|table t|load at start|cpu speed probe|pinning):' "$LOG"
if [[ ,$PARTS, == *,pgbench,* ]]; then
  echo ""
  echo "1. pgbench -S -M $PGBENCH_MODE, scale $SCALE, -c $CLIENTS -j $THREADS, ${DURATION}s x $ROUNDS rounds"
  echo "   (vs none: median over rounds of tps / tps of 'none' in the same round; range: min..max of those)"
  printf '   %-6s %11s %8s %15s %7s %8s   %s\n' config "median tps" "vs none" "range" target "others" "tps per round"
  for c in $PGBENCH_CONFIGS; do
    m=$(med "${TPS[$c]}")
    r=$(paired "${TPS[$c]}" "${TPS[none]:-}")
    case $c in off) tgt="-1%" ;; on) tgt="-3%" ;; *) tgt="" ;; esac
    range=$(paste -d' ' <(echo "${TPS[$c]}" | tr ' ' '\n' | grep .) <(echo "${TPS[none]:-}" | tr ' ' '\n' | grep .) |
      awk '$2 > 0 {r = ($1 / $2 - 1) * 100; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r}
           END {printf "%+.0f..%+.0f%%", lo, hi}')
    printf '   %-6s %11.0f %8s %15s %7s %7s%%   %s\n' "$c" "$m" "$(pct "$r" 1)" "$range" "$tgt" "<=$(maxof "${FOR[$c]//!/}")" \
      "$(echo "${TPS[$c]}" | awk '{for (i = 1; i <= NF; i++) printf "%.0f ", $i}')"
  done
fi
if [[ ,$PARTS, == *,ab,* ]]; then
  echo ""
  echo "1b. pgbench -S, ${AB_DURATION}s runs alternating within one server via PGOPTIONS, $AB_ROUNDS rounds"
  echo "   (ratio: median over rounds of the two configs' tps in the same round; range: min..max)"
  printf '   %-42s %8s %15s   %s\n' comparison ratio range "median tps"
  for pair in "on off preloaded: on vs off"; do
    read -r a b what <<<"$pair"
    range=$(paste -d' ' <(echo "${TPSAB[$a]}" | tr ' ' '\n' | grep .) <(echo "${TPSAB[$b]}" | tr ' ' '\n' | grep .) |
      awk '$2 > 0 {r = ($1 / $2 - 1) * 100; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r}
           END {printf "%+.0f..%+.0f%%", lo, hi}')
    printf '   %-42s %8s %15s   %.0f / %.0f\n' "$what" "$(pct "$(paired "${TPSAB[$a]}" "${TPSAB[$b]}")" 1)" "$range" \
      "$(med "${TPSAB[$a]}")" "$(med "${TPSAB[$b]}")"
  done
fi
if [[ ,$PARTS, == *,micro,* ]]; then
  # diff A B: median and min..max over rounds of A[i] - B[i]
  diffs() {
    paste -d' ' <(echo "$1" | tr ' ' '\n' | grep .) <(echo "$2" | tr ' ' '\n' | grep .) | awk '{print $1 - $2}' |
      sort -g | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
                                       printf "%+.2f us (%+.2f..%+.2f)", m, v[1], v[NR]}'
  }
  echo ""
  echo "1c. per statement: EXECUTE 'SELECT abalance FROM pgbench_accounts WHERE aid = \$1' in PL/pgSQL (parse, plan, run)"
  echo "   $MICRO_ROUNDS rounds of $MICRO_N per config, alternating; median us per statement; deltas: median (min..max) of per-round differences"
  printf '   %-40s %8.2f us\n' "none (session without the library)" "$(med "${MICRO[none]}")" \
    "off (session after LOAD, switch off)" "$(med "${MICRO[off]}")" \
    "on  (same session, switch on)" "$(med "${MICRO[on]}")"
  printf '   %-40s %s = %s\n' "off - none" "$(diffs "${MICRO[off]}" "${MICRO[none]}")" \
    "$(pct "$(paired "${MICRO[off]}" "${MICRO[none]}")" 1)" \
    "on - off" "$(diffs "${MICRO[on]}" "${MICRO[off]}")" "$(pct "$(paired "${MICRO[on]}" "${MICRO[off]}")" 1)"
fi
if [[ ,$PARTS, == *,read,* ]]; then
  echo ""
  echo "2./3. COPY (SELECT * FROM t) TO '/dev/null', $ROWS rows: median ms; ratios are medians of paired runs;"
  echo "   MB = median VmHWM growth of the backend during the statement"
  echo "   off/on: unorder_rows off/on; buf: on with block scans off (the buffering node: in-memory"
  echo "   runs, then tapes); random: ORDER BY random() (off); floor: count(*) OVER () (off)"
  printf '   %-8s %7s %7s %7s %9s %8s %6s %7s %9s %8s %6s %6s %6s %7s %8s %7s\n' work_mem "off ms" "on ms" "buf ms" \
    "random ms" "floor ms" "on/off" "buf/off" "random/on" "on/floor" "off MB" "on MB" "buf MB" "rand MB" "floor MB" "others"
  for wm in $WORK_MEMS; do
    declare -A M=() H=()
    worst=0
    for c in off on buf random floor; do
      M[$c]=$(med "${MS[$wm/$c]}")
      H[$c]=$(mb "$(med "${HWM[$wm/$c]}")")
      worst=$(printf '%s\n%s\n' "$worst" "$(maxof "${RFOR[$wm/$c]}")" | sort -g | tail -1)
    done
    printf '   %-8s %7.0f %7.0f %7.0f %9.0f %8.0f %6.2f %7.2f %9.2f %8.2f %6s %6s %6s %7s %8s %6s%%\n' "$wm" "${M[off]}" \
      "${M[on]}" "${M[buf]}" "${M[random]}" "${M[floor]}" "$(paired "${MS[$wm/on]}" "${MS[$wm/off]}")" \
      "$(paired "${MS[$wm/buf]}" "${MS[$wm/off]}")" "$(paired "${MS[$wm/random]}" "${MS[$wm/on]}")" \
      "$(paired "${MS[$wm/on]}" "${MS[$wm/floor]}")" "${H[off]}" "${H[on]}" "${H[buf]}" "${H[random]}" "${H[floor]}" \
      "<=$worst"
  done
  echo "   targets (issue 15): on/off <= 1.2; random/on >= 3; buf at a large work_mem no slower than at 4MB;"
  echo "   on MB - off MB <= work_mem + a small constant"
  echo ""
  echo "4. LIMIT over t: median ms, paired ratio, MB = median VmHWM growth"
  echo "   exists: $Q_EXISTS (Django .exists(); target on/off <= 3)"
  echo "   id10: $Q_ID10 (qs[:10] without ordering; target on/off <= 3)"
  echo "   lim: SELECT * FROM t LIMIT 10 (reservoir sample: the whole input is read, 10 rows kept)"
  echo "   top: $Q_TOPN (no ties: the top-N sort is kept)"
  printf '   %-6s %-8s %8s %8s %8s %7s %7s %7s\n' query work_mem "off ms" "on ms" "on/off" "off MB" "on MB" "others"
  for q in exists id10 lim top; do
    for wm in $LIMIT_WORK_MEMS; do
      printf '   %-6s %-8s %8.3f %8.3f %8.2f %7s %7s %6s%%\n' "$q" "$wm" "$(med "${MS[$wm/$q-off]}")" "$(med "${MS[$wm/$q-on]}")" \
        "$(paired "${MS[$wm/$q-on]}" "${MS[$wm/$q-off]}")" "$(mb "$(med "${HWM[$wm/$q-off]}")")" \
        "$(mb "$(med "${HWM[$wm/$q-on]}")")" \
        "<=$(printf '%s\n%s\n' "$(maxof "${RFOR[$wm/$q-off]}")" "$(maxof "${RFOR[$wm/$q-on]}")" | sort -g | tail -1)"
    done
  done
fi
echo ""
echo "others: the largest share of all CPUs other processes used during a kept run (a run is"
echo "retried above $MAX_FOREIGN%; a ! in the log marks one kept after $ATTEMPTS attempts)"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "full log: $LOG"
