#!/usr/bin/env bash
# Check that every place naming the release agrees, before a release and in CI.
#
#   test/check_versions.sh
#
# The extension version X ('0.2') is unorder_rows.control's default_version; the distribution
# version D ('0.2.0') is META.json's and extends X (CHANGELOG.md explains the two).  Checked:
#   - sql/unorder_rows--X.sql exists and is the newest install script;
#   - every older version reaches X through upgrade scripts sql/unorder_rows--A--B.sql, and a
#     pg_regress suite runs ALTER EXTENSION unorder_rows UPDATE;
#   - META.json: version, provides.unorder_rows.version = D, its file the install script of X,
#     licence postgresql; the lowest PostgreSQL it requires = debian/pgversions';
#   - the library's unorder_rows_version() (#define UNORDER_ROWS_VERSION in src/) = D, and
#     its expected output in expected/*.out;
#   - debian/changelog's upstream version = D; CHANGELOG.md has a section for D; every tag
#     the docs check out (docs/*.md, README.md: v1.2.3) is vD.
set -euo pipefail
cd "$(dirname "$0")/.."
errors=0
fail() { echo "check_versions: $*" >&2; errors=$((errors + 1)); }

X=$(sed -n "s/^default_version = '\([^']*\)'$/\1/p" unorder_rows.control)
[ -n "$X" ] || { echo "check_versions: no default_version in unorder_rows.control" >&2; exit 1; }
D=$(python3 -c 'import json; print(json.load(open("META.json"))["version"])')
case "$D" in "$X".*) ;; *) fail "META.json version $D does not extend default_version $X" ;; esac

# install and upgrade scripts
installs=$(find sql -name 'unorder_rows--*.sql' ! -name 'unorder_rows--*--*' | sed 's,^sql/unorder_rows--,,; s,\.sql$,,' | sort -V)
[ -f "sql/unorder_rows--$X.sql" ] || fail "no install script sql/unorder_rows--$X.sql"
newest=$(echo "$installs" | tail -1)
[ "$newest" = "$X" ] || fail "newest install script is $newest, default_version is $X"
edges=$(find sql -name 'unorder_rows--*--*.sql' | sed 's,^sql/unorder_rows--,,; s,\.sql$,,; s,--, ,')
for v in $installs; do
  [ "$v" = "$X" ] && continue
  reached=" $v "; frontier=$v
  while [ -n "$frontier" ]; do
    next=""
    for f in $frontier; do
      while read -r a b; do
        [ "$a" = "$f" ] && [[ $reached != *" $b "* ]] && { reached+="$b "; next+=" $b"; }
      done <<<"$edges"
    done
    frontier=$next
  done
  [[ $reached == *" $X "* ]] || fail "no upgrade path from $v to $X (sql/unorder_rows--A--B.sql)"
done
grep -lq "ALTER EXTENSION unorder_rows UPDATE" sql/*.sql \
  || fail "no pg_regress suite runs ALTER EXTENSION unorder_rows UPDATE"

# META.json
python3 - "$X" "$D" <<'PY' || errors=$((errors + 1))
import json, sys
x, d = sys.argv[1], sys.argv[2]
meta = json.load(open("META.json"))
bad = []
p = meta["provides"]["unorder_rows"]
if p["version"] != d: bad.append(f"provides.unorder_rows.version {p['version']} != {d}")
if p["file"] != f"sql/unorder_rows--{x}.sql": bad.append(f"provides.unorder_rows.file {p['file']}")
if meta.get("license") != "postgresql": bad.append(f"license {meta.get('license')!r}, not 'postgresql'")
for b in bad: print("check_versions: META.json:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
meta_min=$(python3 -c 'import json,re; m=json.load(open("META.json")); print(re.search(r">= *(\d+)", m["prereqs"]["runtime"]["requires"]["PostgreSQL"]).group(1))')
pgv=$(sed -n 's/^\([0-9]*\)+$/\1/p' debian/pgversions)
[ "$meta_min" = "$pgv" ] || fail "META.json requires PostgreSQL >= $meta_min, debian/pgversions says ${pgv:-?}+"

# the library and its expected output
lib=$(grep -rhs '^#define UNORDER_ROWS_VERSION ' src | sed 's/.*"\(.*\)".*/\1/')
[ "$lib" = "$D" ] || fail "library version (UNORDER_ROWS_VERSION in src/) is '${lib}', not $D"
outs=$(grep -l '^ unorder_rows_version *$' expected/*.out || true)
[ -n "$outs" ] || fail "no expected output shows unorder_rows_version()"
for f in $outs; do
  shown=$(awk '/^ unorder_rows_version *$/ { getline; getline; print $1 }' "$f" | sort -u)
  [ "$shown" = "$D" ] || fail "$f expects unorder_rows_version() = '$shown', not $D"
done

# Debian, changelog, docs
deb=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null || head -1 debian/changelog | sed 's/.*(\(.*\)).*/\1/')
[ "${deb%-*}" = "$D" ] || fail "debian/changelog's version $deb is not $D-N"
grep -q "^## \[$D\]" CHANGELOG.md || fail "CHANGELOG.md has no section ## [$D]"
tags=$(grep -ohE '\bv[0-9]+\.[0-9]+\.[0-9]+\b' docs/*.md README.md | sort -u)
for t in $tags; do [ "$t" = "v$D" ] || fail "docs name tag $t, not v$D: $(grep -l "$t" docs/*.md README.md | tr '\n' ' ')"; done

if [ "$errors" -gt 0 ]; then
  echo "check_versions: $errors problem(s)" >&2
  exit 1
fi
echo "check_versions: $D (extension $X) in unorder_rows.control, sql/, META.json, the library," \
  "expected/, debian/changelog, CHANGELOG.md and the docs; upgrades to $X from: $(echo "$installs" | grep -vx "$X" | tr '\n' ' ')"
