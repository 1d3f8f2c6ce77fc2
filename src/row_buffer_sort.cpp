/*
 * row_buffer_sort.cpp
 *		A spilled batch in a tuplesort on one int8 key (reverse mode, cursor
 *		rows that need backward fetches); see
 *		row_buffer_internal.hpp.
 */
#include "row_buffer_internal.hpp"

using unorder_rows::core::Rng;

/* Put one row into the spill sort under the given key (and its TID, if kept). */
void
sort_put(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid, int64 key)
{
	int natts = buffer->desc->natts;
	TupleTableSlot *in = buffer->sorted.in;

	slot_getallattrs(slot);
	ExecClearTuple(in);
	memcpy(in->tts_values, slot->tts_values, natts * sizeof(Datum));
	memcpy(in->tts_isnull, slot->tts_isnull, natts * sizeof(bool));
	in->tts_values[natts] = Int64GetDatum(key);
	in->tts_isnull[natts] = false;
	if (buffer->keep_row_identity)
	{
		in->tts_values[natts + 1] = PointerGetDatum(tid);
		in->tts_isnull[natts + 1] = false;
	}
	ExecStoreVirtualTuple(in);
	tuplesort_puttupleslot(buffer->sorted.state, in);
}

/* Route one row of a spilled batch: lead candidate or sorted rest. */
void
sort_route(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid, uint64 index, Rng &rng)
{
	if (index > 0)
	{
		bool distinct = !slots_identical(slot, buffer->first_slot);

		if (buffer->lead.offer(distinct, rng))
		{
			if (buffer->has_lead_row)
				sort_put(buffer, buffer->lead_slot, &buffer->sorted.lead_tid,
						 unorder_rows::core::rest_sort_key(buffer->mode, buffer->lead_index, rng));
			ExecCopySlot(buffer->lead_slot, slot);
			buffer->lead_index = index;
			if (tid != NULL)
				buffer->sorted.lead_tid = *tid;
			buffer->has_lead_row = true;
			return;
		}
	}
	sort_put(buffer, slot, tid, unorder_rows::core::rest_sort_key(buffer->mode, index, rng));
}

/* The tuplesort that holds a spilled batch, ordered on one int8 key. */
void
sort_start(RowBuffer *buffer)
{
	int natts = buffer->desc->natts;

	if (buffer->sorted.desc == NULL)
	{
		int extra = buffer->keep_row_identity ? 2 : 1;

		buffer->sorted.desc = CreateTemplateTupleDesc(natts + extra);
		for (int i = 0; i < natts; i++)
			TupleDescCopyEntry(buffer->sorted.desc, i + 1, buffer->desc, i + 1);
		TupleDescInitEntry(buffer->sorted.desc, natts + 1, "unorder_rows_key", INT8OID, -1, 0);
		if (buffer->keep_row_identity)
			TupleDescInitEntry(buffer->sorted.desc, natts + 2, "unorder_rows_tid", TIDOID, -1, 0);
		buffer->sorted.in = MakeSingleTupleTableSlot(buffer->sorted.desc, &TTSOpsVirtual);
		buffer->sorted.out = MakeSingleTupleTableSlot(buffer->sorted.desc, &TTSOpsMinimalTuple);
	}

	AttrNumber key_column = natts + 1;
	Oid key_less = Int8LessOperator;
	Oid key_collation = InvalidOid;
	bool nulls_first = false;

	buffer->sorted.state = compat_tuplesort_begin_heap(
		buffer->sorted.desc, 1, &key_column, &key_less, &key_collation, &nulls_first,
		(int) (buffer->memory_limit / 1024), buffer->steps_back /* cursors may fetch backward */);
}

/* Move the in-memory batch into a tuplesort; later rows go there directly. */
void
sort_spill(RowBuffer *buffer, Rng &rng)
{
	sort_start(buffer);

	/* row 0 must outlive the memory it was stored in */
	ExecStoreMinimalTuple(buffer->rows[0], buffer->first_slot, false);
	ExecMaterializeSlot(buffer->first_slot);
	for (uint32 i = 0; i < buffer->nrows; i++)
	{
		ExecStoreMinimalTuple(buffer->rows[i], buffer->probe_slot, false);
		sort_route(buffer, buffer->probe_slot, buffer->tids != NULL ? &buffer->tids[i] : NULL, i, rng);
	}
	ExecClearTuple(buffer->probe_slot);
	buffer->peak_memory = Max(buffer->peak_memory, MemoryContextMemAllocated(buffer->rows_cxt, true));
	MemoryContextReset(buffer->rows_cxt);
	buffer->rows = NULL;
	buffer->tids = NULL;
	buffer->nrows = buffer->capacity = 0;
}

/* All rows are in: sort them; note whether the sort went to disk. */
void
sort_finish(RowBuffer *buffer)
{
	TuplesortInstrumentation stats;

	tuplesort_performsort(buffer->sorted.state);
	buffer->lead_emitted = !buffer->has_lead_row;
	tuplesort_get_stats(buffer->sorted.state, &stats);
	if (stats.spaceType == SORT_SPACE_TYPE_DISK)
	{
		buffer->spilled_to_disk = true;
		buffer->peak_disk_kb = Max(buffer->peak_disk_kb, stats.spaceUsed);
	}
	else
		buffer->peak_memory = Max(buffer->peak_memory, (Size) stats.spaceUsed * 1024);
}

/* The row just read from the spill sort, without its sort key; its TID, if kept. */
static void
emit_sorted_row(RowBuffer *buffer, TupleTableSlot *out)
{
	copy_slot_to_virtual(buffer->sorted.out, out);
	if (buffer->keep_row_identity)
	{
		int natts = buffer->desc->natts;

		slot_getallattrs(buffer->sorted.out);
		out->tts_tid = *(ItemPointer) DatumGetPointer(buffer->sorted.out->tts_values[natts + 1]);
	}
}

/* The next row of a sorted batch: the lead, then the sort. */
bool
sort_next(RowBuffer *buffer, TupleTableSlot *out)
{
	if (!buffer->lead_emitted)
	{
		buffer->lead_emitted = true;
		copy_slot_to_virtual(buffer->lead_slot, out);
		if (buffer->keep_row_identity)
			out->tts_tid = buffer->sorted.lead_tid;
		return true;
	}
	if (!tuplesort_gettupleslot(buffer->sorted.state, true, false, buffer->sorted.out, NULL))
	{
		buffer->past_end = true;
		return false;
	}
	buffer->sorted.pos++;
	emit_sorted_row(buffer, out);
	return true;
}

/*
 * The row before the current one of a sorted batch: the sort kept random
 * access for cursors, the lead comes before it.
 */
bool
sort_prev(RowBuffer *buffer, TupleTableSlot *out)
{
	/* the lead, then the sorted rest (random access: rows kept for cursors) */
	if (buffer->past_end || buffer->sorted.pos > 1)
	{
		buffer->past_end = false;
		if (tuplesort_gettupleslot(buffer->sorted.state, false, false, buffer->sorted.out, NULL))
		{
			if (buffer->sorted.pos > 1)
				buffer->sorted.pos--;
			emit_sorted_row(buffer, out);
			return true;
		}
	}
	else if (buffer->sorted.pos == 1)
		(void) tuplesort_gettupleslot(buffer->sorted.state, false, false, buffer->sorted.out,
									  NULL); /* to its start */
	else
	{
		/* on the lead (or before it): nothing before */
		buffer->lead_emitted = !buffer->has_lead_row;
		return false;
	}
	/* back at the lead */
	buffer->sorted.pos = 0;
	if (!buffer->has_lead_row)
		return false;
	copy_slot_to_virtual(buffer->lead_slot, out);
	out->tts_tid = buffer->sorted.lead_tid;
	return true;
}

/* Forget the sort (and its temporary files). */
void
sort_reset(RowBuffer *buffer)
{
	if (buffer->sorted.state != NULL)
	{
		tuplesort_end(buffer->sorted.state);
		buffer->sorted.state = NULL;
	}
	buffer->sorted.pos = 0;
}
