#!/usr/bin/env bash
# Cached Debian roots (debootstrap) for what the host cannot test: PostgreSQL 17 (trixie's
# binary packages; its source package is not reachable here) and the Debian package installed
# on a machine that never saw the source tree.  As root.
#
#   test/debian_root.sh ensure NAME SUITE [PACKAGE...]  # root NAME from Debian SUITE with the
#                                                       # packages installed; prints its path
#   test/debian_root.sh clone NAME DEST                 # a throwaway copy of root NAME
#   test/debian_root.sh run DIR COMMAND...              # COMMAND inside DIR (chroot), with
#                                                       # /proc and /dev (and /dev/shm) bound
#
# Roots live in $UNORDER_ROWS_ROOTS (default /var/cache/unorder_rows) and are reused when
# present: `debootstrap --variant=minbase SUITE` once per suite (NAME-less SUITE.base), then one
# copy per NAME with its packages (apt-get is a no-op when they are there already).  Delete the
# directory to start afresh.  Making or changing a root takes a lock (flock); scripts that use
# a root's files take their own (NAME.use.lock), so that parallel runs wait.  Mounts are made in a private mount namespace (unshare), so they
# vanish with the command, even when it fails.  Inside a root, services are never started
# (policy-rc.d) and installing PostgreSQL creates no cluster: the tests start their own servers.
set -euo pipefail
roots=${UNORDER_ROWS_ROOTS:-/var/cache/unorder_rows}
mirror=${UNORDER_ROWS_MIRROR:-http://deb.debian.org/debian}

die() { echo "debian_root.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"

# run DIR COMMAND...: COMMAND in the chroot DIR with a clean environment
run() {
  local dir=$1; shift
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  unshare --mount --propagation private -- /bin/sh -ec '
    dir=$1; shift
    mount --bind /proc "$dir/proc"
    mount --rbind /dev "$dir/dev"
    mountpoint -q "$dir/dev/shm" || mount -t tmpfs -o mode=1777 shm "$dir/dev/shm"
    exec chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive TERM=dumb "$@"' sh "$dir" "$@"
}

# base SUITE: the pristine minbase root of SUITE, made once
base() {
  local suite=$1 dir=$roots/$1.base
  mkdir -p "$roots"
  exec 7>"$roots/$suite.base.lock"; flock 7   # one debootstrap per suite at a time
  if [ ! -f "$dir/.unorder_rows_complete" ]; then
    command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
    rm -rf "$dir.tmp"; mkdir -p "$roots"
    echo "debian_root.sh: debootstrap --variant=minbase $suite (once; cached in $dir)" >&2
    debootstrap --variant=minbase "$suite" "$dir.tmp" "$mirror" >"$roots/$suite.debootstrap.log" 2>&1 \
      || { tail -20 "$roots/$suite.debootstrap.log" >&2; die "debootstrap $suite failed"; }
    # never start services in the root; PostgreSQL's packages create no cluster
    printf '#!/bin/sh\nexit 101\n' >"$dir.tmp/usr/sbin/policy-rc.d"
    chmod 755 "$dir.tmp/usr/sbin/policy-rc.d"
    mkdir -p "$dir.tmp/etc/postgresql-common"
    echo "create_main_cluster = false" >"$dir.tmp/etc/postgresql-common/createcluster.conf"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
      >"$dir.tmp/etc/apt/apt.conf.d/90unorder_rows"
    touch "$dir.tmp/.unorder_rows_complete"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# ensure NAME SUITE PACKAGE...: root NAME (a copy of SUITE's base) with PACKAGEs installed.
# A PACKAGE ending in .deb is a file on the host, installed with apt-get from inside the root.
ensure() {
  local name=$1 suite=$2; shift 2
  local dir=$roots/$name b
  b=$(base "$suite")
  exec 8>"$roots/$name.lock"; flock 8   # one apt-get per root at a time
  if [ ! -f "$dir/.unorder_rows_complete" ]; then
    rm -rf "$dir"
    cp -a "$b" "$dir.tmp"
    mv "$dir.tmp" "$dir"
    rm -f "$dir/.unorder_rows_complete" "$dir/.unorder_rows_packages"
  fi
  if [ $# -gt 0 ] && [ "$(cat "$dir/.unorder_rows_packages" 2>/dev/null)" != "$*" ]; then
    local args=() p
    mkdir -p "$dir/tmp/debs"
    for p in "$@"; do
      if [[ $p == *.deb ]]; then
        cp "$p" "$dir/tmp/debs/"; args+=("/tmp/debs/$(basename "$p")")
      else
        args+=("$p")
      fi
    done
    echo "debian_root.sh: installing into $name: $*" >&2
    run "$dir" apt-get update -qq >&2
    run "$dir" apt-get install -y -qq "${args[@]}" >"$dir.apt.log" 2>&1 \
      || { tail -30 "$dir.apt.log" >&2; die "apt-get install in $name failed"; }
    run "$dir" apt-get clean
    rm -rf "$dir/tmp/debs"
    echo "$*" >"$dir/.unorder_rows_packages"
  fi
  touch "$dir/.unorder_rows_complete"
  echo "$dir"
}

# clone NAME DEST: a copy of root NAME for one test (the caller removes it)
clone() {
  local src=$roots/$1 dest=$2
  [ -f "$src/.unorder_rows_complete" ] || die "no root $1 in $roots (run ensure first)"
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"
  cp -a "$src" "$dest"
}

action=${1:-}; shift || true
case "$action" in
  ensure) [ $# -ge 2 ] || die "usage: ensure NAME SUITE [PACKAGE...]"; ensure "$@" ;;
  clone) [ $# -eq 2 ] || die "usage: clone NAME DEST"; clone "$@" ;;
  run) [ $# -ge 2 ] || die "usage: run DIR COMMAND..."; run "$@" ;;
  *) die "usage: ensure NAME SUITE [PACKAGE...] | clone NAME DEST | run DIR COMMAND..." ;;
esac
