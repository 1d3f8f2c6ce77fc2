/*
 * row_buffer.cpp
 *		Batch buffering and permutation; see row_buffer.hpp.
 */
#include "row_buffer.hpp"

#include "core/interleave.hpp"

#include <new>

namespace core = unorder_rows::core;
using unorder_rows::core::Rng;
using unorder_rows::core::RunPicker;
using unorder_rows::core::StreamingLead;

/*
 * A run's cost in memory while open: its BufFile's buffer (BLCKSZ) and
 * bookkeeping.  Runs get half of work_mem, the chunk being shuffled the
 * other half.
 */
static constexpr Size RUN_MEMORY = BLCKSZ + 1024;

/* How many rows ahead row_buffer_next() prefetches (see there). */
static constexpr uint32 EMIT_PREFETCH_DISTANCE = 16;

struct RowBuffer
{
	TupleDesc desc;
	core::Mode mode;
	Size memory_limit;      /* bytes of row copies before spilling */
	MemoryContext rows_cxt; /* row copies and the permutation; reset per batch */
	bool keep_row_identity; /* keep each row's TID (cursor rows) */

	/* in-memory phase */
	MinimalTuple *rows;
	ItemPointerData *tids; /* parallel to rows, when keeping row identity */
	uint32 nrows;
	uint32 capacity;
	uint32 *perm;
	uint32 emit_pos; /* rows emitted going forward: the current row is perm[emit_pos - 1] */
	bool past_end;   /* a forward fetch found no more rows */
	uint64 sort_pos; /* spilled: the current row is the sort_pos-th of the sort (0: the lead or none) */

	/*
	 * spilled phase, shuffle mode: chunks of rows shuffled in memory and
	 * written to runs (temporary BufFiles of MinimalTuples, each starting
	 * with its t_len), merged by core/interleave.hpp
	 */
	bool use_runs;          /* shuffle mode without row identity */
	bool in_runs;           /* the current batch spilled into runs */
	MemoryContext runs_cxt; /* the runs and the merge state; reset per batch */
	BufFile **runs;
	uint64 *run_rows;
	int64 *run_bytes;
	uint32 *run_level; /* how many merges a run's rows went through */
	uint32 nruns;
	uint32 runs_capacity;
	uint32 merge_fanin; /* most runs open at once */
	Size chunk_limit;   /* bytes of rows shuffled in memory per run */
	int64 live_run_bytes;
	uint64 *picker_tree;
	RunPicker *picker;
	Rng emit_rng;
	TupleTableSlot *run_slot;
	MinimalTuple read_buffer; /* the row last read from a run */
	Size read_buffer_size;

	/* spilled phase, reverse mode and cursor rows: a tuplesort */
	Tuplesortstate *sort;
	TupleDesc sort_desc;      /* desc plus one int8 sort key */
	TupleTableSlot *sort_in;  /* virtual, to feed the sort */
	TupleTableSlot *sort_out; /* minimal, to read it back */
	StreamingLead lead;
	bool has_lead_row;
	bool lead_emitted;
	uint64 lead_index;
	ItemPointerData lead_tid;

	uint64 input_count;
	bool finished;

	/* for EXPLAIN ANALYZE */
	Size peak_memory;
	int64 peak_disk_kb;
	bool spilled_to_disk; /* the current batch's tuplesort went to disk */

	TupleTableSlot *first_slot; /* row 0 of the batch */
	TupleTableSlot *probe_slot; /* scratch slot to look at a stored row */
	TupleTableSlot *lead_slot;  /* row held aside when spilled */
};

RowBuffer *
row_buffer_create(TupleDesc desc, core::Mode mode, int work_mem_kb, bool keep_row_identity)
{
	RowBuffer *buffer = (RowBuffer *) palloc0(sizeof(RowBuffer));

	buffer->keep_row_identity = keep_row_identity;
	buffer->desc = desc;
	buffer->mode = mode;
	buffer->memory_limit = (Size) work_mem_kb * 1024;
	buffer->rows_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "unorder_rows batch", ALLOCSET_DEFAULT_SIZES);
	new (&buffer->lead) StreamingLead(mode);
	buffer->use_runs = mode == core::Mode::Shuffle && !keep_row_identity;
	buffer->runs_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "unorder_rows runs", ALLOCSET_DEFAULT_SIZES);
	buffer->chunk_limit = Max(buffer->memory_limit / 2, (Size) 8192);
	/* at least 8 runs per merge, or tiny work_mem settings would rewrite rows many times */
	buffer->merge_fanin = (uint32) Max(buffer->memory_limit / 2 / RUN_MEMORY, (Size) 8);
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

/* Put one row into the spill sort under the given key (and its TID, if kept). */
static void
sort_put(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid, int64 key)
{
	int natts = buffer->desc->natts;
	TupleTableSlot *in = buffer->sort_in;

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
	tuplesort_puttupleslot(buffer->sort, in);
}

/* Route one row of a spilled batch: lead candidate or sorted rest. */
static void
spill_route(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid, uint64 index, Rng &rng)
{
	if (index > 0)
	{
		bool distinct = !slots_identical(slot, buffer->first_slot);

		if (buffer->lead.offer(distinct, rng))
		{
			if (buffer->has_lead_row)
				sort_put(buffer, buffer->lead_slot, &buffer->lead_tid,
						 unorder_rows::core::rest_sort_key(buffer->mode, buffer->lead_index, rng));
			ExecCopySlot(buffer->lead_slot, slot);
			buffer->lead_index = index;
			if (tid != NULL)
				buffer->lead_tid = *tid;
			buffer->has_lead_row = true;
			return;
		}
	}
	sort_put(buffer, slot, tid, unorder_rows::core::rest_sort_key(buffer->mode, index, rng));
}

/* The tuplesort that holds a spilled (or keyed) batch, ordered on one int8 key. */
static void
start_sort(RowBuffer *buffer)
{
	int natts = buffer->desc->natts;

	if (buffer->sort_desc == NULL)
	{
		int extra = buffer->keep_row_identity ? 2 : 1;

		buffer->sort_desc = CreateTemplateTupleDesc(natts + extra);
		for (int i = 0; i < natts; i++)
			TupleDescCopyEntry(buffer->sort_desc, i + 1, buffer->desc, i + 1);
		TupleDescInitEntry(buffer->sort_desc, natts + 1, "unorder_rows_key", INT8OID, -1, 0);
		if (buffer->keep_row_identity)
			TupleDescInitEntry(buffer->sort_desc, natts + 2, "unorder_rows_tid", TIDOID, -1, 0);
		buffer->sort_in = MakeSingleTupleTableSlot(buffer->sort_desc, &TTSOpsVirtual);
		buffer->sort_out = MakeSingleTupleTableSlot(buffer->sort_desc, &TTSOpsMinimalTuple);
	}

	AttrNumber key_column = natts + 1;
	Oid key_less = Int8LessOperator;
	Oid key_collation = InvalidOid;
	bool nulls_first = false;

	buffer->sort = compat_tuplesort_begin_heap(buffer->sort_desc, 1, &key_column, &key_less, &key_collation,
											   &nulls_first, (int) (buffer->memory_limit / 1024),
											   buffer->keep_row_identity /* cursors may fetch backward */);
}

/* Move the in-memory batch into a tuplesort; later rows go there directly. */
static void
spill(RowBuffer *buffer, Rng &rng)
{
	start_sort(buffer);

	/* row 0 must outlive the memory it was stored in */
	ExecStoreMinimalTuple(buffer->rows[0], buffer->first_slot, false);
	ExecMaterializeSlot(buffer->first_slot);
	for (uint32 i = 0; i < buffer->nrows; i++)
	{
		ExecStoreMinimalTuple(buffer->rows[i], buffer->probe_slot, false);
		spill_route(buffer, buffer->probe_slot, buffer->tids != NULL ? &buffer->tids[i] : NULL, i, rng);
	}
	ExecClearTuple(buffer->probe_slot);
	buffer->peak_memory = Max(buffer->peak_memory, MemoryContextMemAllocated(buffer->rows_cxt, true));
	MemoryContextReset(buffer->rows_cxt);
	buffer->rows = NULL;
	buffer->tids = NULL;
	buffer->nrows = buffer->capacity = 0;
}

/* ---- shuffled runs ---- */

/* A new, empty run; rows go to its temporary file at once. */
static uint32
new_run(RowBuffer *buffer, uint32 level)
{
	MemoryContext old = MemoryContextSwitchTo(buffer->runs_cxt);

	if (buffer->nruns == buffer->runs_capacity)
	{
		uint32 capacity = buffer->runs_capacity == 0 ? 16 : buffer->runs_capacity * 2;

		if (buffer->runs == NULL)
		{
			buffer->runs = (BufFile **) palloc(capacity * sizeof(BufFile *));
			buffer->run_rows = (uint64 *) palloc(capacity * sizeof(uint64));
			buffer->run_bytes = (int64 *) palloc(capacity * sizeof(int64));
			buffer->run_level = (uint32 *) palloc(capacity * sizeof(uint32));
		}
		else
		{
			buffer->runs = (BufFile **) repalloc(buffer->runs, capacity * sizeof(BufFile *));
			buffer->run_rows = (uint64 *) repalloc(buffer->run_rows, capacity * sizeof(uint64));
			buffer->run_bytes = (int64 *) repalloc(buffer->run_bytes, capacity * sizeof(int64));
			buffer->run_level = (uint32 *) repalloc(buffer->run_level, capacity * sizeof(uint32));
		}
		buffer->runs_capacity = capacity;
	}

	uint32 run = buffer->nruns++;

	buffer->runs[run] = BufFileCreateTemp(false);
	buffer->run_rows[run] = 0;
	buffer->run_bytes[run] = 0;
	buffer->run_level[run] = level;
	MemoryContextSwitchTo(old);
	return run;
}

/* Append a row to a run (bytes: what it adds to the rows on disk). */
static void
run_put(RowBuffer *buffer, uint32 run, MinimalTuple row, Size bytes)
{
	compat_buffile_write(buffer->runs[run], row, row->t_len);
	buffer->run_rows[run]++;
	buffer->run_bytes[run] += bytes;
	buffer->live_run_bytes += bytes;
	buffer->peak_disk_kb = Max(buffer->peak_disk_kb, (buffer->live_run_bytes + 1023) / 1024);
}

/* Read the next row of a run (rewound with rewind_run) into the read buffer. */
static MinimalTuple
run_get(RowBuffer *buffer, uint32 run)
{
	uint32 length;

	if (BufFileRead(buffer->runs[run], &length, sizeof(length)) != sizeof(length) || length < sizeof(length))
		ereport(ERROR,
				(errcode_for_file_access(), errmsg("could not read from unorder_rows temporary file")));
	if (length > buffer->read_buffer_size)
	{
		Size size = Max((Size) length, buffer->read_buffer_size * 2);

		if (buffer->read_buffer != NULL)
			pfree(buffer->read_buffer);
		buffer->read_buffer = (MinimalTuple) MemoryContextAllocHuge(buffer->runs_cxt, size);
		buffer->read_buffer_size = size;
	}
	buffer->read_buffer->t_len = length;
	if (BufFileRead(buffer->runs[run], (char *) buffer->read_buffer + sizeof(length),
					length - sizeof(length)) != length - sizeof(length))
		ereport(ERROR,
				(errcode_for_file_access(), errmsg("could not read from unorder_rows temporary file")));
	return buffer->read_buffer;
}

/* Position a fully written run at its first row. */
static void
rewind_run(RowBuffer *buffer, uint32 run)
{
	if (BufFileSeek(buffer->runs[run], 0, 0, SEEK_SET) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not seek in unorder_rows temporary file")));
}

/*
 * Merge runs [first, first + count) into one run at the end, drawing each
 * row's run by its share of the rows left: uniformly shuffled runs make a
 * uniformly shuffled whole.
 */
static void
merge_runs(RowBuffer *buffer, uint32 first, uint32 count, Rng &rng)
{
	uint32 level = 0;

	for (uint32 i = first; i < first + count; i++)
		level = Max(level, buffer->run_level[i] + 1);

	uint32 merged = new_run(buffer, level);
	uint64 *tree = (uint64 *) MemoryContextAlloc(buffer->runs_cxt, (count + 1) * sizeof(uint64));
	RunPicker picker(tree, count);

	for (uint32 i = 0; i < count; i++)
	{
		picker.set_rows(i, buffer->run_rows[first + i]);
		rewind_run(buffer, first + i);
	}
	for (int64 pick; (pick = picker.pick(rng)) >= 0;)
	{
		CHECK_FOR_INTERRUPTS();
		run_put(buffer, merged, run_get(buffer, first + (uint32) pick), 0);
	}
	pfree(tree);

	/* the merged run takes the place of the first; the others go */
	int64 bytes = 0;

	for (uint32 i = first; i < first + count; i++)
		bytes += buffer->run_bytes[i];
	/* for a moment, the rows were on disk twice */
	buffer->peak_disk_kb = Max(buffer->peak_disk_kb, (buffer->live_run_bytes + bytes + 1023) / 1024);
	for (uint32 i = first; i < first + count; i++)
		BufFileClose(buffer->runs[i]);
	buffer->run_bytes[merged] = bytes;
	buffer->runs[first] = buffer->runs[merged];
	buffer->run_rows[first] = buffer->run_rows[merged];
	buffer->run_bytes[first] = buffer->run_bytes[merged];
	buffer->run_level[first] = buffer->run_level[merged];
	uint32 tail = buffer->nruns - 1 - (first + count);

	memmove(&buffer->runs[first + 1], &buffer->runs[first + count], tail * sizeof(BufFile *));
	memmove(&buffer->run_rows[first + 1], &buffer->run_rows[first + count], tail * sizeof(uint64));
	memmove(&buffer->run_bytes[first + 1], &buffer->run_bytes[first + count], tail * sizeof(int64));
	memmove(&buffer->run_level[first + 1], &buffer->run_level[first + count], tail * sizeof(uint32));
	buffer->nruns = first + 1 + tail;
}

/*
 * Keep few runs open, like a counter in base fanin: when the newest runs
 * include fanin of the lowest level, merge them into one of the next level
 * (and so on up).  Each row is rewritten once per level, and at most
 * fanin - 1 runs per level stay open.
 */
static void
limit_open_runs(RowBuffer *buffer, Rng &rng)
{
	for (;;)
	{
		uint32 last = buffer->nruns - 1;
		uint32 first = last;

		if (buffer->nruns < buffer->merge_fanin)
			return;
		while (first > 0 && buffer->run_level[first - 1] == buffer->run_level[last])
			first--;
		if (last - first + 1 < buffer->merge_fanin)
			return;
		merge_runs(buffer, first, last - first + 1, rng);
	}
}

/* Shuffle the rows in memory (all but skip_row, if any) into a new run. */
static void
flush_chunk(RowBuffer *buffer, Rng &rng, int64 skip_row)
{
	uint32 n = buffer->nrows;
	MinimalTuple *rows = buffer->rows;

	if (skip_row >= 0)
	{
		rows[skip_row] = rows[n - 1];
		n--;
	}
	if (n > 0)
	{
		unorder_rows::core::shuffle_range(rows, 0, n, rng);

		uint32 run = new_run(buffer, 0);

		for (uint32 i = 0; i < n; i++)
			run_put(buffer, run, rows[i], rows[i]->t_len);
	}
	buffer->peak_memory = Max(buffer->peak_memory, MemoryContextMemAllocated(buffer->rows_cxt, true) +
													   MemoryContextMemAllocated(buffer->runs_cxt, true));
	MemoryContextReset(buffer->rows_cxt);
	buffer->rows = NULL;
	buffer->nrows = buffer->capacity = 0;
	limit_open_runs(buffer, rng);
}

/*
 * The batch outgrew memory: pick the lead among the rows held (as the
 * streaming rule would have), write the others out as the first run.
 */
static void
start_runs(RowBuffer *buffer, Rng &rng)
{
	if (buffer->run_slot == NULL)
		buffer->run_slot = MakeSingleTupleTableSlot(buffer->desc, &TTSOpsMinimalTuple);
	buffer->in_runs = true;
	buffer->spilled_to_disk = true;

	/* row 0 must outlive the memory it was stored in */
	ExecStoreMinimalTuple(buffer->rows[0], buffer->first_slot, false);
	ExecMaterializeSlot(buffer->first_slot);

	int64 lead = -1;

	for (uint32 i = 1; i < buffer->nrows; i++)
	{
		ExecStoreMinimalTuple(buffer->rows[i], buffer->probe_slot, false);
		if (buffer->lead.offer(!slots_identical(buffer->probe_slot, buffer->first_slot), rng))
			lead = i;
	}
	if (lead >= 0)
	{
		ExecStoreMinimalTuple(buffer->rows[lead], buffer->probe_slot, false);
		ExecCopySlot(buffer->lead_slot, buffer->probe_slot);
		buffer->has_lead_row = true;
	}
	flush_chunk(buffer, rng, lead);
}

/* Copy a row into the in-memory chunk. */
static void
chunk_append(RowBuffer *buffer, TupleTableSlot *slot)
{
	MemoryContext old = MemoryContextSwitchTo(buffer->rows_cxt);

	if (buffer->nrows == buffer->capacity)
	{
		uint32 capacity = buffer->capacity == 0 ? 64 : buffer->capacity * 2;
		Size bytes = (Size) capacity * sizeof(MinimalTuple);

		buffer->rows = buffer->rows == NULL ? (MinimalTuple *) MemoryContextAllocHuge(buffer->rows_cxt, bytes)
											: (MinimalTuple *) repalloc_huge(buffer->rows, bytes);
		buffer->capacity = capacity;
	}
	buffer->rows[buffer->nrows++] = ExecCopySlotMinimalTuple(slot);
	MemoryContextSwitchTo(old);
}

/* One row of a batch that spilled into runs: the new lead, or the chunk. */
static void
runs_route(RowBuffer *buffer, TupleTableSlot *slot, Rng &rng)
{
	if (buffer->lead.offer(!slots_identical(slot, buffer->first_slot), rng))
	{
		if (buffer->has_lead_row)
			chunk_append(buffer, buffer->lead_slot);
		ExecCopySlot(buffer->lead_slot, slot);
		buffer->has_lead_row = true;
	}
	else
		chunk_append(buffer, slot);
	if (MemoryContextMemAllocated(buffer->rows_cxt, true) > buffer->chunk_limit)
		flush_chunk(buffer, rng, -1);
}

/* All rows are in: the last chunk becomes a run, few enough runs to read at once. */
static void
finish_runs(RowBuffer *buffer, Rng &rng)
{
	if (buffer->nrows > 0)
		flush_chunk(buffer, rng, -1);
	/* few enough runs to read at once: merge the newest (smallest) into one */
	if (buffer->nruns > buffer->merge_fanin)
		merge_runs(buffer, buffer->merge_fanin - 1, buffer->nruns - buffer->merge_fanin + 1, rng);

	MemoryContext old = MemoryContextSwitchTo(buffer->runs_cxt);

	buffer->picker_tree = (uint64 *) palloc((buffer->nruns + 1) * sizeof(uint64));
	buffer->picker = new (palloc(sizeof(RunPicker))) RunPicker(buffer->picker_tree, buffer->nruns);
	MemoryContextSwitchTo(old);
	for (uint32 i = 0; i < buffer->nruns; i++)
	{
		buffer->picker->set_rows(i, buffer->run_rows[i]);
		rewind_run(buffer, i);
	}
	new (&buffer->emit_rng) Rng(rng.next());
	buffer->lead_emitted = !buffer->has_lead_row;
}

/* The next row of a batch in runs: the lead, then the runs interleaved. */
static bool
runs_next(RowBuffer *buffer, TupleTableSlot *out)
{
	if (!buffer->lead_emitted)
	{
		buffer->lead_emitted = true;
		copy_slot_to_virtual(buffer->lead_slot, out);
		return true;
	}

	int64 run = buffer->picker->pick(buffer->emit_rng);

	if (run < 0)
		return false;
	ExecStoreMinimalTuple(run_get(buffer, (uint32) run), buffer->run_slot, false);
	copy_slot_to_virtual(buffer->run_slot, out);
	return true;
}

void
row_buffer_add(RowBuffer *buffer, TupleTableSlot *slot, const ItemPointerData *tid, Rng &rng)
{
	uint64 index = buffer->input_count++;

	if (buffer->in_runs)
	{
		runs_route(buffer, slot, rng);
		return;
	}
	if (buffer->sort != NULL)
	{
		spill_route(buffer, slot, tid, index, rng);
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

	if (MemoryContextMemAllocated(buffer->rows_cxt, true) > buffer->memory_limit && buffer->nrows > 1)
	{
		if (buffer->use_runs)
			start_runs(buffer, rng);
		else
			spill(buffer, rng);
	}
}

void
row_buffer_add_keyed(RowBuffer *buffer, TupleTableSlot *slot, uint64 key)
{
	Assert(buffer->nrows == 0 && !buffer->in_runs && !buffer->keep_row_identity);
	if (buffer->sort == NULL)
		start_sort(buffer);
	buffer->input_count++;
	/* int8 order of the key's bits: any fixed order of the keys will do */
	sort_put(buffer, slot, NULL, (int64) key);
}

void
row_buffer_finish(RowBuffer *buffer, Rng &rng)
{
	buffer->finished = true;
	buffer->emit_pos = 0;
	if (buffer->in_runs)
	{
		finish_runs(buffer, rng);
		return;
	}
	if (buffer->sort != NULL)
	{
		TuplesortInstrumentation stats;

		tuplesort_performsort(buffer->sort);
		buffer->lead_emitted = !buffer->has_lead_row;
		tuplesort_get_stats(buffer->sort, &stats);
		if (stats.spaceType == SORT_SPACE_TYPE_DISK)
		{
			buffer->spilled_to_disk = true;
			buffer->peak_disk_kb = Max(buffer->peak_disk_kb, stats.spaceUsed);
		}
		else
			buffer->peak_memory = Max(buffer->peak_memory, (Size) stats.spaceUsed * 1024);
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

/* The row just read from the spill sort, without its sort key; its TID, if kept. */
static void
emit_sorted_row(RowBuffer *buffer, TupleTableSlot *out)
{
	copy_slot_to_virtual(buffer->sort_out, out);
	if (buffer->keep_row_identity)
	{
		int natts = buffer->desc->natts;

		slot_getallattrs(buffer->sort_out);
		out->tts_tid = *(ItemPointer) DatumGetPointer(buffer->sort_out->tts_values[natts + 1]);
	}
}

bool
row_buffer_next(RowBuffer *buffer, TupleTableSlot *out)
{
	Assert(buffer->finished);
	if (buffer->in_runs)
		return runs_next(buffer, out);
	if (buffer->sort != NULL)
	{
		if (!buffer->lead_emitted)
		{
			buffer->lead_emitted = true;
			copy_slot_to_virtual(buffer->lead_slot, out);
			if (buffer->keep_row_identity)
				out->tts_tid = buffer->lead_tid;
			return true;
		}
		if (!tuplesort_gettupleslot(buffer->sort, true, false, buffer->sort_out, NULL))
		{
			buffer->past_end = true;
			return false;
		}
		buffer->sort_pos++;
		emit_sorted_row(buffer, out);
		return true;
	}
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
	if (buffer->in_runs)
		elog(ERROR, "unorder_rows: shuffled runs cannot fetch backward");
	if (buffer->sort != NULL)
	{
		/* the lead, then the sorted rest (random access: rows kept for cursors) */
		if (buffer->past_end || buffer->sort_pos > 1)
		{
			buffer->past_end = false;
			if (tuplesort_gettupleslot(buffer->sort, false, false, buffer->sort_out, NULL))
			{
				if (buffer->sort_pos > 1)
					buffer->sort_pos--;
				emit_sorted_row(buffer, out);
				return true;
			}
		}
		else if (buffer->sort_pos == 1)
			(void) tuplesort_gettupleslot(buffer->sort, false, false, buffer->sort_out,
										  NULL); /* to its start */
		else
		{
			/* on the lead (or before it): nothing before */
			buffer->lead_emitted = !buffer->has_lead_row;
			return false;
		}
		/* back at the lead */
		buffer->sort_pos = 0;
		if (!buffer->has_lead_row)
			return false;
		copy_slot_to_virtual(buffer->lead_slot, out);
		out->tts_tid = buffer->lead_tid;
		return true;
	}
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
	if (buffer->sort != NULL)
	{
		tuplesort_end(buffer->sort);
		buffer->sort = NULL;
	}
	if (buffer->nruns > 0 || buffer->in_runs)
	{
		if (buffer->run_slot != NULL)
			ExecClearTuple(buffer->run_slot);
		for (uint32 i = 0; i < buffer->nruns; i++)
			BufFileClose(buffer->runs[i]);
		MemoryContextReset(buffer->runs_cxt);
		buffer->runs = NULL;
		buffer->run_rows = NULL;
		buffer->run_bytes = NULL;
		buffer->run_level = NULL;
		buffer->picker_tree = NULL;
		buffer->picker = NULL;
		buffer->read_buffer = NULL;
		buffer->read_buffer_size = 0;
		buffer->nruns = buffer->runs_capacity = 0;
		buffer->live_run_bytes = 0;
		buffer->in_runs = false;
	}
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
	buffer->sort_pos = 0;
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
