/*
 * row_buffer_runs.cpp
 *		A spilled batch in shuffle mode: chunks shuffled in memory, written to
 *		temporary files as runs, merged while there are too many open and
 *		interleaved on output (core/interleave.hpp); see row_buffer_internal.hpp.
 */
#include "row_buffer_internal.hpp"

#include <new>

using unorder_rows::core::Rng;
using unorder_rows::core::RunPicker;

/*
 * A run's cost in memory while open: its BufFile's buffer (BLCKSZ) and
 * bookkeeping.  Runs get half of work_mem, the chunk being shuffled the
 * other half.
 */
static constexpr Size RUN_MEMORY = BLCKSZ + 1024;

/* Size the runs after work_mem; called once, when the buffer is created. */
void
runs_init(RowBuffer *buffer)
{
	buffer->runs.cxt =
		AllocSetContextCreate(CurrentMemoryContext, "unorder_rows runs", ALLOCSET_DEFAULT_SIZES);
	buffer->runs.chunk_limit = Max(buffer->memory_limit / 2, (Size) 8192);
	/* at least 8 runs per merge, or tiny work_mem settings would rewrite rows many times */
	buffer->runs.merge_fanin = (uint32) Max(buffer->memory_limit / 2 / RUN_MEMORY, (Size) 8);
}

/* A new, empty run; rows go to its temporary file at once. */
static uint32
new_run(RowBuffer *buffer, uint32 level)
{
	MemoryContext old = MemoryContextSwitchTo(buffer->runs.cxt);

	if (buffer->runs.count == buffer->runs.capacity)
	{
		uint32 capacity = buffer->runs.capacity == 0 ? 16 : buffer->runs.capacity * 2;

		if (buffer->runs.files == NULL)
		{
			buffer->runs.files = (BufFile **) palloc(capacity * sizeof(BufFile *));
			buffer->runs.rows = (uint64 *) palloc(capacity * sizeof(uint64));
			buffer->runs.bytes = (int64 *) palloc(capacity * sizeof(int64));
			buffer->runs.level = (uint32 *) palloc(capacity * sizeof(uint32));
		}
		else
		{
			buffer->runs.files = (BufFile **) repalloc(buffer->runs.files, capacity * sizeof(BufFile *));
			buffer->runs.rows = (uint64 *) repalloc(buffer->runs.rows, capacity * sizeof(uint64));
			buffer->runs.bytes = (int64 *) repalloc(buffer->runs.bytes, capacity * sizeof(int64));
			buffer->runs.level = (uint32 *) repalloc(buffer->runs.level, capacity * sizeof(uint32));
		}
		buffer->runs.capacity = capacity;
	}

	uint32 run = buffer->runs.count++;

	buffer->runs.files[run] = BufFileCreateTemp(false);
	buffer->runs.rows[run] = 0;
	buffer->runs.bytes[run] = 0;
	buffer->runs.level[run] = level;
	MemoryContextSwitchTo(old);
	return run;
}

/* Append a row to a run (bytes: what it adds to the rows on disk). */
static void
run_put(RowBuffer *buffer, uint32 run, MinimalTuple row, Size bytes)
{
	compat_buffile_write(buffer->runs.files[run], row, row->t_len);
	buffer->runs.rows[run]++;
	buffer->runs.bytes[run] += bytes;
	buffer->runs.live_bytes += bytes;
	buffer->peak_disk_kb = Max(buffer->peak_disk_kb, (buffer->runs.live_bytes + 1023) / 1024);
}

/* Read the next row of a run (rewound with rewind_run) into the read buffer. */
static MinimalTuple
run_get(RowBuffer *buffer, uint32 run)
{
	uint32 length;

	if (BufFileRead(buffer->runs.files[run], &length, sizeof(length)) != sizeof(length) ||
		length < sizeof(length))
		ereport(ERROR,
				(errcode_for_file_access(), errmsg("could not read from unorder_rows temporary file")));
	if (length > buffer->runs.read_buffer_size)
	{
		Size size = Max((Size) length, buffer->runs.read_buffer_size * 2);

		if (buffer->runs.read_buffer != NULL)
			pfree(buffer->runs.read_buffer);
		buffer->runs.read_buffer = (MinimalTuple) MemoryContextAllocHuge(buffer->runs.cxt, size);
		buffer->runs.read_buffer_size = size;
	}
	buffer->runs.read_buffer->t_len = length;
	if (BufFileRead(buffer->runs.files[run], (char *) buffer->runs.read_buffer + sizeof(length),
					length - sizeof(length)) != length - sizeof(length))
		ereport(ERROR,
				(errcode_for_file_access(), errmsg("could not read from unorder_rows temporary file")));
	return buffer->runs.read_buffer;
}

/* Position a fully written run at its first row. */
static void
rewind_run(RowBuffer *buffer, uint32 run)
{
	if (BufFileSeek(buffer->runs.files[run], 0, 0, SEEK_SET) != 0)
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
		level = Max(level, buffer->runs.level[i] + 1);

	uint32 merged = new_run(buffer, level);
	uint64 *tree = (uint64 *) MemoryContextAlloc(buffer->runs.cxt, (count + 1) * sizeof(uint64));
	RunPicker picker(tree, count);

	for (uint32 i = 0; i < count; i++)
	{
		picker.set_rows(i, buffer->runs.rows[first + i]);
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
		bytes += buffer->runs.bytes[i];
	/* for a moment, the rows were on disk twice */
	buffer->peak_disk_kb = Max(buffer->peak_disk_kb, (buffer->runs.live_bytes + bytes + 1023) / 1024);
	for (uint32 i = first; i < first + count; i++)
		BufFileClose(buffer->runs.files[i]);
	buffer->runs.bytes[merged] = bytes;
	buffer->runs.files[first] = buffer->runs.files[merged];
	buffer->runs.rows[first] = buffer->runs.rows[merged];
	buffer->runs.bytes[first] = buffer->runs.bytes[merged];
	buffer->runs.level[first] = buffer->runs.level[merged];
	uint32 tail = buffer->runs.count - 1 - (first + count);

	memmove(&buffer->runs.files[first + 1], &buffer->runs.files[first + count], tail * sizeof(BufFile *));
	memmove(&buffer->runs.rows[first + 1], &buffer->runs.rows[first + count], tail * sizeof(uint64));
	memmove(&buffer->runs.bytes[first + 1], &buffer->runs.bytes[first + count], tail * sizeof(int64));
	memmove(&buffer->runs.level[first + 1], &buffer->runs.level[first + count], tail * sizeof(uint32));
	buffer->runs.count = first + 1 + tail;
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
		uint32 last = buffer->runs.count - 1;
		uint32 first = last;

		if (buffer->runs.count < buffer->runs.merge_fanin)
			return;
		while (first > 0 && buffer->runs.level[first - 1] == buffer->runs.level[last])
			first--;
		if (last - first + 1 < buffer->runs.merge_fanin)
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
													   MemoryContextMemAllocated(buffer->runs.cxt, true));
	MemoryContextReset(buffer->rows_cxt);
	buffer->rows = NULL;
	buffer->nrows = buffer->capacity = 0;
	limit_open_runs(buffer, rng);
}

/*
 * The batch outgrew memory: pick the lead among the rows held (as the
 * streaming rule would have), write the others out as the first run.
 */
void
runs_start(RowBuffer *buffer, Rng &rng)
{
	if (buffer->runs.slot == NULL)
		buffer->runs.slot = MakeSingleTupleTableSlot(buffer->desc, &TTSOpsMinimalTuple);
	buffer->runs.active = true;
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
void
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
	if (MemoryContextMemAllocated(buffer->rows_cxt, true) > buffer->runs.chunk_limit)
		flush_chunk(buffer, rng, -1);
}

/* All rows are in: the last chunk becomes a run, few enough runs to read at once. */
void
runs_finish(RowBuffer *buffer, Rng &rng)
{
	if (buffer->nrows > 0)
		flush_chunk(buffer, rng, -1);
	/* few enough runs to read at once: merge the newest (smallest) into one */
	if (buffer->runs.count > buffer->runs.merge_fanin)
		merge_runs(buffer, buffer->runs.merge_fanin - 1, buffer->runs.count - buffer->runs.merge_fanin + 1,
				   rng);

	MemoryContext old = MemoryContextSwitchTo(buffer->runs.cxt);

	buffer->runs.picker_tree = (uint64 *) palloc((buffer->runs.count + 1) * sizeof(uint64));
	buffer->runs.picker =
		new (palloc(sizeof(RunPicker))) RunPicker(buffer->runs.picker_tree, buffer->runs.count);
	MemoryContextSwitchTo(old);
	for (uint32 i = 0; i < buffer->runs.count; i++)
	{
		buffer->runs.picker->set_rows(i, buffer->runs.rows[i]);
		rewind_run(buffer, i);
	}
	new (&buffer->runs.emit_rng) Rng(rng.next());
	buffer->lead_emitted = !buffer->has_lead_row;
}

/* The next row of a batch in runs: the lead, then the runs interleaved. */
bool
runs_next(RowBuffer *buffer, TupleTableSlot *out)
{
	if (!buffer->lead_emitted)
	{
		buffer->lead_emitted = true;
		copy_slot_to_virtual(buffer->lead_slot, out);
		return true;
	}

	int64 run = buffer->runs.picker->pick(buffer->runs.emit_rng);

	if (run < 0)
		return false;
	ExecStoreMinimalTuple(run_get(buffer, (uint32) run), buffer->runs.slot, false);
	copy_slot_to_virtual(buffer->runs.slot, out);
	return true;
}

/* Forget the runs (and their temporary files). */
void
runs_reset(RowBuffer *buffer)
{
	if (buffer->runs.count == 0 && !buffer->runs.active)
		return;
	if (buffer->runs.slot != NULL)
		ExecClearTuple(buffer->runs.slot);
	for (uint32 i = 0; i < buffer->runs.count; i++)
		BufFileClose(buffer->runs.files[i]);
	MemoryContextReset(buffer->runs.cxt);
	buffer->runs.files = NULL;
	buffer->runs.rows = NULL;
	buffer->runs.bytes = NULL;
	buffer->runs.level = NULL;
	buffer->runs.picker_tree = NULL;
	buffer->runs.picker = NULL;
	buffer->runs.read_buffer = NULL;
	buffer->runs.read_buffer_size = 0;
	buffer->runs.count = buffer->runs.capacity = 0;
	buffer->runs.live_bytes = 0;
	buffer->runs.active = false;
}
