/*
 * row_buffer_internal.hpp
 *		The row buffer's state, shared by its storage strategies.
 *
 * row_buffer.cpp holds a batch in memory and owns the API; a batch that
 * outgrows work_mem moves into one of two spill strategies:
 *   row_buffer_runs.cpp  shuffle mode without row identity: chunks shuffled
 *                        in memory, written as runs to the tapes of one
 *                        temporary file and interleaved on output
 *                        (core/interleave.hpp);
 *   row_buffer_sort.cpp  reverse mode and cursor rows: a
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
 * How many bytes of rows a batch in shuffle mode holds before it is cut into
 * runs: about what a CPU core's own caches hold, so that each chunk is
 * shuffled in cache and the runs are then read sequentially.
 */
static constexpr Size CACHE_CHUNK = 256 * 1024;

/*
 * Shuffle mode, a batch larger than CACHE_CHUNK: chunks of rows shuffled in
 * memory and written to runs, interleaved on output by core/interleave.hpp.
 * While the batch fits in work_mem a run is a block of memory (rows back to
 * back, read sequentially, which keeps the CPU's caches and prefetchers
 * useful where emitting a large batch in random order would miss them at
 * every row); beyond, every run is a tape of one LogicalTapeSet (one
 * temporary file for all the runs of a batch, blocks recycled as merges
 * read them, as in tuplesort).  Rows are MinimalTuples, each starting with
 * its t_len.
 */
struct RunsSpill
{
	bool active;       /* the current batch went into runs */
	bool on_tape;      /* its runs are tapes (else memory blocks) */
	bool memory_runs;  /* work_mem leaves room for runs in memory */
	MemoryContext cxt; /* the runs and the merge state; reset per batch */
	CompatTapeSet tapeset;
	bool tapeset_open;
	CompatTape *tapes;
	char **blocks;     /* memory runs: the rows, each MAXALIGNed */
	Size *block_bytes; /* memory runs: bytes of rows */
	Size *read_offset; /* memory runs: where the next row starts */
	Size memory_bytes; /* bytes in all memory runs */
	uint64 *rows;
	uint32 *level; /* how many merges a run's rows went through */
	uint32 count;
	uint32 capacity;
	uint32 merge_fanin; /* most runs open at once */
	Size chunk_limit;   /* bytes of rows shuffled in memory per run */
	uint64 *picker_tree;
	unorder_rows::core::RunPicker *picker;
	unorder_rows::core::Rng emit_rng;
	TupleTableSlot *slot;
	MinimalTuple read_buffer; /* the row last read from a run */
	Size read_buffer_size;
};

/* Spilled phase, reverse mode and cursor rows: a tuplesort. */
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
	bool steps_back;        /* row_buffer_prev works on every batch (scrollable cursors) */
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
Size runs_start_bytes(const RowBuffer *buffer);
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
