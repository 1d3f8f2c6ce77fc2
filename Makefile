# unorder_rows: PGXS build.  `make`, `make install`, `make installcheck`, `make dist`.
# `make check-all` runs every suite against a throwaway server (test/run_tests.sh).

EXTENSION = unorder_rows
MODULE_big = unorder_rows
DATA = $(wildcard sql/unorder_rows--*.sql)

OBJS = \
	src/module.o \
	src/settings.o \
	src/planner.o \
	src/query_level.o \
	src/order_analysis.o \
	src/plan_nodes.o \
	src/node.o \
	src/node_plan.o \
	src/cursor.o \
	src/aggregates.o \
	src/perturbation_spec.o \
	src/shuffle_scan.o \
	src/shuffle_scan_all.o \
	src/shuffle_scan_runs.o \
	src/shuffle_scan_explain.o \
	src/block_scan.o \
	src/row_buffer.o \
	src/row_buffer_runs.o \
	src/row_buffer_sort.o \
	src/row_sample.o \
	src/row_key.o \
	src/keyed_rows.o \
	src/insert_key.o \
	src/report.o \
	src/fingerprint.o \
	src/sql_functions.o \
	src/core/seed.o

# pg_regress suites: every sql/*.sql except the install script, in name order
REGRESS = $(sort $(filter-out unorder_rows--%,$(notdir $(basename $(wildcard sql/*.sql)))))
REGRESS_OPTS = --load-extension=unorder_rows --inputdir=. --outputdir=build/regress

PG_CONFIG ?= pg_config
PG_CXXFLAGS += -std=gnu++17 -Wall -Wextra -Werror -Wno-register -Wno-unused-parameter \
	-Wno-missing-field-initializers -fno-exceptions -Isrc
# PGXS links with the C compiler; C++ needs its runtime
SHLIB_LINK += -lstdc++

# LLVM bitcode only helps JIT-inlining SQL-callable functions: none here.
# (Must precede the include: PGXS decides on its bitcode rules as it reads.)
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Objects compiled against one PostgreSQL must not be linked and installed into another: a
# stamp names the server the objects were built for, and every object depends on it, so a
# `make` with another PG_CONFIG rebuilds them (the stamp is rewritten only when it changes).
PG_BUILD_STAMP = build/pg_config.stamp
EXTRA_CLEAN += $(PG_BUILD_STAMP)
$(PG_BUILD_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(shell $(PG_CONFIG) --version) $(shell $(PG_CONFIG) --includedir-server)' | cmp -s - $@ 2>/dev/null || \
	  echo '$(shell $(PG_CONFIG) --version) $(shell $(PG_CONFIG) --includedir-server)' > $@
$(OBJS): $(PG_BUILD_STAMP)
.PHONY: FORCE
FORCE:

installcheck: | build/regress
build/regress:
	mkdir -p $@

.PHONY: check-all format
check-all:
	test/run_tests.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# ---------------------------------------------------------------- release tarball
# `make dist`: unorder_rows-<version>.zip of the committed tree (git archive), the format PGXN
# takes. The version is META.json's (its first "version" key) and must extend the control
# file's default_version: 0.2.0 for '0.2' (see CHANGELOG.md).
DISTVERSION = $(shell sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' META.json | head -1)
CONTROLVERSION = $(shell sed -n "s/^default_version = '\([^']*\)'$$/\1/p" $(EXTENSION).control)

.PHONY: dist
dist:
	@test -n "$(DISTVERSION)" || { echo "dist: no version in META.json" >&2; exit 1; }
	@case "$(DISTVERSION)" in $(CONTROLVERSION).*) ;; *) \
	  echo "dist: META.json version $(DISTVERSION) does not extend default_version $(CONTROLVERSION)" >&2; exit 1;; esac
	@git diff --quiet HEAD -- || echo "dist: warning: uncommitted changes are not in the tarball" >&2
	git archive --format zip --prefix=$(EXTENSION)-$(DISTVERSION)/ -o $(EXTENSION)-$(DISTVERSION).zip HEAD
	@echo "dist: $(EXTENSION)-$(DISTVERSION).zip"
