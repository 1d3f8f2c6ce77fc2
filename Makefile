# unorder_rows: PGXS build.  `make`, `make install`, `make installcheck`.
# `make check-all` runs every suite against a throwaway server (test/run_tests.sh).

EXTENSION = unorder_rows
MODULE_big = unorder_rows
DATA = $(wildcard sql/unorder_rows--*.sql)

OBJS = \
	src/module.o \
	src/settings.o \
	src/planner.o \
	src/order_analysis.o \
	src/perturbation_spec.o \
	src/shuffle_scan.o \
	src/row_buffer.o \
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

installcheck: | build/regress
build/regress:
	mkdir -p $@

.PHONY: check-all format
check-all:
	test/run_tests.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
