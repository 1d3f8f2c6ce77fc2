/*
 * shuffle_scan_all.cpp
 *		SCOPE_ALL: read every row, then emit them permuted; under a LIMIT,
 *		keep only a sample of the rows it will read.  See
 *		shuffle_scan_internal.hpp.
 */
#include "shuffle_scan_internal.hpp"

#include "core/seed.hpp"

namespace core = unorder_rows::core;

/* The sample size for SCOPE_ALL under a LIMIT; 0 to buffer every row. */
static int64
rows_limit_reads(UnorderRowsState *state)
{
	if (state->mode != core::Mode::Shuffle)
		return 0;

	int64 rows = limit_reads(state);

	return row_sample_worthwhile(rows, work_mem) ? rows : 0;
}

/*
 * Add one row of DML that locks rows to its batch, ordered on its key (the
 * plain scan's, given; through a join, fetched now; an INSERT's, computed
 * now) and its target row's TID (keyed_rows.hpp).
 */
static void
add_keyed_row(UnorderRowsState *state, TupleTableSlot *slot, const RowOrderKey &scan_key)
{
	RowOrderKey key = scan_key;

	if (state->keyed.insert != NULL)
	{
		key.hash = insert_key_hash(state->keyed.insert, slot);
		ItemPointerSetInvalid(&key.tid);
	}
	else if (state->keyed.scan == NULL)
		key = target_row_key(state, slot);

	key.hash = core::mix_seed(state->keyed.seed, key.hash);
	keyed_rows_add(state->keyed.rows, slot, key);
}

/* Add one row of a batch to the keyed batch, the sample or the buffer. */
static void
add_row(UnorderRowsState *state, TupleTableSlot *slot, const ItemPointerData *tid, const RowOrderKey &key)
{
	if (state->keyed.on)
		add_keyed_row(state, slot, key);
	else if (!state->limit_sample.sampling)
		row_buffer_add(state->buffer, slot, tid, state->rng);
	else if (!row_sample_add(state->limit_sample.sample, slot, state->rng))
	{
		/* the rows the LIMIT reads do not fit in work_mem: buffer all, spilling */
		row_sample_drain(state->limit_sample.sample, state->buffer, state->rng);
		state->limit_sample.sampling = false;
	}
}

/* Whether the planner let this node fetch backward (cursors, order_analysis.cpp). */
bool
fetches_backward(UnorderRowsState *state)
{
	return (((CustomScan *) state->css.ss.ps.plan)->flags & CUSTOMPATH_SUPPORT_BACKWARD_SCAN) != 0;
}

/* Start sampling the rows a LIMIT above reads, where a sample suffices. */
static void
start_sample(UnorderRowsState *state, TupleDesc desc)
{
	LimitSampleState *limit_sample = &state->limit_sample;

	limit_sample->size = rows_limit_reads(state);
	limit_sample->sampling = limit_sample->size > 0;
	if (!limit_sample->sampling)
		return;
	if (limit_sample->sample == NULL)
		limit_sample->sample = row_sample_create(desc, work_mem);
	row_sample_start(limit_sample->sample, limit_sample->size);
}

/*
 * Read every row of the child (the first already in scan_slot, with its TID
 * and key) into the buffer or the sample, and permute them.
 */
static void
read_all_rows(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot, TupleTableSlot *slot,
			  ItemPointerData first_tid, RowOrderKey first_key)
{
	prepare_to_permute(state);
	start_sample(state, scan_slot->tts_tupleDescriptor);
	add_row(state, scan_slot, state->identity.scan != NULL ? &first_tid : NULL, first_key);
	ExecClearTuple(scan_slot);
	while (!TupIsNull(slot))
	{
		state->stats.rows_in++;
		add_row(state, slot, child_tid(state), state->keyed.child_key);
		slot = fetch_child_row(state, child);
	}
	if (state->keyed.on)
	{
		keyed_rows_finish(state->keyed.rows);
		note_batch(state);
	}
	else if (state->limit_sample.sampling)
	{
		row_sample_finish(state->limit_sample.sample, state->rng);
		note_batch_of(state, row_sample_rows(state->limit_sample.sample), false);
	}
	else
	{
		row_buffer_finish(state->buffer, state->rng);
		note_batch(state);
	}
}

/*
 * The first call of a scan: zero or one row is passed on as it comes (unless
 * the node may have to fetch backward) and returned; more are read whole and
 * permuted, and NULL is returned: emit them.
 */
static TupleTableSlot *
start_all_rows(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot)
{
	TupleTableSlot *slot = fetch_child_row(state, child);

	if (TupIsNull(slot))
	{
		state->all.phase = ALL_EXHAUSTED;
		return ExecClearTuple(scan_slot);
	}
	state->stats.rows_in++;
	ExecCopySlot(scan_slot, slot); /* a copy: the child may reuse its slot */

	ItemPointerData first_tid = state->identity.child_tid;
	RowOrderKey first_key = state->keyed.child_key;

	slot = fetch_child_row(state, child);
	if (TupIsNull(slot) && !fetches_backward(state))
	{
		state->all.phase = ALL_EXHAUSTED;
		label_row_identity(state, scan_slot, &first_tid);
		return emit(&state->css, scan_slot);
	}
	state->all.phase = ALL_EMITTING;
	read_all_rows(state, child, scan_slot, slot, first_tid, first_key);
	return NULL;
}

/* The next row of the permuted batch, into scan_slot; false when none is left. */
static bool
next_row(UnorderRowsState *state, TupleTableSlot *scan_slot)
{
	if (state->keyed.on)
		return keyed_rows_next(state->keyed.rows, scan_slot, state->rng);
	if (state->limit_sample.sampling)
		return row_sample_next(state->limit_sample.sample, scan_slot);
	return row_buffer_next(state->buffer, scan_slot);
}

/*
 * SCOPE_ALL: read everything on the first call, then emit permuted; under a
 * LIMIT, keep only a sample of the rows it will read.
 */
TupleTableSlot *
exec_all(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot)
{
	if (state->all.phase == ALL_EXHAUSTED)
		return ExecClearTuple(scan_slot);
	if (state->all.phase == ALL_NOT_READ)
	{
		TupleTableSlot *first = start_all_rows(state, child, scan_slot);

		if (first != NULL)
			return first;
	}
	if (next_row(state, scan_slot))
	{
		label_row_identity(state, scan_slot, NULL);
		return emit(&state->css, scan_slot);
	}
	return ExecClearTuple(scan_slot);
}

/* SCOPE_ALL, a cursor fetching backward: step back through the permutation. */
TupleTableSlot *
exec_all_backward(UnorderRowsState *state, TupleTableSlot *scan_slot)
{
	if (!fetches_backward(state))
		elog(ERROR, "unorder_rows: node cannot fetch backward");
	if (state->all.phase != ALL_EMITTING || state->buffer == NULL)
		return ExecClearTuple(scan_slot);
	if (row_buffer_prev(state->buffer, scan_slot))
	{
		label_row_identity(state, scan_slot, NULL);
		return emit(&state->css, scan_slot);
	}
	return ExecClearTuple(scan_slot);
}
