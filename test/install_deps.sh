#!/usr/bin/env bash
# Install what building and testing unorder_rows needs on Debian/Ubuntu (as root, or via sudo).
set -euo pipefail
packages=(build-essential g++ make cmake pkg-config catch2 libpq-dev postgresql-15 postgresql-server-dev-15
          postgresql-client-15 clang-format
          python3-django python3-pytest python3-pytest-django python3-psycopg2 python3-yaml
          python3-psycopg python3-pytest-xdist python3-venv python3-setuptools python3-wheel
          sqlsmith dpkg-dev
          # Debian roots for PostgreSQL 17 and the package tests; building the package
          debootstrap debhelper fakeroot postgresql-server-dev-all git)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
