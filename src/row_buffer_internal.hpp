/*
 * row_buffer_internal.hpp
 *		The row buffer's state, shared by its storage strategies.
 *
 * row_buffer.cpp holds a batch in memory and owns the API; a batch that
 * outgrows work_mem moves into one of two spill strategies:
 *   row_buffer_runs.cpp  shuffle mode without row identity: chunks shuffled
 *                        in memory, written to temporary files as runs and
 *                        interleaved on output (core/interleave.hpp);
 *   row_buffer_sort.cpp  reverse mode, cursor rows and keyed DML batches: a
 *                        tuplesort on one int8 key.
 * Only these three files include this header.
 */
#ifndef UNORDER_ROWS_ROW_BUFFER_INTERNAL_HPP
#define UNORDER_ROWS_ROW_BUFFER_INTERNAL_HPP

#include "row_buffer.hpp"

#include "core/interleave.hpp"

#include <type_traits>

/* How many rows ahead row_buffer_next() prefetches (see there). */
static constexpr uint32 EMIT_PREFETCH_DISTANCE = 16;

/*
 * Spilled phase, shuffle mode: chunks of rows shuffled in memory and written
 * to runs (temporary BufFiles of MinimalTuples, each starting with its
 * t_len), merged by core/interleave.hpp.
 */
struct RunsSpill
{
	bool active;       /* the current batch spilled into runs */
	MemoryContext cxt; /* the runs and the merge state; reset per batch */
	BufFile **files;
	uint64 *rows;
	int64 *bytes;
	uint32 *level; /* how many merges a run's rows went through */
	uint32 count;
	uint32 capacity;
	uint32 merge_fanin; /* most runs open at once */
	Size chunk_limit;   /* bytes of rows shuffled in memory per run */
	int64 live_bytes;
	uint64 *picker_tree;
	unorder_rows::core::RunPicker *picker;
	unorder_rows::core::Rng emit_rng;
	TupleTableSlot *slot;
	MinimalTuple read_buffer; /* the row last read from a run */
	Size read_buffer_size;
};

/* Spilled phase, reverse mode, cursor rows and keyed batches: a tuplesort. */
struct SortSpill
{
	Tuplesortstate *state;
	TupleDesc desc;      /* the buffer's desc plus one int8 sort key (and the TID) */
	TupleTableSlot *in;  /* virtual, to feed the sort */
	TupleTableSlot *out; /* minimal, to read it back */
	uint64 pos;          /* the current row is the pos-th of the sort (0: the lead or none) */
	ItemPointerData lead_tid;
};

struct RowBuffer
{
	TupleDesc desc;
	unorder_rows::core::Mode mode;
	Size memory_limit;      /* bytes of row copies before spilling */
	MemoryContext rows_cxt; /* row copies and the permutation; reset per batch */
	bool keep_row_identity; /* keep each row's TID (cursor rows) */
	bool use_runs;          /* shuffle mode without row identity spills into runs */

	/* in-memory phase (and the chunk being shuffled when spilled into runs) */
	MinimalTuple *rows;
	ItemPointerData *tids; /* parallel to rows, when keeping row identity */
	uint32 nrows;
	uint32 capacity;
	uint32 *perm;
	uint32 emit_pos; /* rows emitted going forward: the current row is perm[emit_pos - 1] */
	bool past_end;   /* a forward fetch found no more rows */

	RunsSpill runs;
	SortSpill sorted;

	/* the lead row of a spilled batch, held aside for the docs/order-contract.md §5.2 guarantee */
	unorder_rows::core::StreamingLead lead;
	bool has_lead_row;
	bool lead_emitted;
	uint64 lead_index;

	uint64 input_count;
	bool finished;

	/* for EXPLAIN ANALYZE */
	Size peak_memory;
	int64 peak_disk_kb;
	bool spilled_to_disk; /* the current batch went to disk */

	TupleTableSlot *first_slot; /* row 0 of the batch */
	TupleTableSlot *probe_slot; /* scratch slot to look at a stored row */
	TupleTableSlot *lead_slot;  /* row held aside when spilled */
};

/* Everything here lives in palloc'd memory and is never destroyed, only reset. */
static_assert(std::is_trivially_destructible<RowBuffer>::value, "RowBuffer lives in palloc'd memory");
static_assert(std::is_trivially_destructible<unorder_rows::core::RunPicker>::value,
			  "RunPicker lives in palloc'd memory");

/* row_buffer_runs.cpp */
void runs_init(RowBuffer *buffer);
void runs_start(RowBuffer *buffer, unorder_rows::core::Rng &rng);
void runs_route(RowBuffer *buffer, TupleTableSlot *slot, unorder_rows::core::Rng &rng);
void runs_finish(RowBuffer *buffer, unorder_rows::core::Rng &rng);
bool runs_next(RowBuffer *buffer, TupleTableSlot *out);
void runs_reset(RowBuffer *buffer);

/* row_buffer_sort.cpp */
void sort_start(RowBuffer *buffer);
void sort_put(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid, int64 key);
void sort_route(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid, uint64 index,
				unorder_rows::core::Rng &rng);
void sort_spill(RowBuffer *buffer, unorder_rows::core::Rng &rng);
void sort_finish(RowBuffer *buffer);
bool sort_next(RowBuffer *buffer, TupleTableSlot *out);
bool sort_prev(RowBuffer *buffer, TupleTableSlot *out);
void sort_reset(RowBuffer *buffer);

#endif
