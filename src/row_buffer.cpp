/*
 * row_buffer.cpp
 *		Batch buffering and permutation; see row_buffer.hpp.  This file holds
 *		the API and the in-memory phase; the spill strategies are in
 *		row_buffer_runs.cpp and row_buffer_sort.cpp.
 */
#include "row_buffer_internal.hpp"

#include <new>

namespace core = unorder_rows::core;
using unorder_rows::core::Rng;
using unorder_rows::core::StreamingLead;

RowBuffer *
row_buffer_create(TupleDesc desc, core::Mode mode, int work_mem_kb, bool keep_row_identity, bool steps_back)
{
	RowBuffer *buffer = (RowBuffer *) palloc0(sizeof(RowBuffer));

	buffer->keep_row_identity = keep_row_identity;
	buffer->steps_back = steps_back || keep_row_identity;
	buffer->desc = desc;
	buffer->mode = mode;
	buffer->memory_limit = (Size) work_mem_kb * 1024;
	buffer->rows_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "unorder_rows batch", ALLOCSET_DEFAULT_SIZES);
	new (&buffer->lead) StreamingLead(mode);
	/* runs are read once, forward: a tuplesort keeps TIDs and steps back */
	buffer->use_runs = mode == core::Mode::Shuffle && !buffer->steps_back;
	runs_init(buffer);
	buffer->first_slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	buffer->probe_slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	buffer->lead_slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	return buffer;
}

bool
slots_identical(TupleTableSlot *a, TupleTableSlot *b)
{
	TupleDesc desc = a->tts_tupleDescriptor;

	slot_getallattrs(a);
	slot_getallattrs(b);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		if (a->tts_isnull[i] != b->tts_isnull[i])
			return false;
		if (a->tts_isnull[i])
			continue;
		if (!datum_image_eq(a->tts_values[i], b->tts_values[i], attr->attbyval, attr->attlen))
			return false;
	}
	return true;
}

void
copy_slot_to_virtual(TupleTableSlot *source, TupleTableSlot *out)
{
	int natts = out->tts_tupleDescriptor->natts;

	slot_getallattrs(source);
	ExecClearTuple(out);
	memcpy(out->tts_values, source->tts_values, natts * sizeof(Datum));
	memcpy(out->tts_isnull, source->tts_isnull, natts * sizeof(bool));
	ExecStoreVirtualTuple(out);
}

void
row_buffer_add(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid, Rng &rng)
{
	uint64 index = buffer->input_count++;

	if (buffer->runs.active)
	{
		runs_route(buffer, slot, rng);
		return;
	}
	if (buffer->sorted.state != NULL)
	{
		sort_route(buffer, slot, tid, index, rng);
		return;
	}

	MemoryContext old = MemoryContextSwitchTo(buffer->rows_cxt);

	if (buffer->nrows == buffer->capacity)
	{
		if (buffer->capacity >= PG_UINT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("unorder_rows cannot hold more than %u rows in memory", buffer->capacity)));
		uint32 capacity = buffer->capacity == 0 ? 64 : buffer->capacity * 2;
		Size bytes = (Size) capacity * sizeof(MinimalTuple);

		buffer->rows = buffer->rows == NULL ? (MinimalTuple *) MemoryContextAllocHuge(buffer->rows_cxt, bytes)
											: (MinimalTuple *) repalloc_huge(buffer->rows, bytes);
		if (buffer->keep_row_identity)
		{
			Size tid_bytes = (Size) capacity * sizeof(ItemPointerData);

			buffer->tids = buffer->tids == NULL
							   ? (ItemPointerData *) MemoryContextAllocHuge(buffer->rows_cxt, tid_bytes)
							   : (ItemPointerData *) repalloc_huge(buffer->tids, tid_bytes);
		}
		buffer->capacity = capacity;
	}
	if (buffer->keep_row_identity)
		buffer->tids[buffer->nrows] = *tid;
	buffer->rows[buffer->nrows++] = ExecCopySlotMinimalTuple(slot);
	MemoryContextSwitchTo(old);

	Size held = MemoryContextMemAllocated(buffer->rows_cxt, true);

	if (buffer->nrows > 1 &&
		(buffer->use_runs ? held > runs_start_bytes(buffer) : held > buffer->memory_limit))
	{
		if (buffer->use_runs)
			runs_start(buffer, rng);
		else
			sort_spill(buffer, rng);
	}
}

void
row_buffer_finish(RowBuffer *buffer, Rng &rng)
{
	buffer->finished = true;
	buffer->emit_pos = 0;
	if (buffer->runs.active)
	{
		runs_finish(buffer, rng);
		return;
	}
	if (buffer->sorted.state != NULL)
	{
		sort_finish(buffer);
		return;
	}

	uint32 n = buffer->nrows;

	if (n == 0)
		return;
	buffer->perm = (uint32 *) MemoryContextAllocHuge(buffer->rows_cxt, (Size) n * sizeof(uint32));
	ExecStoreMinimalTuple(buffer->rows[0], buffer->first_slot, false);

	/* "row i differs from row 0": looks at a row only when the core asks */
	auto distinct_from_first = [buffer](uint32 i)
	{
		ExecStoreMinimalTuple(buffer->rows[i], buffer->probe_slot, false);
		return !slots_identical(buffer->probe_slot, buffer->first_slot);
	};
	unorder_rows::core::order_batch(buffer->mode, buffer->perm, n, rng, distinct_from_first);
}

bool
row_buffer_next(RowBuffer *buffer, TupleTableSlot *out)
{
	Assert(buffer->finished);
	if (buffer->runs.active)
		return runs_next(buffer, out);
	if (buffer->sorted.state != NULL)
		return sort_next(buffer, out);
	if (buffer->emit_pos >= buffer->nrows)
	{
		buffer->past_end = true;
		return false;
	}

	/*
	 * Rows come out in random order from a batch that may span far more
	 * than the CPU caches: ask for a row's pointer, then for the row, some
	 * rows ahead, so the misses overlap the work on the rows in between.
	 */
	if (buffer->emit_pos + 2 * EMIT_PREFETCH_DISTANCE < buffer->nrows)
		__builtin_prefetch(&buffer->rows[buffer->perm[buffer->emit_pos + 2 * EMIT_PREFETCH_DISTANCE]]);
	if (buffer->emit_pos + EMIT_PREFETCH_DISTANCE < buffer->nrows)
	{
		const char *ahead =
			(const char *) buffer->rows[buffer->perm[buffer->emit_pos + EMIT_PREFETCH_DISTANCE]];

		__builtin_prefetch(ahead);
		__builtin_prefetch(ahead + 64);
	}

	uint32 row = buffer->perm[buffer->emit_pos++];

	ExecStoreMinimalTuple(buffer->rows[row], buffer->probe_slot, false);
	copy_slot_to_virtual(buffer->probe_slot, out);
	if (buffer->keep_row_identity)
		out->tts_tid = buffer->tids[row];
	return true;
}

bool
row_buffer_prev(RowBuffer *buffer, TupleTableSlot *out)
{
	Assert(buffer->finished);
	if (buffer->runs.active)
		elog(ERROR, "unorder_rows: shuffled runs cannot fetch backward");
	if (buffer->sorted.state != NULL)
		return sort_prev(buffer, out);
	if (buffer->past_end)
	{
		buffer->past_end = false;
		buffer->emit_pos = buffer->nrows;
	}
	else if (buffer->emit_pos <= 1)
	{
		buffer->emit_pos = 0;
		return false;
	}
	else
		buffer->emit_pos--;
	if (buffer->emit_pos == 0)
		return false;

	uint32 row = buffer->perm[buffer->emit_pos - 1];

	ExecStoreMinimalTuple(buffer->rows[row], buffer->probe_slot, false);
	copy_slot_to_virtual(buffer->probe_slot, out);
	if (buffer->keep_row_identity)
		out->tts_tid = buffer->tids[row];
	return true;
}

void
row_buffer_reset(RowBuffer *buffer)
{
	Size memory = MemoryContextMemAllocated(buffer->rows_cxt, true);

	if (memory > buffer->peak_memory)
		buffer->peak_memory = memory;
	buffer->spilled_to_disk = false;
	sort_reset(buffer);
	runs_reset(buffer);
	ExecClearTuple(buffer->first_slot);
	ExecClearTuple(buffer->probe_slot);
	ExecClearTuple(buffer->lead_slot);
	MemoryContextReset(buffer->rows_cxt);
	buffer->rows = NULL;
	buffer->tids = NULL;
	buffer->perm = NULL;
	buffer->nrows = buffer->capacity = 0;
	buffer->emit_pos = 0;
	buffer->past_end = false;
	new (&buffer->lead) StreamingLead(buffer->mode);
	buffer->has_lead_row = false;
	buffer->lead_emitted = false;
	buffer->input_count = 0;
	buffer->finished = false;
}

uint64
row_buffer_rows(const RowBuffer *buffer)
{
	return buffer->input_count;
}

bool
row_buffer_spilled(const RowBuffer *buffer)
{
	return buffer->spilled_to_disk;
}

int64
row_buffer_peak_memory_kb(const RowBuffer *buffer)
{
	Size memory = Max(buffer->peak_memory, MemoryContextMemAllocated(buffer->rows_cxt, true));

	return (int64) ((memory + 1023) / 1024);
}

int64
row_buffer_peak_disk_kb(const RowBuffer *buffer)
{
	return buffer->peak_disk_kb;
}
