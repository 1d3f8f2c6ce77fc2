/*
 * shuffle_scan_internal.hpp
 *		The executor state of the UnorderRows node, shared by its files:
 *   shuffle_scan.cpp          begin, dispatch, rescan, end; what every scope needs
 *                             (the child's rows, their identity, the seed)
 *   shuffle_scan_all.cpp      SCOPE_ALL: all rows, or a sample of those a LIMIT reads
 *   shuffle_scan_runs.cpp     SCOPE_WITHIN_RUNS: runs of tied rows, streamed
 *   shuffle_scan_explain.cpp  EXPLAIN and the per-statement reports
 *
 * The state lives in palloc'd memory of the query (docs: ENGINEERING.md, C++
 * inside PostgreSQL): every struct here is trivially destructible, and a
 * rescan resets the per-scan parts by assigning them anew.
 */
#ifndef UNORDER_ROWS_SHUFFLE_SCAN_INTERNAL_HPP
#define UNORDER_ROWS_SHUFFLE_SCAN_INTERNAL_HPP

#include "shuffle_scan.hpp"

#include "core/permutation.hpp"
#include "insert_key.hpp"
#include "keyed_rows.hpp"
#include "node.hpp"
#include "row_buffer.hpp"
#include "row_key.hpp"
#include "row_sample.hpp"

#include <type_traits>

/* Cursor rows: the scan whose row identity (TID) travels with each row. */
struct RowIdentity
{
	ScanState *scan; /* NULL: no identity kept */
	Oid table;
	ItemPointerData child_tid; /* TID of the row the child just returned */
};

/*
 * DML that locks rows: processed in the order of each row's key
 * (row_key.hpp, keyed_rows.hpp).  The key is the target row's: where the
 * child is a plain scan of the target, of the row the scan just returned;
 * where a join stands between, of the row version the join saw, fetched by
 * the TID in the row's target TID column; a row that names no target row
 * (MERGE's NOT MATCHED) is keyed on its own columns.  An INSERT's rows,
 * where they may wait on other sessions' unique keys, are keyed on the
 * values of a unique key or on their own columns (insert_key.hpp).
 */
struct KeyedOrder
{
	bool on;                    /* rows are keyed (else: reversed, README known limits) */
	ScanState *scan;            /* a plain scan of the target; NULL: through a join */
	Relation target;            /* through a join: the table the TIDs point into */
	TupleTableSlot *target_row; /* through a join: the target row fetched by TID */
	RowKey *key;                /* the target table's key */
	RowKey *row_key;            /* through a join: key of a row that names no target row */
	InsertKey *insert;          /* an INSERT's rows: their key */
	RowOrderKey child_key;      /* of the row the child just returned (plain scan) */
	uint64 seed;                /* the statement's, the same in every session */
	KeyedRows *rows;
};

/* SCOPE_ALL: where a scan stands. */
enum AllRowsPhase
{
	ALL_NOT_READ,  /* nothing read yet in this scan */
	ALL_EMITTING,  /* all rows read and permuted: emitting them */
	ALL_EXHAUSTED, /* zero or one row, already emitted */
};

struct AllRowsState
{
	AllRowsPhase phase;
};

/* SCOPE_ALL under a LIMIT: a sample of the rows the LIMIT reads, instead of all. */
struct LimitSampleState
{
	RowSample *sample; /* created at the first sampled scan, kept for the next */
	bool sampling;     /* the current scan emits from the sample */
	int64 size;
};

/* SCOPE_WITHIN_RUNS: what one scan has got to. */
struct TiesScan
{
	bool have_lookahead; /* the row that ended the last run waits in lookahead */
	bool child_done;
	bool emitting;    /* the buffered run is being emitted */
	uint64 scan_rows; /* rows read from the child in this scan */
	uint64 run_start; /* position of the current run's first row, from 1 */
	ItemPointerData run_first_tid;
	ItemPointerData lookahead_tid;
	/* under a LIMIT: the bound passed to a sort below (pass_bound_down) */
	int64 limit_rows;   /* rows the LIMIT above reads; 0: no bound passed */
	int64 bound_passed; /* the bound the child was told; 0: none */
	bool bound_set;     /* the bound of this scan was passed down */
	bool bound_dropped; /* ties at the LIMIT reached past the bound: reread */
};

/* SCOPE_WITHIN_RUNS: runs of rows equal on the keys, each permuted. */
struct RunsOfTiesState
{
	ExprState *keys_equal;
	ExprContext *compare_context;
	TupleTableSlot *run_first;
	TupleTableSlot *lookahead;
	TiesScan scan;
};

/* For EXPLAIN ANALYZE and reports. */
struct NodeStats
{
	uint64 rows_in;
	uint64 rows_permuted; /* rows in batches of two or more */
	uint64 batches_permuted;
	uint64 largest_batch;
	bool spilled;
};

struct UnorderRowsState
{
	CustomScanState css; /* must be first */
	PerturbationSpec spec;
	bool active; /* the switch was on at executor start (else: pass rows through) */
	unorder_rows::core::Mode mode;
	bool ready_to_permute; /* rng, fingerprint and buffer set up */
	uint64 fingerprint;    /* of the statement, for its seed and reports */
	uint64 node_seed;      /* the generator's seed: every scan starts from it */
	unorder_rows::core::Rng rng;
	RowBuffer *buffer;
	List *limit_exprs; /* ExprStates of the LIMIT above: offset, count; NIL when none */

	RowIdentity identity;
	KeyedOrder keyed;
	AllRowsState all;
	LimitSampleState limit_sample;
	RunsOfTiesState ties;
	NodeStats stats;
};

static_assert(std::is_trivially_destructible<UnorderRowsState>::value,
			  "UnorderRowsState lives in palloc'd memory");

/* The executor methods (shuffle_scan.cpp); they tell our state nodes apart. */
extern const CustomExecMethods unorder_rows_exec_methods;

/* shuffle_scan.cpp */
TupleTableSlot *fetch_child_row(UnorderRowsState *state, PlanState *child);
RowOrderKey target_row_key(UnorderRowsState *state, TupleTableSlot *row);
const ItemPointerData *child_tid(UnorderRowsState *state);
void label_row_identity(UnorderRowsState *state, TupleTableSlot *scan_slot, const ItemPointerData *tid);
void prepare_to_permute(UnorderRowsState *state);
TupleTableSlot *emit(CustomScanState *node, TupleTableSlot *scan_slot);
void note_batch_of(UnorderRowsState *state, uint64 rows, bool spilled);
void note_batch(UnorderRowsState *state);
int64 limit_reads(UnorderRowsState *state);

/* shuffle_scan_all.cpp */
TupleTableSlot *exec_all(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot);
TupleTableSlot *exec_all_backward(UnorderRowsState *state, TupleTableSlot *scan_slot);
bool fetches_backward(UnorderRowsState *state);

/* shuffle_scan_runs.cpp */
TupleTableSlot *exec_runs(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot);
void pass_bound_down(UnorderRowsState *state, PlanState *child);
int64 sort_bound_for(int64 limit_rows);

/* shuffle_scan_explain.cpp */
void explain_unorder_rows(CustomScanState *node, List *ancestors, ExplainState *es);

#endif
