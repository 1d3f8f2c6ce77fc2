/*
 * row_sample.hpp
 *		The rows a LIMIT reads from an order-free input, drawn while streaming.
 *
 * Under `LIMIT k` (with OFFSET o, k + o rows) a perturbation node only needs
 * the first k + o rows of its permutation.  Instead of buffering the whole
 * input it keeps a sample of k + o rows (src/core/limit_sample.hpp): the
 * same distribution as the first k + o rows of the full permutation, with
 * the docs/order-contract.md §5.2 guarantee, in memory proportional to k + o rather than to
 * the input.  Shuffle mode only.
 *
 * Memory stays within work_mem: if the first k + o rows alone exceed it,
 * nothing has been dropped yet and the caller moves them to a RowBuffer
 * (which spills) with row_sample_drain().  Should later, larger rows push
 * the sample over work_mem, it stops taking replacements: the rows it holds
 * are still a valid answer, only no longer exactly uniform.
 */
#ifndef UNORDER_ROWS_ROW_SAMPLE_HPP
#define UNORDER_ROWS_ROW_SAMPLE_HPP

#include "pg/postgres_includes.hpp"

#include "core/prng.hpp"

struct RowBuffer;
struct RowSample;

/* Largest k + o ever sampled; beyond it the node buffers everything. */
constexpr int64 ROW_SAMPLE_MAX_ROWS = 10000000;

/*
 * row_sample_worthwhile: whether sampling k rows can stay within work_mem:
 * its bookkeeping (about 20 bytes a row) takes at most a quarter of it.
 */
bool row_sample_worthwhile(int64 k, int work_mem_kb);

/* row_sample_create: a sampler for rows of the given descriptor (no rows yet). */
RowSample *row_sample_create(TupleDesc desc, int work_mem_kb);

/* row_sample_start: forget any rows and sample k rows (1 <= k <= ROW_SAMPLE_MAX_ROWS). */
void row_sample_start(RowSample *sample, int64 k);

/*
 * row_sample_add: offer one row.  False when the rows held so far exceed
 * work_mem while none has been dropped: drain them into a RowBuffer and
 * continue there.
 */
bool row_sample_add(RowSample *sample, TupleTableSlot *slot, unorder_rows::core::Rng &rng);

/* row_sample_drain: hand every row held, in input order, to a buffer. */
void row_sample_drain(RowSample *sample, RowBuffer *buffer, unorder_rows::core::Rng &rng);

/* row_sample_finish: no more rows; decide the order of the sample. */
void row_sample_finish(RowSample *sample, unorder_rows::core::Rng &rng);

/* row_sample_next: the next row of the sample into a virtual slot; false at the end. */
bool row_sample_next(RowSample *sample, TupleTableSlot *out);

/* row_sample_rows: rows offered since the start. */
uint64 row_sample_rows(const RowSample *sample);

/* row_sample_peak_memory_kb: most memory the held rows took. */
int64 row_sample_peak_memory_kb(const RowSample *sample);

#endif
