#!/usr/bin/env bash
# Fuzz unorder_rows with sqlsmith against a throwaway assertion-enabled server.
#
#   test/fuzz.sh                       # CI default: about 2.5 minutes, fixed seed
#   FUZZ_DURATION=1800 test/fuzz.sh    # longer run by hand
#   FUZZ_SEED=7 test/fuzz.sh           # other queries (FUZZ_SEED=random: a fresh one)
#
# Environment:
#   PG_CONFIG          PostgreSQL to test (default UR_CASSERT_PG_CONFIG of test/server.sh)
#   FUZZ_DURATION      seconds of sqlsmith in total, split over the rounds (default 100)
#   FUZZ_ROUNDS        rounds, each with another setting variant and a fresh copy of the data (default 4)
#   FUZZ_MAX_QUERIES   per round, stop after this many queries too (default: no limit)
#   FUZZ_SEED          sqlsmith and unorder_rows seed (default 1)
#   FUZZ_PORT          server port (default: a free one)
#   FUZZ_KEEP=1        keep the work directory (server log, queries, errors) for inspection
#   FUZZ_NO_INSTALL=1  use the extension already installed into PG_CONFIG's server
#
# The server runs with shared_preload_libraries=unorder_rows and unorder_rows.enabled=on.
# Pass/fail: no backend may crash, trip an assertion or PANIC (server log), and the server must
# answer afterwards.  Then every query sqlsmith saw fail is replayed twice on the same data, with
# the extension off and on, each in a transaction rolled back: docs/order-contract.md §5.5 allows no error that
# would not happen with the extension off, so any query whose error differs fails the run unless
# the difference is explained by order alone (see classify_differences below).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/server.sh
. test/server.sh
export PG_CONFIG=${PG_CONFIG:-$UR_CASSERT_PG_CONFIG}
duration=${FUZZ_DURATION:-100}
rounds=${FUZZ_ROUNDS:-4}
max_queries=${FUZZ_MAX_QUERIES:-}
seed=${FUZZ_SEED:-1}
[ "$seed" = random ] && seed=$(( (RANDOM << 15 | RANDOM) % 2000000000 + 1 ))
port=${FUZZ_PORT:-$(ur_free_port)}
bindir=$("$PG_CONFIG" --bindir)
started=$SECONDS

# sqlsmith is a Debian package; CI runs as root and may install it on the fly.
if ! command -v sqlsmith >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlsmith >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlsmith >/dev/null; }
  fi
  command -v sqlsmith >/dev/null || { echo "fuzz: sqlsmith is not installed (apt-get install sqlsmith)" >&2; exit 2; }
fi

[ -n "${FUZZ_NO_INSTALL:-}${UNORDER_ROWS_INSTALLED:-}" ] || test/install_extension.sh

work=""
ur_workdir work fuzz
[ -n "${FUZZ_KEEP:-}" ] && ur_keep "$work"
srv=$work/srv

echo "== unorder_rows fuzz: $("$PG_CONFIG" --version), seed $seed, $rounds rounds, ${duration}s of sqlsmith"
# track_activity_query_size: the log's "Failed process was running" line then holds a crashing
# query whole, not its first kilobyte.
ur_server_start "$srv" "$port" shared_preload_libraries=unorder_rows unorder_rows.enabled=on \
  track_activity_query_size=1MB
conn="host=$srv port=$port user=postgres"
psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$srv" -p "$port" -U postgres "$@"; }

# The data every round starts from, and sqlsmith's error log (schema of its --log-to option).
psql_ -d postgres -c "CREATE DATABASE fuzz_template" -c "CREATE DATABASE fuzzlog"
psql_ -d fuzz_template -f test/fuzz_schema.sql
psql_ -d fuzzlog <<'SQL'
ALTER DATABASE fuzzlog SET unorder_rows.enabled = off;
CREATE TABLE instance (id bigserial PRIMARY KEY, rev text, target text, hostname text, version text,
                       seed text, t timestamptz DEFAULT now());
CREATE TABLE error (id bigint REFERENCES instance, msg text, query text, sqlstate text,
                    t timestamptz DEFAULT now(), eid bigserial);
CREATE TABLE stat (id bigint REFERENCES instance, generated bigint, level float, nodes float,
                   retries float, impedance jsonb, updated timestamptz);
SQL

# One setting variant per round (cycled): the catalog in or out of sqlsmith's reach, spilling,
# forced parallel plans, reverse mode, every scope setting on, sorted plans instead of hashed.
variant() {
  case $(( $1 % 5 )) in
    1) echo "catalog|unorder_rows.report=log" ;;
    2) echo "exclude-catalog|work_mem=64kB" ;;
    3) echo "exclude-catalog|parallel_setup_cost=0 parallel_tuple_cost=0 min_parallel_table_scan_size=0 min_parallel_index_scan_size=0 unorder_rows.mode=reverse" ;;
    4) echo "exclude-catalog|unorder_rows.perturb_subquery_order=on unorder_rows.perturb_values_returning=on unorder_rows.perturb_function_rows=on unorder_rows.perturb_lock_order=on enable_hashagg=off enable_hashjoin=off" ;;
    0) echo "catalog|work_mem=64kB enable_seqscan=off" ;;
  esac
}

server_alive() {

  for _ in $(seq 1 30); do
    psql_ -d postgres -Atc "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}

per_round=$(( duration / rounds ))
[ "$per_round" -lt 5 ] && per_round=5
for round in $(seq 1 "$rounds"); do
  IFS='|' read -r catalog settings <<<"$(variant "$round")"
  db=fuzz_$round
  psql_ -d postgres -c "CREATE DATABASE $db TEMPLATE fuzz_template"
  psql_ -d postgres -c "ALTER DATABASE $db SET unorder_rows.seed = $seed"
  for s in $settings; do
    psql_ -d postgres -c "ALTER DATABASE $db SET ${s%%=*} = '${s#*=}'"
  done
  args=(--target="$conn dbname=$db" --log-to="$conn dbname=fuzzlog" --seed=$(( seed * 100 + round ))
        --verbose --dump-all-queries)
  [ "$catalog" = exclude-catalog ] && args+=(--exclude-catalog)
  [ -n "$max_queries" ] && args+=(--max-queries="$max_queries")
  echo "-- round $round: $db, $catalog, ${settings:-defaults}, ${per_round}s"
  # sqlsmith has no time limit of its own; timeout's 124 is the normal end of a round.
  rc=0
  timeout "$per_round" sqlsmith "${args[@]}" >"$work/queries_$round.sql" 2>"$work/sqlsmith_$round.err" || rc=$?
  if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then
    echo "   sqlsmith exited with $rc:"; tail -5 "$work/sqlsmith_$round.err" | sed 's/^/   /'
  fi
  # sqlsmith prints one progress character per query: . ok, e error, t timeout, s or S syntax, c or C
  # connection lost
  grep -E '^[.etscSC]+$' "$work/sqlsmith_$round.err" | tr -d '\n' >"$work/progress_$round" || true
  server_alive || { echo "fuzz: server not responding after round $round" >&2; break; }
done

# ---- replay every failed query with the extension off and on
# Timeouts (57014) depend on load and crashes (08xxx, ?????) were counted above: neither
# compares.  Each replay runs in a transaction that is rolled back, in the round's database as
# the round left it, so off and on see the same data.  On runs first: a few functions change
# state outside the transaction (pg_stop_making_pinned_objects(), sequences), and what the
# first run changes can only make the second fail, which is then not blamed on the extension.
# TABLESAMPLE without REPEATABLE samples other rows on every run, with or without the extension:
# such queries are not replayed.
replay_script() {
  psql_ -d fuzzlog -At -v db="$1" <<'SQL'
SELECT E'\\o /dev/null\nSET client_min_messages = error;\nSET statement_timeout = ''1s'';\n'
       || coalesce(string_agg(format(E'BEGIN;\nSET LOCAL unorder_rows.enabled = %s;\n%s;\n'
                                     '\\if :ERROR\n\\echo @@ %s %s :LAST_ERROR_SQLSTATE :LAST_ERROR_MESSAGE\n'
                                     '\\else\n\\echo @@ %s %s 00000 ok\n\\endif\nROLLBACK;',
                                     m.mode, e.query, e.eid, m.mode, e.eid, m.mode),
                              E'\n' ORDER BY e.eid, m.mode DESC), '')
FROM error e JOIN instance i USING (id), (VALUES ('off'), ('on')) m(mode)
WHERE i.target LIKE '%dbname=' || :'db'
  AND coalesce(e.sqlstate, '') <> '57014' AND coalesce(e.sqlstate, '?') !~ '^(08|\?)'
  AND NOT (e.query ~* '\mtablesample\M' AND e.query !~* '\mrepeatable\M');
SQL
}

: >"$work/replay.txt"
for round in $(seq 1 "$rounds"); do
  replay_script "fuzz_$round" >"$work/replay_$round.sql"
  # no ON_ERROR_STOP here: the replayed queries are meant to fail
  "$bindir/psql" -X -q -h "$srv" -p "$port" -U postgres -d "fuzz_$round" -f "$work/replay_$round.sql" \
    2>/dev/null | grep '^@@ ' | sed "s/^@@ /$round /" >>"$work/replay.txt" || true
done

# One line per replayed query: round, id, sqlstate and message off, then on.
awk '{ key = $1 " " $2; msg = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", msg)
       if ($3 == "off") off[key] = msg; else on[key] = msg }
     END { for (k in off) if (k in on) print k "\t" off[k] "\t" on[k] }' "$work/replay.txt" \
  | sort -n >"$work/compared.tsv"

# Classify the differences.  The extension changes which row comes first (and which rows a
# LIMIT picks, docs/order-contract.md §5.1), so when several rows would fail, another row's error may come first,
# and a LIMIT without ORDER BY, everywhere in sqlsmith's queries, may pick rows that fail or
# none that do: such a difference could happen with the extension off too, under another plan
# or data layout ("order").  A statement timeout on either side is load ("timeout").  What
# never depends on order is an internal error (SQLSTATE class XX: "variable not found in
# subplan target list", "subplan was not initialized", ...) or one naming unorder_rows: with
# the extension on and not off, that is the extension's fault ("extension").
# An internal error that comes back with it off, with other values in its message (a number, a
# quoted string: another row's), is PostgreSQL's own, and order-dependent like any other.
# A few internal errors are raised by functions on the values they are given, not by the plan:
# "invalid INTERVAL typmod" (format_type() or a typmod output function fed another catalog
# row's atttypmod, which a LIMIT without ORDER BY over a catalog now picks).  They are
# order-dependent too; they are named here one by one, so that every other internal error
# still counts as the extension's.
data_dependent_internal='invalid (INTERVAL )?typmod'
normalize='function norm(m) { gsub(/"[^"]*"/, "\"S\"", m); gsub(/[0-9a-fA-F]*[0-9][0-9a-fA-F]*/, "N", m); return m }'
awk -F'\t' -v OFS='\t' -v data_dependent="$data_dependent_internal" "$normalize"'
  $2 == $3 { next }
  $2 ~ /^57014 / || $3 ~ /^57014 / { print "timeout", $0; next }
  $3 ~ /unorder_rows/ { print "extension", $0; next }
  $3 ~ /^XX/ && $3 !~ data_dependent && norm($2) != norm($3) { print "extension", $0; next }
  { print "order", $0 }' "$work/compared.tsv" >"$work/differ.tsv"
# Internal errors sqlsmith saw (with the extension on): how many came back with it off.  Those
# that did not come back with it on either (the data changed since) tell nothing; those that did
# were classified above.
psql_ -d fuzzlog -At -F $'\t' -c "
  SELECT substring(i.target from 'dbname=fuzz_([0-9]+)') || ' ' || e.eid,
         e.sqlstate || ' ' || substring(e.msg from '^ERROR:  ([^\n]*)')
  FROM error e JOIN instance i USING (id) WHERE e.sqlstate LIKE 'XX%'" >"$work/internal.tsv"
internal=$(wc -l <"$work/internal.tsv")
internal_off=$(awk -F'\t' "$normalize"'
     NR == FNR { off[$1] = $2; next }
     ($1 in off) && norm(off[$1]) == norm($2) { n++ } END { print n + 0 }' \
  "$work/compared.tsv" "$work/internal.tsv")

# ---- crashes and assertion failures (fuzzing or replay): the server log says it all
log=$srv/server.log
crashes=$(grep -cE 'terminated by signal|TRAP:|PANIC:|was terminated by exception' "$log" || true)
if [ "$crashes" != 0 ]; then
  echo "== crashes / assertion failures in the server log:"
  grep -E -A3 'TRAP:|PANIC:|terminated by signal|was terminated by exception' "$log" | cut -c1-400 | head -60 || true
fi
alive=yes
server_alive || alive=no

queries=0
for round in $(seq 1 "$rounds"); do
  p=$(cat "$work/progress_$round")
  queries=$(( queries + ${#p} ))
done
qerrors=$(psql_ -d fuzzlog -Atc "SELECT count(*) FROM error")
timeouts=$(psql_ -d fuzzlog -Atc "SELECT count(*) FROM error WHERE sqlstate = '57014'")
replayed=$(wc -l <"$work/compared.tsv")
differ_timeout=$(grep -c '^timeout' "$work/differ.tsv" || true)
differ_order=$(grep -c '^order' "$work/differ.tsv" || true)
differ=$(awk -F'\t' '$1 == "extension" { print $2 }' "$work/differ.tsv" | sort -u | wc -l)

if [ "$differ_order" != 0 ]; then
  echo "== errors that differ by row order (off | on), first 10 of $differ_order:"
  awk -F'\t' '$1 == "order" && n++ < 10 { print "   " substr($3 " | " $4, 1, 160) }' "$work/differ.tsv"
fi
if [ "$differ" != 0 ]; then
  echo "== errors with unorder_rows on that are not order-dependent (round query: off | on):"
  while IFS=$'\t' read -r _ key off on; do
    printf '%s: %s | %s\n' "$key" "$off" "$on"
    read -r _ eid <<<"$key"
    psql_ -d fuzzlog -At -c "SELECT left(query, 3000) FROM error WHERE eid = $eid" | sed 's/^/    /'
  done < <(awk -F'\t' '$1 == "extension"' "$work/differ.tsv" | sort -u -t$'\t' -k2,2 | head -10)
fi

echo "== fuzz figures"
echo "queries run:                  $queries"
echo "errors:                       $qerrors (statement timeouts: $timeouts)"
echo "  internal (XX) errors:       $internal, $internal_off of them also with the extension off"
echo "errors replayed off and on:   $replayed"
echo "  same error:                 $(( replayed - differ_timeout - differ_order ))"
echo "  differ, timeout on a side:  $differ_timeout"
echo "  differ by row order:        $differ_order"
echo "  extension errors:           $differ"
echo "crashes / assertion failures: $crashes"
echo "server alive at the end:      $alive"
echo "runtime:                      $(( SECONDS - started ))s"

if [ "$crashes" != 0 ] || [ "$alive" != yes ] || [ "$differ" != 0 ] || [ "$queries" = 0 ]; then
  FUZZ_KEEP=1
  echo "== FAILED"
  exit 1
fi
echo "== fuzz passed"
