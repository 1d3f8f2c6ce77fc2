#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2001  # pass() never fails: `cond && pass || fail` is an if/else
# Exercise the Docker recipe on this machine, where there is no Docker engine.
#
#   docker/test-install-script.sh                 (as root: it installs into the local PostgreSQL)
#   docker/test-install-script.sh --fresh-root    also build in a fresh Debian root (~3 minutes)
#
# What docker/Dockerfile does, done here for real against Debian's PostgreSQL (PG_MAJOR,
# default 15), each step checked:
#   1. stage exactly the files the Dockerfile COPYs and run install-unorder-rows.sh from there
#      with the arguments of the Dockerfile's RUN line (the configuration sample redirected to a
#      copy, so this machine's own initdb defaults stay as they are);
#   2. the image's entrypoint (unorder-rows-entrypoint.sh): the flags it makes of the
#      Dockerfile's ENV and of UNORDER_ROWS_* / -c arguments;
#   3. initdb with the configured sample, as the image does for a new container, and servers
#      started with the flags the entrypoint makes for `docker run image`, `docker run image -c
#      unorder_rows.enabled=off`, `docker run -e UNORDER_ROWS_ENABLED=off image`: preloaded,
#      on/off as asked, rows perturbed, ORDER BY kept, PGOPTIONS honoured; then a server started
#      through the entrypoint itself with UNORDER_ROWS_SEED;
#   4. static checks of docker/Dockerfile and docker/docker-compose.yml;
#   5. with --fresh-root: the Dockerfile's RUN line in a fresh Debian root (mmdebstrap) that has
#      only postgresql-N, as in the image: build dependencies installed, then all removed again,
#      and a server there preloads the library and perturbs.
# Prints one line per check and "N passed, N failed" at the end; exits non-zero on any failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/../test/server.sh
. "$repo/test/server.sh"
docker_dir=$repo/docker
major=${PG_MAJOR:-15}
fresh_root=no
[ "${1:-}" = --fresh-root ] && fresh_root=yes
[ "$(id -u)" = 0 ] || { echo "test-install-script.sh: run as root (it installs into PostgreSQL $major)" >&2; exit 2; }

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "  ok: $*"; }
fail() { failed=$((failed + 1)); echo "  FAILED: $*"; }
# expect LABEL WANT GOT
expect() { if [ "$2" = "$3" ]; then pass "$1 ($3)"; else fail "$1: got '$3', want '$2'"; fi; }

work=""
ur_workdir work docker_test
port=$(ur_free_port)
bgpid=""
cleanup() {
  if [ -n "$bgpid" ]; then kill "$bgpid" 2>/dev/null || true; fi
  if mountpoint -q "$work/root/proc" 2>/dev/null; then umount "$work/root/proc" || true; fi
}
ur_on_exit cleanup

dockerfile=$docker_dir/Dockerfile
entrypoint=$docker_dir/unorder-rows-entrypoint.sh
bindir=/usr/lib/postgresql/$major/bin
sharedir=/usr/share/postgresql/$major

# ------------------------------------------------------------------ step 1
echo "== 1. stage the Dockerfile's COPY sources and run its RUN line"
stage=$work/usr-src                      # plays /usr/src/unorder_rows
mkdir -p "$stage"
while read -r -a words; do
  dest=${words[${#words[@]} - 1]}
  case "$dest" in
    /usr/src/unorder_rows/*) ;;
    *) continue ;;                       # the entrypoint: step 2
  esac
  rel=${dest#/usr/src/unorder_rows/}
  for src in "${words[@]:1:${#words[@]}-2}"; do
    if [ ! -e "$repo/$src" ]; then fail "Dockerfile COPYs $src, which does not exist"; continue; fi
    if [[ $dest == */ ]]; then target=$stage/$rel$(basename "$src"); else target=$stage/$rel; fi
    mkdir -p "$(dirname "$target")"
    cp -a "$repo/$src" "$target"
  done
done < <(grep -E '^COPY ' "$dockerfile")
for f in Makefile unorder_rows.control docker/install-unorder-rows.sh; do
  [ -e "$stage/$f" ] || fail "the Dockerfile does not COPY $f"
done

run_line=$(grep -E '^RUN ' "$dockerfile" | grep -o 'install-unorder-rows\.sh [^&\\]*' | head -1 | sed 's/[[:space:]]*$//')
read -r -a run_args <<<"${run_line#install-unorder-rows.sh }"
cp -a "$sharedir" "$work/share"          # plays /usr/share/postgresql (initdb -L)
sample=$work/share/postgresql.conf.sample
args=()
for a in "${run_args[@]}"; do
  [ "$a" = /usr/share/postgresql/postgresql.conf.sample ] && a=$sample
  args+=("$a")
done
printf '%s\n' "${args[@]}" | grep -qx -- --remove-build-deps \
  && pass "the RUN line removes the build dependencies (--remove-build-deps)" \
  || fail "the RUN line does not pass --remove-build-deps"
printf '%s\n' "${args[@]}" | grep -qx -- "$sample" \
  && pass "the RUN line configures /usr/share/postgresql/postgresql.conf.sample" \
  || fail "the RUN line does not pass --preload-config /usr/share/postgresql/postgresql.conf.sample"

# The image starts without any build dependency and removes them afterwards (step 5 checks
# that). Here they are installed first, so that --remove-build-deps finds nothing of its own
# to remove and this machine keeps its packages.
need=()
for p in make g++ "postgresql-$major" "postgresql-server-dev-$major"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "   (installing ${need[*]} first)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

lib=/usr/lib/postgresql/$major/lib/unorder_rows.so
before=$(date +%s)
sleep 1
if out=$(cd / && PG_MAJOR=$major "$stage/docker/install-unorder-rows.sh" "${args[@]}" 2>&1); then
  pass "PG_MAJOR=$major $run_line: exit 0"
else
  fail "PG_MAJOR=$major $run_line: exit non-zero"
fi
sed 's/^/   | /' <<<"$out"
grep -q 'installed no package, nothing to remove' <<<"$out" \
  && pass "--remove-build-deps removed nothing this machine had before" \
  || fail "--remove-build-deps did not report removing nothing"
[ -f "$lib" ] && [ "$(stat -c %Y "$lib")" -ge "$before" ] && pass "$lib freshly installed" \
  || fail "$lib not (re)installed"
nm -D "$lib" 2>/dev/null | grep -c ' T Pg_magic_func$' >/dev/null && pass "the library has PostgreSQL's module magic" \
  || fail "no Pg_magic_func in $lib"
[ -f "$sharedir/extension/unorder_rows.control" ] && pass "unorder_rows.control installed" \
  || fail "no $sharedir/extension/unorder_rows.control"
expect "the configuration sample preloads the library" 1 "$(grep -c "^shared_preload_libraries = 'unorder_rows'$" "$sample")"
expect "... and does not switch it on (initdb reads this file)" 0 "$(grep -c '^unorder_rows\.enabled' "$sample")"
out=$(PG_MAJOR=$major "$stage/docker/install-unorder-rows.sh" --no-apt --preload-config "$sample" 2>&1) \
  && grep -q 'already preloads unorder_rows' <<<"$out" \
  && pass "a second run (--no-apt) rebuilds and leaves a configured sample alone" \
  || { fail "a second run with --preload-config"; sed 's/^/   | /' <<<"$out"; }
expect "the sample still preloads it once" 1 "$(grep -c "^shared_preload_libraries = 'unorder_rows'$" "$sample")"

# ------------------------------------------------------------------ step 2
echo "== 2. the image's entrypoint"
[ -x "$entrypoint" ] && pass "unorder-rows-entrypoint.sh is executable" || fail "unorder-rows-entrypoint.sh is not executable"
image_env=$(sed -n 's/^ENV \(UNORDER_ROWS_[A-Z_]*=[^ ]*\)$/\1/p' "$dockerfile")
expect "the Dockerfile's ENV" "UNORDER_ROWS_ENABLED=on" "$image_env"
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' >"$work/print-args.sh"
chmod 755 "$work/print-args.sh"
# entry [VAR=value ...] -- [args ...]: the command the entrypoint hands to docker-entrypoint.sh,
# with the image's environment, one word a line
entry() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env -i PATH="$PATH" "$image_env" "${envs[@]}" UNORDER_ROWS_NEXT_ENTRYPOINT="$work/print-args.sh" "$entrypoint" "$@"
}
oneline() { tr '\n' ' ' | sed 's/ $//'; }
expect "docker run image" "postgres -c unorder_rows.enabled=on" "$(entry -- | oneline)"
expect "docker run image -c fsync=off" "postgres -c unorder_rows.enabled=on -c fsync=off" \
  "$(entry -- -c fsync=off | oneline)"
expect "docker run image -c unorder_rows.enabled=off (the later flag wins)" \
  "postgres -c unorder_rows.enabled=on -c unorder_rows.enabled=off" "$(entry -- -c unorder_rows.enabled=off | oneline)"
expect "docker run -e UNORDER_ROWS_ENABLED=off -e UNORDER_ROWS_SEED=7 -e UNORDER_ROWS_MODE=reverse image" \
  "postgres -c unorder_rows.enabled=off -c unorder_rows.seed=7 -c unorder_rows.mode=reverse" \
  "$(entry UNORDER_ROWS_ENABLED=off UNORDER_ROWS_SEED=7 UNORDER_ROWS_MODE=reverse -- | oneline)"
expect "docker run -e UNORDER_ROWS_ENABLED= image (leave it to the configuration)" "postgres" \
  "$(entry UNORDER_ROWS_ENABLED= -- | oneline)"
expect "docker run image bash -c true (other commands untouched)" "bash -c true" "$(entry -- bash -c true | oneline)"

# ------------------------------------------------------------------ step 3
echo "== 3. a cluster made from the configured sample, started as the image starts it"
id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
mkdir -p "$work/pg"
chown postgres "$work/pg"
if runuser -u postgres -- "$bindir/initdb" -D "$work/pg/data" -A trust -U postgres --no-sync -L "$work/share" \
     >"$work/initdb.log" 2>&1; then
  pass "initdb with the configured sample"
else
  cat "$work/initdb.log"; fail "initdb with the configured sample"
fi
grep -E 'unorder_rows: |session seed' "$work/initdb.log" && fail "initdb's output mentions unorder_rows (perturbed?)" \
  || pass "initdb's own SQL ran unperturbed (nothing logged by unorder_rows)"
grep -q "^shared_preload_libraries = 'unorder_rows'" "$work/pg/data/postgresql.conf" \
  && pass "the new cluster's postgresql.conf preloads unorder_rows" || fail "postgresql.conf does not preload unorder_rows"

q() { "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$work/pg" -p "$port" -U postgres -d postgres "$@"; }
# start_like LABEL [VAR=value ...] -- [args ...]: restart the cluster with the -c flags the
# entrypoint makes of that `docker run`
start_like() {
  local settings=() words
  mapfile -t words < <(entry "$@")
  local i
  for ((i = 1; i < ${#words[@]}; i++)); do
    [ "${words[i]}" = -c ] && { settings+=("${words[i + 1]}"); i=$((i + 1)); }
  done
  ur_server_restart "$work/pg" "$port" "${settings[@]}"
}

start_like --
expect "docker run image: shared_preload_libraries" unorder_rows "$(q -c 'SHOW shared_preload_libraries')"
expect "docker run image: SHOW unorder_rows" on "$(q -c 'SHOW unorder_rows')"
expect "docker run image: SHOW unorder_rows.enabled" on "$(q -c 'SHOW unorder_rows.enabled')"
q -c 'CREATE EXTENSION unorder_rows' -c 'CREATE TABLE t AS SELECT g FROM generate_series(1, 100) g'
version=$(q -c 'SELECT unorder_rows_version()')
[ -n "$version" ] && pass "CREATE EXTENSION unorder_rows; unorder_rows_version() = $version" || fail "unorder_rows_version()"
expect "LIMIT 1 without ORDER BY picks another row than the first" t "$(q -c 'SELECT g <> 1 FROM t LIMIT 1')"
expect "array_agg without ORDER BY is perturbed" t "$(q -c 'SELECT array_agg(g) <> array_agg(g ORDER BY g) FROM t')"
expect "the same rows come back" "100|5050" "$(q -c 'SELECT count(*), sum(g) FROM (SELECT g FROM t) s')"
expect "ORDER BY is kept" "1,2,3" "$(q -c "SELECT string_agg(g::text, ',') FROM (SELECT g FROM t ORDER BY g LIMIT 3) s")"
q -c 'EXPLAIN (COSTS OFF) SELECT g FROM t LIMIT 1' | grep -q 'Custom Scan (UnorderRows)' \
  && pass "EXPLAIN shows Custom Scan (UnorderRows)" || fail "EXPLAIN shows no UnorderRows node"
expect "PGOPTIONS='-c unorder_rows.enabled=off': SHOW unorder_rows" off \
  "$(PGOPTIONS='-c unorder_rows.enabled=off' q -c 'SHOW unorder_rows')"
expect "PGOPTIONS='-c unorder_rows.enabled=off': LIMIT 1 picks the first row" 1 \
  "$(PGOPTIONS='-c unorder_rows.enabled=off' q -c 'SELECT g FROM t LIMIT 1')"
q -c 'CREATE DATABASE control' -c 'ALTER DATABASE control SET unorder_rows.enabled = off'
expect "ALTER DATABASE control SET unorder_rows.enabled = off" off \
  "$("$bindir/psql" -X -q -At -h "$work/pg" -p "$port" -U postgres -d control -c 'SHOW unorder_rows')"

start_like -- -c unorder_rows.enabled=off
expect "docker run image -c unorder_rows.enabled=off: still preloaded" unorder_rows "$(q -c 'SHOW shared_preload_libraries')"
expect "docker run image -c unorder_rows.enabled=off: SHOW unorder_rows" off "$(q -c 'SHOW unorder_rows')"
expect "docker run image -c unorder_rows.enabled=off: LIMIT 1 picks the first row" 1 "$(q -c 'SELECT g FROM t LIMIT 1')"
expect "... and SET unorder_rows = on works in a session" t "$(q -c 'SET unorder_rows = on' -c 'SELECT g <> 1 FROM t LIMIT 1')"

start_like UNORDER_ROWS_ENABLED=off --
expect "docker run -e UNORDER_ROWS_ENABLED=off image: SHOW unorder_rows" off "$(q -c 'SHOW unorder_rows')"
expect "... PGOPTIONS='-c unorder_rows.enabled=on' turns it on for a client" on \
  "$(PGOPTIONS='-c unorder_rows.enabled=on' q -c 'SHOW unorder_rows')"
ur_server_stop "$work/pg"

# A real server started through the entrypoint, the next entrypoint being a plain exec.
printf '#!/bin/sh\nexec "$@"\n' >"$work/exec.sh"
chmod 755 "$work/exec.sh"
runuser -u postgres -- env -i PATH="$bindir:$PATH" PGDATA="$work/pg/data" LANG=C.UTF-8 "$image_env" \
  UNORDER_ROWS_SEED=4242 UNORDER_ROWS_NEXT_ENTRYPOINT="$work/exec.sh" \
  "$entrypoint" -c port="$port" -c unix_socket_directories="$work/pg" -c listen_addresses= \
  >"$work/entrypoint-server.log" 2>&1 &
bgpid=$!
for _ in $(seq 1 60); do "$bindir/pg_isready" -q -h "$work/pg" -p "$port" && break; sleep 0.5; done
expect "server via the entrypoint: SHOW unorder_rows" on "$(q -c 'SHOW unorder_rows')"
expect "server via the entrypoint, UNORDER_ROWS_SEED=4242: SHOW unorder_rows.seed" 4242 "$(q -c 'SHOW unorder_rows.seed')"
agg="SELECT string_agg(g::text, ',') FROM (SELECT g FROM t) s"
first=$(q -c "$agg")
second=$(q -c "$agg")
[ "$first" = "$second" ] && [ "$first" != "$(PGOPTIONS='-c unorder_rows.enabled=off' q -c "$agg")" ] \
  && pass "seed 4242: the same statement gets the same perturbed order in two sessions" \
  || fail "seed 4242: orders '$first' / '$second'"
runuser -u postgres -- "$bindir/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null
wait "$bgpid" 2>/dev/null || true
bgpid=""

# ------------------------------------------------------------------ step 4
echo "== 4. static checks"
grep -qx 'ARG PG_MAJOR=15' "$dockerfile" && grep -qxF "FROM postgres:\${PG_MAJOR}" "$dockerfile" \
  && pass "Dockerfile: ARG PG_MAJOR=15, FROM postgres:\${PG_MAJOR}" || fail "Dockerfile: PG_MAJOR build argument"
grep -qx 'ENTRYPOINT \["unorder-rows-entrypoint.sh"\]' "$dockerfile" && grep -qx 'CMD \["postgres"\]' "$dockerfile" \
  && pass "Dockerfile: ENTRYPOINT unorder-rows-entrypoint.sh, CMD postgres" || fail "Dockerfile: ENTRYPOINT/CMD"
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
  /usr/bin/python3 - "$docker_dir/docker-compose.yml" <<'PY' && pass "docker-compose.yml parses and builds docker/Dockerfile from .." || fail "docker-compose.yml"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
b = c["services"]["postgres"]["build"]
assert b["context"] == ".." and b["dockerfile"] == "docker/Dockerfile", b
PY
  /usr/bin/python3 - "$repo/docs/ci-recipes.md" <<'PY' && pass "docs/ci-recipes.md: every yaml block parses" || fail "docs/ci-recipes.md: a yaml block does not parse"
import re, sys, yaml
blocks = re.findall(r"```yaml\n(.*?)```", open(sys.argv[1]).read(), re.S)
assert len(blocks) >= 5, len(blocks)
for b in blocks:
    yaml.safe_load(b)
print(f"  ({len(blocks)} yaml blocks)")
PY
else
  echo "  (python3-yaml is not installed: docker-compose.yml and the docs' YAML not parsed)"
fi

# ------------------------------------------------------------------ step 5
if [ "$fresh_root" = yes ]; then
  echo "== 5. the RUN line in a fresh Debian root with only postgresql-$major (as in the image)"
  command -v mmdebstrap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
  }
  root=$work/root
  # shellcheck disable=SC1091
  suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
  if mmdebstrap --variant=minbase --include="postgresql-$major,ca-certificates" "$suite" "$root" \
       >"$work/mmdebstrap.log" 2>&1; then
    pass "mmdebstrap $suite with postgresql-$major"
  else
    tail -20 "$work/mmdebstrap.log"; fail "mmdebstrap"
  fi
  if [ -x "$root/usr/lib/postgresql/$major/bin/postgres" ]; then
    mkdir -p "$root/usr/src"
    cp -a "$stage" "$root/usr/src/unorder_rows"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc"
    # shellcheck disable=SC2016
    packages() { chroot "$root" dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort; }
    before_pkgs=$(packages)
    rootsample=/usr/share/postgresql/$major/postgresql.conf.sample   # the image's path, before its symlink
    root_args=()
    for a in "${run_args[@]}"; do
      [ "$a" = /usr/share/postgresql/postgresql.conf.sample ] && a=$rootsample
      root_args+=("$a")
    done
    if chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PG_MAJOR="$major" \
         /usr/src/unorder_rows/docker/install-unorder-rows.sh "${root_args[@]}" >"$work/root-install.log" 2>&1; then
      pass "the RUN line in the fresh root: exit 0"
    else
      fail "the RUN line in the fresh root"
    fi
    grep '^install-unorder-rows:' "$work/root-install.log" | sed 's/^/   | /'
    grep -q 'installing build dependencies: make g++ postgresql-server-dev' "$work/root-install.log" \
      && pass "it installed make, g++ and postgresql-server-dev-$major" || fail "it did not install the build dependencies"
    after_pkgs=$(packages)
    expect "after --remove-build-deps, the same packages as before" "$(wc -l <<<"$before_pkgs") same" \
      "$(wc -l <<<"$after_pkgs") $([ "$before_pkgs" = "$after_pkgs" ] && echo same || echo different)"
    chroot "$root" bash -c "ldd /usr/lib/postgresql/$major/lib/unorder_rows.so | grep -q 'not found'" \
      && fail "the library misses shared objects after the removal" || pass "the library still resolves all its shared objects"
    out=$(chroot "$root" bash -c "
      set -e; mkdir -p /tmp/pg; chown postgres /tmp/pg; cd /tmp
      runuser -u postgres -- /usr/lib/postgresql/$major/bin/initdb -D /tmp/pg/data -A trust -U postgres --no-sync >/dev/null
      runuser -u postgres -- /usr/lib/postgresql/$major/bin/pg_ctl -D /tmp/pg/data -l /tmp/pg/log -w \
        -o '-k /tmp/pg -c listen_addresses= -p 5432 -c unorder_rows.enabled=on' start >/dev/null
      psql -X -q -At -h /tmp/pg -U postgres -c 'SHOW shared_preload_libraries' -c 'SHOW unorder_rows' \
        -c 'CREATE TABLE t AS SELECT generate_series(1, 10) g' -c 'SELECT g <> 1 FROM t LIMIT 1'
      runuser -u postgres -- /usr/lib/postgresql/$major/bin/pg_ctl -D /tmp/pg/data -m fast -w stop >/dev/null" 2>&1 | oneline)
    expect "a server in the fresh root: preloaded, on, perturbing" "unorder_rows on t" "$out"
    umount "$root/proc"
  fi
fi

echo "docker recipe: $passed passed, $failed failed"
[ "$failed" = 0 ]
