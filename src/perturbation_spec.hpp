/*
 * perturbation_spec.hpp
 *		What one perturbation node does, as stored in its plan node.
 *
 * The spec travels in CustomScan.custom_private as copyable nodes (integer
 * and OID lists), so plans can be copied, cached and sent to parallel
 * workers.  Read and write it only through the two functions below.
 */
#ifndef UNORDER_ROWS_PERTURBATION_SPEC_HPP
#define UNORDER_ROWS_PERTURBATION_SPEC_HPP

#include "pg/postgres_includes.hpp"

/* Which open order a node perturbs (docs/order-contract.md §3); shown by EXPLAIN. */
enum PerturbationKind
{
	KIND_RESULT,    /* rows of a query level without ORDER BY, or its ties */
	KIND_LIMIT,     /* rows a LIMIT / OFFSET / FETCH FIRST picks from */
	KIND_AGGREGATE, /* input of order-sensitive aggregates */
	KIND_WINDOW,    /* input of window functions */
	KIND_DISTINCT,  /* rows DISTINCT ON picks from */
	KIND_DML        /* rows INSERT/UPDATE/DELETE/MERGE process */
};

/* How the rows are rearranged. */
enum PerturbationScope
{
	SCOPE_NONE,       /* pass rows through; removed from the plan before execution */
	SCOPE_ALL,        /* every row may move */
	SCOPE_WITHIN_RUNS /* rows move only within runs equal on the keys */
};

/* Flags about the query level the node was planned in. */
enum
{
	LEVEL_TOP = 1 << 0,                /* the statement's own level, not a subquery */
	LEVEL_HAS_ORDER_BY = 1 << 1,       /* the level has its own ORDER BY */
	LEVEL_READS_ORDERED = 1 << 2,      /* reads a subquery/CTE with ORDER BY (§4.2) */
	NODE_TRACKS_ROW_IDENTITY = 1 << 3, /* cursor rows: keep each row's TID for WHERE CURRENT OF */
	NODE_PASSES_THROUGH = 1 << 4,      /* target list is the child's, column by column (no projection) */
	LEVEL_LOCKS_ROWS = 1 << 5,         /* an UPDATE, DELETE or MERGE: its source rows are locked in order */
	LEVEL_INSERTS = 1 << 6,            /* an INSERT: its rows may wait on other sessions' unique keys */
};

/*
 * The processing order of an INSERT's rows (insert_key.hpp): the session's
 * shuffle, or the order of a key every session computes alike, so that
 * sessions inserting the same unique keys insert them in one order.
 */
enum InsertOrder
{
	INSERT_ORDER_SHUFFLE,    /* no unique key the rows could conflict on */
	INSERT_ORDER_UNIQUE_KEY, /* a hash of the values of one unique or exclusion index's columns */
	INSERT_ORDER_ROW         /* a hash of the source row's (non-volatile) columns */
};

#define PERTURBATION_MAX_KEYS 64

struct PerturbationSpec
{
	PerturbationKind kind;
	PerturbationScope scope;
	int level_flags;
	int nkeys;
	AttrNumber key_columns[PERTURBATION_MAX_KEYS]; /* in the child's output */
	Oid key_equality_ops[PERTURBATION_MAX_KEYS];
	Oid key_collations[PERTURBATION_MAX_KEYS];

	/*
	 * The rows of an UPDATE, DELETE or MERGE (planner.cpp, find_target_rows):
	 * the child's column that holds the TID of the target row each row will
	 * change (the "ctid" the planner adds for ModifyTable; NULL in MERGE's
	 * rows without a match), the table it points into, and the child's
	 * columns that describe a row naming no target row.  0, InvalidOid and
	 * NIL where the target is no plain table (a view, a foreign table).
	 */
	AttrNumber target_tid_column;
	Oid target_relation;
	List *row_columns; /* IntList */

	/*
	 * The rows of an INSERT (insert_key.hpp): target_relation is the table
	 * inserted into, row_columns the child's columns computed by nothing
	 * volatile; the order, and for INSERT_ORDER_UNIQUE_KEY the index, the
	 * expressions that compute its columns' values over the node's scan
	 * tuple (INDEX_VAR) and the collation of each.
	 */
	InsertOrder insert_order;
	Oid key_index;
	List *key_exprs;
	List *key_index_collations; /* OidList */
};

/* perturbation_spec_read: decode (and sanity-check) a node's spec. */
void perturbation_spec_read(const CustomScan *cscan, PerturbationSpec *spec);

/* perturbation_spec_write: store a spec into a node (replaces custom_private). */
void perturbation_spec_write(CustomScan *cscan, const PerturbationSpec *spec);

/* perturbation_kind_label: the user-facing description of a kind. */
const char *perturbation_kind_label(PerturbationKind kind, bool within_runs);

#endif
