#!/usr/bin/env bash
# Run both examples and check their outcomes (see each run.sh):
#   examples/psql/run.sh     psql scripts: pass with unorder_rows off, fail with it on
#   examples/django/run.sh   Django + pytest-django suite, twice
# As root (or with sudo) on Debian/Ubuntu: installs what is missing. Exits non-zero if either
# example does not show exactly the expected outcome. Takes well under a minute once installed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
for example in psql django; do
  echo "######## examples/$example/run.sh"
  if "$here/$example/run.sh"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "######## examples/$example/run.sh FAILED"
  fi
done
echo "examples: $passed passed, $failed failed"
[ "$failed" = 0 ]
