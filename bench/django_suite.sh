#!/usr/bin/env bash
# Wall time of a realistic suite: the examples/django pytest suite (26 tests, its own test
# database created each run), unorder_rows off, on (--unorder-rows) and on with confirmation
# (--unorder-rows-confirm: the 12 failing tests run twice more), in alternating rounds against
# one throwaway server that preloads the library.  Prints each round and the medians/ratios.
#
#   bench/django_suite.sh [ROUNDS]     (default 7; as root; uses the installed extension)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
# shellcheck source=SCRIPTDIR/../examples/lib.sh
. examples/lib.sh
ur_setup_pg
work=""
ur_workdir work django_bench
python=$(ur_plugin_python "$work/venv")
port=$(ur_free_port)
ur_server_start "$work/srv" "$port" shared_preload_libraries=unorder_rows
export PGHOST=$work/srv PGPORT=$port PGUSER=postgres PYTHONDONTWRITEBYTECODE=1
cd examples/django
# seconds one pytest run takes (its outcome is not the point here: "on" fails 12 tests)
run() {
  local start=$EPOCHREALTIME
  "$python" -m pytest -q -p no:cacheprovider --create-db "$@" >/dev/null 2>&1 || true
  echo "$start $EPOCHREALTIME" | awk '{ printf "%.3f", $2 - $1 }'
}
run >/dev/null; run --unorder-rows >/dev/null   # warm-up
echo "round off on confirm (seconds)"
for ((i = 1; i <= rounds; i++)); do
  echo "$i $(run) $(run --unorder-rows) $(run --unorder-rows --unorder-rows-confirm)"
done | tee "$work/rounds.txt"
"$python" - "$work/rounds.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
off, on, confirm = (statistics.median(float(r[i]) for r in rows) for i in (1, 2, 3))
print(f"median: off {off:.3f} s, on {on:.3f} s ({on / off:.2f}x), on + confirm {confirm:.3f} s ({confirm / off:.2f}x)")
PY
