/*
 * row_buffer.hpp
 *		Holds one batch of rows and hands them back permuted.
 *
 * A batch is everything a perturbation node receives, or one run of tied
 * rows.  A small batch is copied into a memory context and permuted in place
 * (src/core's order_batch).  A larger one, shuffled, goes into runs: chunks
 * shuffled in memory, kept in memory while work_mem holds them and then on
 * the tapes of one temporary file, interleaved on output
 * (row_buffer_runs.cpp).  Reversed batches and those a cursor steps back
 * through move, beyond work_mem, into a tuplesort keyed on a random (or
 * descending) number (row_buffer_sort.cpp).  Spilled batches hold one "lead"
 * row aside to keep the docs/order-contract.md §5.2 guarantee; temp_file_limit
 * and cancel apply as to any sort.
 *
 * All state lives in palloc'd memory of the executor's query context, so an
 * error anywhere releases it with the query; nothing here has a destructor.
 */
#ifndef UNORDER_ROWS_ROW_BUFFER_HPP
#define UNORDER_ROWS_ROW_BUFFER_HPP

#include "pg/postgres_includes.hpp"

#include "core/permutation.hpp"

struct RowBuffer;

/*
 * row_buffer_create: an empty buffer for rows of the given descriptor.  With
 * keep_row_identity, each row's TID is kept and restored on output (for
 * WHERE CURRENT OF on cursors); with steps_back, row_buffer_prev works on
 * every batch, however large (scrollable cursors).
 */
RowBuffer *row_buffer_create(TupleDesc desc, unorder_rows::core::Mode mode, int work_mem_kb,
							 bool keep_row_identity, bool steps_back);

/* row_buffer_add: copy one row (and its TID, if kept) into the batch. */
void row_buffer_add(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid,
					unorder_rows::core::Rng &rng);

/* row_buffer_finish: no more rows; decide the order of the batch. */
void row_buffer_finish(RowBuffer *buffer, unorder_rows::core::Rng &rng);

/*
 * row_buffer_next: store the next row of the permuted batch into a virtual
 * slot (with its TID in tts_tid, if kept); false when the batch is exhausted.
 * The row stays valid until the next call or reset.
 */
bool row_buffer_next(RowBuffer *buffer, TupleTableSlot *out);

/*
 * row_buffer_prev: step back to the row before the current one (for cursors
 * that fetch backward); false before the first.  Only for buffers created
 * with steps_back.
 */
bool row_buffer_prev(RowBuffer *buffer, TupleTableSlot *out);

/* row_buffer_reset: forget the batch (and its temporary files). */
void row_buffer_reset(RowBuffer *buffer);

/* row_buffer_rows: rows in the current batch. */
uint64 row_buffer_rows(const RowBuffer *buffer);

/* row_buffer_spilled: whether the current batch went to temporary files (after finish). */
bool row_buffer_spilled(const RowBuffer *buffer);

/* row_buffer_peak_memory_kb: most memory any batch so far held rows in. */
int64 row_buffer_peak_memory_kb(const RowBuffer *buffer);

/* row_buffer_peak_disk_kb: most temporary file space any batch so far used. */
int64 row_buffer_peak_disk_kb(const RowBuffer *buffer);

/* slots_identical: whether two rows hold the same bytes in every column. */
bool slots_identical(TupleTableSlot *a, TupleTableSlot *b);

/* copy_slot_to_virtual: expose a row's values through a virtual slot. */
void copy_slot_to_virtual(TupleTableSlot *source, TupleTableSlot *out);

#endif
