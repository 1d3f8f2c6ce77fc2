#!/usr/bin/env bash
# Load, leak and fault tests of unorder_rows against a throwaway server (docs/order-contract.md §5.5).
#
#   test/load.sh                              # CI default: about 1.7 minutes
#   LOAD_DURATION=600 LOAD_CLIENTS=32 test/load.sh
#
# Environment:
#   PG_CONFIG             PostgreSQL to test (default UR_CASSERT_PG_CONFIG of test/server.sh)
#   LOAD_CLIENTS          pgbench clients (default 16)
#   LOAD_DURATION         pgbench seconds (default 60)
#   LOAD_LEAK_BLOCKS      blocks of the leak check, memory sampled after each (default 6)
#   LOAD_LEAK_ITERATIONS  statement mixes per block (default 200)
#   LOAD_BIG_ROWS         rows of the table the cancel/timeout/limit/kill phases spill (default 2000000)
#   LOAD_PORT             server port (default: a free one)
#   LOAD_DEADLOCK_PROBE=0 skip phase 6 (deadlocks between concurrent UPDATEs and INSERTs, off and on)
#   LOAD_KEEP=1           keep the work directory (server log, outputs)
#   LOAD_NO_INSTALL=1     use the extension already installed into PG_CONFIG's server
#
# Phases, each failing the run on its own:
#   1. pgbench: many clients run a mix of perturbed statements (result order, LIMIT, ties,
#      aggregates, GROUP BY, DISTINCT ON, a window, INSERT ... SELECT, UPDATE, a cursor) with
#      prepared statements; no error may occur.
#   2. leak: one session runs the mix (plus spilling, SPI, prepared statements) thousands of
#      times; its memory (memory contexts and private RSS) must stay flat after warm-up.
#   3. query cancel and statement_timeout in the middle of a perturbation that spills: the usual
#      error, no temporary file left, memory flat.
#   4. temp_file_limit below what the spill needs: PostgreSQL's usual error, no file left.
#   5. a backend killed (kill -9) mid-spill: crash recovery as for any backend, then the server
#      answers and perturbs again.
#   6. deadlocks: 8 clients run UPDATEs of overlapping rows (a plain UPDATE, then an UPDATE ...
#      FROM), then INSERT ... SELECT ... ON CONFLICT DO NOTHING of overlapping unique keys, off then
#      on; on may not deadlock more often than off (by more than 2, the noise of an 8-second run).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/server.sh
. test/server.sh
export PG_CONFIG=${PG_CONFIG:-$UR_CASSERT_PG_CONFIG}
clients=${LOAD_CLIENTS:-16}
duration=${LOAD_DURATION:-60}
leak_blocks=${LOAD_LEAK_BLOCKS:-6}
leak_iterations=${LOAD_LEAK_ITERATIONS:-200}
big_rows=${LOAD_BIG_ROWS:-2000000}
port=${LOAD_PORT:-$(ur_free_port)}
bindir=$("$PG_CONFIG" --bindir)
started=$SECONDS
failures=()

# Memory growth allowed over the leak check and over the cancel cycles (after warm-up).  A leak
# of even a few hundred bytes per statement would exceed it over thousands of statements.
max_context_growth_kb=256
max_rss_growth_kb=2048

[ -n "${LOAD_NO_INSTALL:-}${UNORDER_ROWS_INSTALLED:-}" ] || test/install_extension.sh

work=""
ur_workdir work load
[ -n "${LOAD_KEEP:-}" ] && ur_keep "$work"
srv=$work/srv
background=()
stop_background() {
  local pid
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null; done
}
ur_on_exit stop_background

fail() { echo "   FAIL: $*"; failures+=("$1"); }
phase_started=$SECONDS
phase() { echo "   ($(( SECONDS - phase_started ))s)"; phase_started=$SECONDS; echo "$1"; }

echo "== unorder_rows load: $("$PG_CONFIG" --version)"
# log_temp_files=0: every temporary file is logged when it is deleted, which shows that a
# cancelled statement had really started spilling.
ur_server_start "$srv" "$port" shared_preload_libraries=unorder_rows unorder_rows.enabled=on \
  max_connections=$(( clients + 20 )) log_temp_files=0
psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$srv" -p "$port" -U postgres -d postgres "$@"; }
version_num=$(psql_ -Atc "SHOW server_version_num")

psql_ <<SQL
CREATE TABLE lt_items (id int PRIMARY KEY, grp int NOT NULL, val int NOT NULL);
INSERT INTO lt_items SELECT g, g % 100, g % 7 FROM generate_series(1, 10000) g;
CREATE INDEX lt_items_grp ON lt_items (grp);
CREATE TABLE lt_log (n bigserial, client int, grp int, val int);
CREATE TABLE lt_scratch (n bigserial, grp int, val int);   -- the leak check's own, stays small
-- rows of their own per pgbench client: concurrent UPDATEs of the same rows would deadlock when
-- each session processes them in another order (see the report of test/load.sh)
CREATE TABLE lt_own (client int, k int, val int);
INSERT INTO lt_own SELECT c, k, 0 FROM generate_series(0, $clients - 1) c, generate_series(1, 20) k;
CREATE INDEX lt_own_client ON lt_own (client);
CREATE TABLE lt_big AS SELECT g AS id, repeat('x', 40) AS pad FROM generate_series(1, $big_rows) g;
ANALYZE;
-- a PL/pgSQL function: statements through SPI, cached plans
CREATE FUNCTION lt_plpgsql(g int) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE
    r record;
    total bigint := 0;
BEGIN
    FOR r IN SELECT id FROM lt_items WHERE grp = g LIMIT 20 LOOP
        total := total + r.id;
    END LOOP;
    RETURN total + (SELECT count(*) FROM (SELECT DISTINCT val FROM lt_items WHERE grp < g) s);
END \$\$;
-- this backend's memory: bytes in memory contexts (PostgreSQL 14 and later) and private RSS
CREATE FUNCTION lt_mem(OUT context_kb bigint, OUT rss_anon_kb bigint) LANGUAGE plpgsql AS \$\$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        EXECUTE 'SELECT sum(total_bytes) / 1024 FROM pg_backend_memory_contexts' INTO context_kb;
    END IF;
    rss_anon_kb := substring(pg_read_file('/proc/self/status') from 'RssAnon:\s+(\d+) kB')::bigint;
END \$\$;
SQL

# ---------------------------------------------------------------- 1. pgbench
phase "-- 1. pgbench: $clients clients, ${duration}s"
cat >"$work/mix.sql" <<'SQL'
\set g random(0, 99)
\set id random(1, 9900)
SELECT id, val FROM lt_items WHERE grp = :g;
SELECT id FROM lt_items WHERE grp = :g LIMIT 3;
SELECT grp, id FROM lt_items WHERE id BETWEEN :id AND :id + 100 ORDER BY grp;
SELECT grp, array_agg(id), count(*) FROM lt_items WHERE grp BETWEEN :g AND :g + 2 GROUP BY grp;
SELECT id, row_number() OVER (PARTITION BY val) FROM lt_items WHERE grp = :g;
SELECT DISTINCT ON (val) val, id FROM lt_items WHERE grp = :g ORDER BY val;
BEGIN;
INSERT INTO lt_log (client, grp, val) SELECT :client_id, grp, val FROM lt_items WHERE grp = :g AND id % 10 = 0;
UPDATE lt_own SET val = val + 1 WHERE client = :client_id;
DECLARE c CURSOR FOR SELECT id FROM lt_items WHERE grp = :g;
FETCH 5 FROM c;
CLOSE c;
COMMIT;
SQL
rc=0
"$bindir/pgbench" -n -h "$srv" -p "$port" -U postgres -M prepared -c "$clients" -j 2 -T "$duration" \
  -f "$work/mix.sql" postgres >"$work/pgbench.out" 2>&1 || rc=$?
transactions=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench.out")
aborted=$(grep -c 'aborted' "$work/pgbench.out" || true)
tps=$(sed -n 's/^tps = \([0-9.]*\) (.*/\1/p' "$work/pgbench.out" | head -1)
pgbench_errors=$(( ${failed:-0} + aborted ))
echo "   clients $clients, duration ${duration}s, transactions ${transactions:-0}, tps ${tps:-?}, errors $pgbench_errors"
if [ "$rc" != 0 ] || [ "$pgbench_errors" != 0 ] || [ "${transactions:-0}" = 0 ]; then
  grep -E 'ERROR|aborted|error' "$work/pgbench.out" | head -5 | sed 's/^/   /' || true
  fail pgbench "pgbench exit $rc, $pgbench_errors errors"
fi

# ---------------------------------------------------------------- 2. leak check
phase "-- 2. leak check: $leak_blocks blocks of $leak_iterations statement mixes in one session"
mix=$(cat <<'SQL'
SELECT id, val FROM lt_items WHERE grp = 7;
SELECT id FROM lt_items LIMIT 5;
SELECT grp, id FROM lt_items WHERE id <= 300 ORDER BY grp;
SELECT grp, array_agg(id) FROM lt_items WHERE grp < 3 GROUP BY grp;
SELECT id, row_number() OVER (PARTITION BY grp) FROM lt_items WHERE grp < 2;
SELECT md5(string_agg(id::text, ',')) FROM lt_items;
SET unorder_rows.block_scans = off;
SELECT md5(string_agg(id::text, ',')) FROM lt_items;
RESET unorder_rows.block_scans;
EXECUTE lt_p(5);
SELECT lt_plpgsql(4);
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT id FROM lt_items WHERE grp = 3;
FETCH 5 FROM c;
FETCH BACKWARD 2 FROM c;
CLOSE c;
DECLARE d CURSOR FOR SELECT id FROM lt_items WHERE val = 3;
FETCH 5 FROM d;
FETCH BACKWARD 2 FROM d;
MOVE FORWARD ALL IN d;
CLOSE d;
INSERT INTO lt_scratch (grp, val) SELECT grp, val FROM lt_items WHERE grp = 4;
UPDATE lt_own SET val = val + 1 WHERE client = 0;
DELETE FROM lt_scratch;
COMMIT;
SQL
)
{
  echo "SET work_mem = '64kB';"   # the string_agg above then spills (with block scans off)
  echo "PREPARE lt_p(int) AS SELECT id FROM lt_items WHERE grp = \$1;"
  for ((b = 0; b <= leak_blocks; b++)); do
    for ((i = 0; i < leak_iterations; i++)); do
      printf '%s\n' "$mix"
    done
    # block 0 is the warm-up (caches, plans); the others are measured
    echo "SELECT 'mem', $b, coalesce(context_kb::text, 'n/a'), rss_anon_kb FROM lt_mem();"
  done
} >"$work/leak.sql"
psql_ -o "$work/leak.out" -At -F ' ' -f "$work/leak.sql"
grep '^mem ' "$work/leak.out" >"$work/leak_mem.txt" || true
echo "   memory after each block (block context_kB rss_anon_kB):"
sed 's/^mem /   /' "$work/leak_mem.txt"
# Growth of a column from the second sample (the first follows the warm-up) to the last.
check_growth() {
  local name=$1 file=$2 column=$3 bound=$4 first last
  first=$(awk -v c="$column" 'NR == 2 { print $c }' "$file")
  last=$(awk -v c="$column" 'END { print $c }' "$file")
  if [ "$first" = n/a ]; then   # memory contexts are visible from PostgreSQL 14 on
    echo "   $name: not measured on this version"
    return 0
  fi
  echo "   $name: $first kB -> $last kB (growth $(( last - first )) kB, bound $bound kB)"
  [ $(( last - first )) -le "$bound" ] || fail "$name" "grew by $(( last - first )) kB"
}
if [ "$(wc -l <"$work/leak_mem.txt")" -lt 3 ]; then
  fail leak "no memory samples"
else
  check_growth "leak: memory contexts" "$work/leak_mem.txt" 3 "$max_context_growth_kb"
  check_growth "leak: private RSS" "$work/leak_mem.txt" 4 "$max_rss_growth_kb"
fi

# ---------------------------------------------------------------- 3. cancel and statement_timeout
# One session spills a perturbation of lt_big again and again (COPY to /dev/null: all the work
# in the server); it is cancelled from outside, or by its statement_timeout.  After each
# statement it reports the temporary files left and its memory.
phase "-- 3. query cancel and statement_timeout mid-spill ($big_rows rows, work_mem 64kB)"
spill="COPY (SELECT id, pad FROM lt_big) TO '/dev/null';"
# A plain scan of one table is shuffled block by block, streaming, without spilling: these
# phases test the buffering node's spill, so they switch block scans off.
spill_settings="SET work_mem = '64kB'; SET unorder_rows.block_scans = off;"
cycles=3
spilled_before=$(grep -c 'temporary file:' "$srv/server.log" || true)
{
  echo "SET application_name = 'lt_cancel';"
  echo "$spill_settings"
  for ((i = 0; i < cycles; i++)); do
    echo "$spill"
    echo "SELECT 'after', 'cancel', (SELECT count(*) FROM pg_ls_tmpdir()), coalesce(context_kb::text, 'n/a'), rss_anon_kb FROM lt_mem();"
  done
  echo "SET statement_timeout = '1s';"
  for ((i = 0; i < cycles; i++)); do
    echo "$spill"
    echo "SELECT 'after', 'timeout', (SELECT count(*) FROM pg_ls_tmpdir()), coalesce(context_kb::text, 'n/a'), rss_anon_kb FROM lt_mem();"
  done
} >"$work/cancel.sql"
"$bindir/psql" -X -q -At -F ' ' -h "$srv" -p "$port" -U postgres -d postgres -f "$work/cancel.sql" \
  >"$work/cancel.out" 2>&1 &
cancel_psql=$!
background+=("$cancel_psql")
# Cancel each COPY once it is writing temporary files (each COPY told apart by its start).
cancelled=0
last_start=
for ((i = 0; i < cycles; i++)); do
  pid=
  while kill -0 "$cancel_psql" 2>/dev/null; do
    read -r pid start < <(psql_ -At -F ' ' -c "
      SELECT pid, query_start FROM pg_stat_activity
      WHERE application_name = 'lt_cancel' AND state = 'active' AND query LIKE 'COPY%'
        AND query_start::text IS DISTINCT FROM '$last_start'
        AND (SELECT count(*) FROM pg_ls_tmpdir()) > 0") || true
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -z "$pid" ] && break
  psql_ -Atc "SELECT pg_cancel_backend($pid)" >/dev/null
  cancelled=$(( cancelled + 1 ))
  last_start=$start
done
wait "$cancel_psql" || true
cancel_errors=$(grep -c 'canceling statement due to user request' "$work/cancel.out" || true)
timeout_errors=$(grep -c 'canceling statement due to statement timeout' "$work/cancel.out" || true)
grep '^after ' "$work/cancel.out" >"$work/cancel_mem.txt" || true
echo "   cancelled $cancelled, cancel errors $cancel_errors, timeout errors $timeout_errors"
echo "   after each statement (kind temp_files context_kB rss_anon_kB):"
sed 's/^after /   /' "$work/cancel_mem.txt"
if [ "$cancelled" != "$cycles" ] || [ "$cancel_errors" != "$cycles" ]; then
  fail cancel "$cancelled cancel requests, $cancel_errors cancel errors (expected $cycles)"
fi
[ "$timeout_errors" = "$cycles" ] || fail timeout "$timeout_errors statement timeouts (expected $cycles)"
left=$(awk '$3 != 0' "$work/cancel_mem.txt" | wc -l)
[ "$left" = 0 ] || fail temp_files "temporary files left after $left cancelled statements"
[ "$(wc -l <"$work/cancel_mem.txt")" = $(( 2 * cycles )) ] || fail cancel_session "the session did not report after every statement"
check_growth "cancel: memory contexts" "$work/cancel_mem.txt" 4 "$max_context_growth_kb"
check_growth "cancel: private RSS" "$work/cancel_mem.txt" 5 "$max_rss_growth_kb"
spilled=$(( $(grep -c 'temporary file:' "$srv/server.log" || true) - spilled_before ))
echo "   temporary files the cancelled statements wrote (logged as they were deleted): $spilled"
[ "$spilled" -gt 0 ] || fail spill "the cancelled statements never spilled"
# all the runs of a spilled shuffle share one temporary file (a LogicalTapeSet)
[ "$spilled" -le $(( 2 * cycles )) ] ||
  fail spill_files "$spilled temporary files for $(( 2 * cycles )) statements (expected one each)"

# ---------------------------------------------------------------- 4. temp_file_limit
phase "-- 4. temp_file_limit = 1MB under a spilling perturbation"
psql_ -v ON_ERROR_STOP=0 -c "$spill_settings" -c "SET temp_file_limit = '1MB'" -c "$spill" \
  >"$work/limit.out" 2>&1 || true
limit_error=$(grep -oE 'temporary file size exceeds "?temp_file_limit"? \([0-9]+kB\)' "$work/limit.out" || true)
limit_left=$(psql_ -Atc "SELECT count(*) FROM pg_ls_tmpdir()")
echo "   error: ${limit_error:-none ($(head -1 "$work/limit.out"))}; temporary files left: $limit_left"
[ -n "$limit_error" ] || fail temp_file_limit "no temp_file_limit error"
[ "$limit_left" = 0 ] || fail temp_file_limit_files "$limit_left temporary files left"

# ---------------------------------------------------------------- 5. kill -9 mid-run
phase "-- 5. a backend killed with SIGKILL mid-spill"
"$bindir/psql" -X -q -h "$srv" -p "$port" -U postgres -d postgres \
  -c "SET application_name = 'lt_kill'" -c "$spill_settings" -c "$spill" >"$work/kill.out" 2>&1 &
kill_psql=$!
background+=("$kill_psql")
pid=
for ((t = 0; t < 600; t++)); do
  pid=$(psql_ -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'lt_kill' AND state = 'active'
                      AND query LIKE 'COPY%' AND (SELECT count(*) FROM pg_ls_tmpdir()) > 0")
  [ -n "$pid" ] && break
  sleep 0.1
done
if [ -z "$pid" ]; then
  fail kill "the statement to kill never started spilling"
else
  kill -9 "$pid"
  wait "$kill_psql" || true
  recovered=no
  for ((t = 0; t < 120; t++)); do
    psql_ -Atc "SELECT 1" >/dev/null 2>&1 && { recovered=yes; break; }
    sleep 0.5
  done
  signal_logged=$(grep -c "(PID $pid) was terminated by signal 9" "$srv/server.log" || true)
  # the server answers, and perturbs again: the same rows, in another order than with it off
  answer=$(psql_ -Atc "SELECT (SELECT array_agg(id) FROM lt_items WHERE grp = 1)
                              <> (SELECT array_agg(id ORDER BY id) FROM lt_items WHERE grp = 1)
                          AND (SELECT count(*) FROM lt_items) = 10000" 2>&1 || true)
  kill_left=$(psql_ -Atc "SELECT count(*) FROM pg_ls_tmpdir()" 2>&1 || true)
  echo "   killed $pid; logged as killed: $signal_logged; recovered: $recovered; perturbs again: $answer; temporary files left: $kill_left"
  [ "$signal_logged" = 1 ] || fail kill_logged "the kill was not handled as a backend crash"
  if [ "$recovered" != yes ] || [ "$answer" != t ]; then
    fail recovery "no recovery, or no perturbation after it"
  fi
  # PostgreSQL 14 and later remove a crashed backend's temporary files (remove_temp_files_after_crash)
  if [ "$version_num" -ge 140000 ] && [ "$kill_left" != 0 ]; then
    fail kill_files "$kill_left temporary files left after crash recovery"
  fi
fi

# ---------------------------------------------------------------- 6. deadlocks
# Concurrent UPDATEs of the same rows lock them in processing order.  With the extension off
# every session scans them in the same order and they queue; with it on the order is a hash of
# each row's key, the same in every session (docs/order-contract.md §3.6, §5.5), so they must queue just as well.
# A fresh table for each mode: the first non-HOT updates move rows, which is where an order
# that depends on the rows' places (a reversal, a per-session shuffle) deadlocks.
if [ "${LOAD_DEADLOCK_PROBE:-1}" != 0 ]; then
  phase "-- 6. deadlocks: 8 clients updating overlapping rows, inserting overlapping keys, off then on"
  # each statement on its own: a plain UPDATE and an UPDATE ... FROM lock the same rows in
  # different orders with the extension off too
  printf '%s\n' '\set g random(0, 19)' 'UPDATE lt_overlap SET val = val + 1 WHERE grp = :g;' \
    >"$work/overlap_plain.sql"
  # through a join: keyed on the target row each row names (reversed before: 10 deadlocks in 8 s)
  printf '%s\n' '\set g random(0, 19)' \
    'UPDATE lt_overlap o SET val = o.val + 1 FROM lt_pick p WHERE o.id = p.id AND p.grp = :g;' \
    >"$work/overlap_join.sql"
  # inserts of overlapping unique keys, rolled back so that every transaction meets others'
  # uncommitted keys: keyed on the key's values (per-session shuffles before: see the README)
  printf '%s\n' '\set g random(0, 19)' 'BEGIN;' \
    'INSERT INTO lt_keys SELECT id FROM lt_pick WHERE grp BETWEEN :g * 4 AND :g * 4 + 12 ON CONFLICT DO NOTHING;' \
    'ROLLBACK;' >"$work/overlap_insert.sql"
  declare -A deadlocks_in
  for statement in plain join insert; do
    for mode in off on; do
      psql_ -c "DROP TABLE IF EXISTS lt_overlap, lt_pick; CREATE TABLE lt_overlap (id int PRIMARY KEY,
        grp int NOT NULL, val int NOT NULL); INSERT INTO lt_overlap SELECT g, g % 100, g % 7
        FROM generate_series(1, 10000) g; CREATE INDEX ON lt_overlap (grp);
        CREATE TABLE lt_pick AS SELECT id, grp FROM lt_overlap; CREATE INDEX ON lt_pick (grp);
        DROP TABLE IF EXISTS lt_keys; CREATE TABLE lt_keys (k int PRIMARY KEY);
        ANALYZE lt_overlap, lt_pick" >/dev/null
      before=$(grep -c 'deadlock detected' "$srv/server.log" || true)
      PGOPTIONS="-c unorder_rows.enabled=$mode" "$bindir/pgbench" -n -h "$srv" -p "$port" -U postgres \
        -c 8 -j 2 -T 8 -f "$work/overlap_$statement.sql" postgres >"$work/overlap_${statement}_$mode.out" 2>&1 || true
      deadlocks_in[$mode]=$(( $(grep -c 'deadlock detected' "$srv/server.log" || true) - before ))
      done_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' \
        "$work/overlap_${statement}_$mode.out")
      echo "   $statement, unorder_rows $mode: ${done_tx:-0} transactions, ${deadlocks_in[$mode]} deadlocks"
    done
    if [ "${deadlocks_in[on]}" -gt $(( ${deadlocks_in[off]} + 2 )) ]; then
      fail deadlocks "$statement: ${deadlocks_in[on]} deadlocks with unorder_rows on, ${deadlocks_in[off]} off"
    fi
  done
fi

phase "-- server log"
# Nothing but the one kill may have crashed, tripped an assertion or PANICked.
unexpected=$(grep -E 'TRAP:|PANIC:|terminated by signal' "$srv/server.log" | grep -vc 'terminated by signal 9' || true)
echo "   unexpected crashes / assertion failures: $unexpected"
if [ "$unexpected" != 0 ]; then
  grep -E -A3 'TRAP:|PANIC:|terminated by signal' "$srv/server.log" | head -20 || true
  fail crash "crash or assertion failure in the server log"
fi

echo "== load runtime: $(( SECONDS - started ))s"
if [ ${#failures[@]} -gt 0 ]; then
  LOAD_KEEP=1
  echo "== FAILED: ${failures[*]}"
  exit 1
fi
echo "== load passed"
