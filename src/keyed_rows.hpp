/*
 * keyed_rows.hpp
 *		The rows of an UPDATE, DELETE or MERGE, sorted into the order in which
 *		they are processed (and their rows locked).
 *
 * Every session running the same statement over the same rows must lock
 * them in one order (row_key.hpp), so the order is a sort, not a seeded
 * permutation, on three keys:
 *	1. the hash of the row's key (row_key_hash, mixed with the statement's
 *	   seed): the same in every session, wherever the row sits;
 *	2. the TID of the target row version: rows whose keys hash alike but that
 *	   are different rows (a table without a primary key holding duplicate
 *	   rows) keep one order in every session that sees the same versions, as
 *	   they would without the extension;
 *	3. the order in which the rows came.
 * The rows that name the same target row (UPDATE ... FROM with several
 * matches) thus come together, in the order they came; the first of them
 * decides the change (PostgreSQL skips the target row after it), so the
 * first one emitted is drawn by the session's seeded generator from all
 * but the one that came first (docs/order-contract.md §3.6, §5.2: another
 * winner in every run).  They lock that one row once: no lock order
 * depends on the draw.
 * The rows go into a tuplesort, and the rows of one target row into a
 * tuplestore while the first is drawn, both under work_mem and spilling to
 * temporary files like any sort (temp_file_limit, cancel).  All state lives in palloc'd
 * memory of the executor's query context; nothing here has a destructor.
 */
#ifndef UNORDER_ROWS_KEYED_ROWS_HPP
#define UNORDER_ROWS_KEYED_ROWS_HPP

#include "pg/postgres_includes.hpp"

#include "core/prng.hpp"

struct KeyedRows;

/* The place of one row in the processing order (keys 1 and 2 above). */
struct RowOrderKey
{
	uint64 hash;
	ItemPointerData tid; /* invalid for rows that name no target row */
};

/* keyed_rows_create: an empty batch for rows of the given descriptor. */
KeyedRows *keyed_rows_create(TupleDesc desc, int work_mem_kb);

/* keyed_rows_add: copy one row into the batch under its key. */
void keyed_rows_add(KeyedRows *rows, TupleTableSlot *slot, const RowOrderKey &key);

/* keyed_rows_finish: no more rows; sort them. */
void keyed_rows_finish(KeyedRows *rows);

/*
 * keyed_rows_next: the next row in order, into a virtual slot (valid until
 * the next call); false when none is left.  rng draws the first of the rows
 * that name the same target row.
 */
bool keyed_rows_next(KeyedRows *rows, TupleTableSlot *out, unorder_rows::core::Rng &rng);

/* keyed_rows_reset: forget the batch (and its temporary files). */
void keyed_rows_reset(KeyedRows *rows);

/* keyed_rows_count: rows in the current batch. */
uint64 keyed_rows_count(const KeyedRows *rows);

/* keyed_rows_spilled: whether the current batch went to temporary files (after finish). */
bool keyed_rows_spilled(const KeyedRows *rows);

/* keyed_rows_peak_memory_kb: most memory any batch so far held rows in. */
int64 keyed_rows_peak_memory_kb(const KeyedRows *rows);

/* keyed_rows_peak_disk_kb: most temporary file space any batch so far used. */
int64 keyed_rows_peak_disk_kb(const KeyedRows *rows);

#endif
