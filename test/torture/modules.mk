# Builds the C modules PostgreSQL's regression suite loads (regress.so, and autoinc.so and
# refint.so from contrib/spi) with PGXS against the server under test, so their headers and ABI
# are the server's own even when the suite's sources come from another minor release.
# Used by test/regress_torture.sh: make -f modules.mk -C BUILDDIR PG_CONFIG=...
MODULES = regress autoinc refint
# contrib/spi builds refint verbose "for the regression tests": the expected output has its NOTICEs
PG_CPPFLAGS = -DREFINT_VERBOSE
# No LLVM bitcode: Debian's server is built with LLVM, JIT-inlining these is useless here
override with_llvm = no
PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
