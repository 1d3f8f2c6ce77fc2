/*
 * row_buffer_runs.cpp
 *		A spilled batch in shuffle mode: chunks shuffled in memory, written as
 *		runs to the tapes of one LogicalTapeSet (one temporary file), merged
 *		while there are too many open and interleaved on output
 *		(core/interleave.hpp); see row_buffer_internal.hpp.
 */
#include "row_buffer_internal.hpp"

#include <new>

using unorder_rows::core::Rng;
using unorder_rows::core::RunPicker;

/*
 * A run's cost in memory while open: its tape's buffer (at least BLCKSZ)
 * and bookkeeping.  Runs get half of work_mem, the chunk being shuffled the
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
	/* runs in memory where work_mem holds several chunks (the default 4MB: 16) */
	buffer->runs.memory_runs = buffer->memory_limit >= 4 * CACHE_CHUNK;
}

/* How many bytes of rows a batch holds before it goes into runs (runs_start). */
Size
runs_start_bytes(const RowBuffer *buffer)
{
	return buffer->runs.memory_runs ? CACHE_CHUNK : buffer->memory_limit;
}

/* Note the temporary file's size: its blocks are recycled, so it only grows at its peak. */
static void
note_disk_use(RowBuffer *buffer)
{
	int64 kb = (int64) LogicalTapeSetBlocks(buffer->runs.tapeset.lts) * (BLCKSZ / 1024);

	buffer->peak_disk_kb = Max(buffer->peak_disk_kb, kb);
}

/* Room for one more run in the arrays that describe them. */
template <typename T>
static void
grow(T *&array, uint32 capacity)
{
	array = array == NULL ? (T *) palloc(capacity * sizeof(T)) : (T *) repalloc(array, capacity * sizeof(T));
}

/* A new, empty run: a tape (rows go to it at once), or a memory run to fill. */
static uint32
new_run(RowBuffer *buffer, uint32 level)
{
	MemoryContext old = MemoryContextSwitchTo(buffer->runs.cxt);

	if (buffer->runs.on_tape && !buffer->runs.tapeset_open)
	{
		compat_tapeset_create(&buffer->runs.tapeset);
		buffer->runs.tapeset_open = true;
	}
	if (buffer->runs.count == buffer->runs.capacity)
	{
		uint32 capacity = buffer->runs.capacity == 0 ? 16 : buffer->runs.capacity * 2;

		grow(buffer->runs.tapes, capacity);
		grow(buffer->runs.blocks, capacity);
		grow(buffer->runs.block_bytes, capacity);
		grow(buffer->runs.read_offset, capacity);
		grow(buffer->runs.rows, capacity);
		grow(buffer->runs.level, capacity);
		buffer->runs.capacity = capacity;
	}

	uint32 run = buffer->runs.count++;

	if (buffer->runs.on_tape)
		buffer->runs.tapes[run] = compat_tape_create(&buffer->runs.tapeset);
	buffer->runs.blocks[run] = NULL;
	buffer->runs.block_bytes[run] = 0;
	buffer->runs.read_offset[run] = 0;
	buffer->runs.rows[run] = 0;
	buffer->runs.level[run] = level;
	MemoryContextSwitchTo(old);
	return run;
}

/* Append a row to a run. */
static void
run_put(RowBuffer *buffer, uint32 run, MinimalTuple row)
{
	/* the tape allocates its buffer at the first write, in the runs' context */
	MemoryContext old = MemoryContextSwitchTo(buffer->runs.cxt);

	compat_tape_write(&buffer->runs.tapeset, buffer->runs.tapes[run], row, row->t_len);
	MemoryContextSwitchTo(old);
	buffer->runs.rows[run]++;
}

/* Read exactly size bytes of a run. */
static void
run_read(RowBuffer *buffer, uint32 run, void *data, size_t size)
{
	/* the tape allocates its read buffer at the first read, in the runs' context */
	MemoryContext old = MemoryContextSwitchTo(buffer->runs.cxt);
	size_t got = compat_tape_read(&buffer->runs.tapeset, buffer->runs.tapes[run], data, size);

	MemoryContextSwitchTo(old);
	if (got != size)
		ereport(ERROR,
				(errcode_for_file_access(), errmsg("could not read from unorder_rows temporary file")));
}

/* Read the next row of a run (rewound with rewind_runs) into the read buffer. */
static MinimalTuple
run_get(RowBuffer *buffer, uint32 run)
{
	uint32 length;

	run_read(buffer, run, &length, sizeof(length));
	if (length < sizeof(length))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
						errmsg("unorder_rows temporary file holds a row of length %u", length)));
	if (length > buffer->runs.read_buffer_size)
	{
		Size size = Max((Size) length, buffer->runs.read_buffer_size * 2);

		if (buffer->runs.read_buffer != NULL)
			pfree(buffer->runs.read_buffer);
		buffer->runs.read_buffer = (MinimalTuple) MemoryContextAllocHuge(buffer->runs.cxt, size);
		buffer->runs.read_buffer_size = size;
	}
	buffer->runs.read_buffer->t_len = length;
	run_read(buffer, run, (char *) buffer->runs.read_buffer + sizeof(length), length - sizeof(length));
	return buffer->runs.read_buffer;
}

/*
 * Position fully written runs [first, first + count) at their first rows,
 * each read through a buffer of an equal share of the runs' memory.
 */
static void
rewind_runs(RowBuffer *buffer, uint32 first, uint32 count)
{
	Size share = buffer->memory_limit / 2 / Max(count, (uint32) 1);
	Size buffer_size = Max(share - share % BLCKSZ, (Size) BLCKSZ);
	MemoryContext old = MemoryContextSwitchTo(buffer->runs.cxt);

	for (uint32 i = first; i < first + count; i++)
		compat_tape_rewind_for_read(&buffer->runs.tapeset, buffer->runs.tapes[i], buffer_size);
	MemoryContextSwitchTo(old);
}

/*
 * Merge runs [first, first + count) into one run at the end, drawing each
 * row's run by its share of the rows left: uniformly shuffled runs make a
 * uniformly shuffled whole.  The blocks the merge reads are free for the
 * blocks it writes, so the rows are not on disk twice.
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
		picker.set_rows(i, buffer->runs.rows[first + i]);
	rewind_runs(buffer, first, count);
	for (int64 pick; (pick = picker.pick(rng)) >= 0;)
	{
		CHECK_FOR_INTERRUPTS();
		run_put(buffer, merged, run_get(buffer, first + (uint32) pick));
	}
	pfree(tree);
	note_disk_use(buffer);

	/* the merged run takes the place of the first; the others go */
	for (uint32 i = first; i < first + count; i++)
		compat_tape_close(&buffer->runs.tapeset, buffer->runs.tapes[i]);
	buffer->runs.tapes[first] = buffer->runs.tapes[merged];
	buffer->runs.rows[first] = buffer->runs.rows[merged];
	buffer->runs.level[first] = buffer->runs.level[merged];
	uint32 tail = buffer->runs.count - 1 - (first + count);

	memmove(&buffer->runs.tapes[first + 1], &buffer->runs.tapes[first + count], tail * sizeof(CompatTape));
	memmove(&buffer->runs.rows[first + 1], &buffer->runs.rows[first + count], tail * sizeof(uint64));
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

/* Copy n rows (bytes, MAXALIGNed) back to back into a new memory run. */
static void
fill_memory_run(RowBuffer *buffer, uint32 run, MinimalTuple *rows, uint32 n, Size bytes)
{
	char *block = (char *) MemoryContextAllocHuge(buffer->runs.cxt, bytes);
	Size offset = 0;

	for (uint32 i = 0; i < n; i++)
	{
		memcpy(block + offset, rows[i], rows[i]->t_len);
		offset += MAXALIGN(rows[i]->t_len);
	}
	buffer->runs.blocks[run] = block;
	buffer->runs.block_bytes[run] = bytes;
	buffer->runs.rows[run] = n;
	buffer->runs.memory_bytes += bytes;
}

/*
 * The batch outgrew work_mem: write the memory runs to tapes (each its own
 * run, as it was), and every later run too.
 */
static void
move_runs_to_tape(RowBuffer *buffer)
{
	uint32 count = buffer->runs.count;

	buffer->runs.on_tape = true;
	buffer->spilled_to_disk = true;
	buffer->runs.count = 0;
	for (uint32 i = 0; i < count; i++)
	{
		char *block = buffer->runs.blocks[i];
		Size bytes = buffer->runs.block_bytes[i];
		uint32 run = new_run(buffer, 0);

		Assert(run == i);
		for (Size offset = 0; offset < bytes; offset += MAXALIGN(((MinimalTuple) (block + offset))->t_len))
			run_put(buffer, run, (MinimalTuple) (block + offset));
		pfree(block);
	}
	buffer->runs.memory_bytes = 0;
	note_disk_use(buffer);
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

		Size bytes = 0;

		for (uint32 i = 0; i < n; i++)
			bytes += MAXALIGN(rows[i]->t_len);
		/* the memory runs and the next chunk (its context may hold twice its rows) must fit in work_mem */
		if (!buffer->runs.on_tape &&
			buffer->runs.memory_bytes + bytes + 2 * CACHE_CHUNK > buffer->memory_limit)
			move_runs_to_tape(buffer);

		uint32 run = new_run(buffer, 0);

		if (buffer->runs.on_tape)
		{
			for (uint32 i = 0; i < n; i++)
				run_put(buffer, run, rows[i]);
			note_disk_use(buffer);
		}
		else
			fill_memory_run(buffer, run, rows, n, bytes);
	}
	buffer->peak_memory = Max(buffer->peak_memory, MemoryContextMemAllocated(buffer->rows_cxt, true) +
													   MemoryContextMemAllocated(buffer->runs.cxt, true));
	MemoryContextReset(buffer->rows_cxt);
	buffer->rows = NULL;
	buffer->nrows = buffer->capacity = 0;
	if (buffer->runs.on_tape)
		limit_open_runs(buffer, rng);
}

/*
 * The batch outgrew a chunk (or, without memory runs, work_mem): pick the
 * lead among the rows held (as the streaming rule would have), make the
 * others the first run.
 */
void
runs_start(RowBuffer *buffer, Rng &rng)
{
	if (buffer->runs.slot == NULL)
		buffer->runs.slot = MakeSingleTupleTableSlot(buffer->desc, &TTSOpsMinimalTuple);
	buffer->runs.active = true;
	buffer->runs.on_tape = !buffer->runs.memory_runs;
	buffer->spilled_to_disk = buffer->runs.on_tape;

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
	if (MemoryContextMemAllocated(buffer->rows_cxt, true) >
		(buffer->runs.on_tape ? buffer->runs.chunk_limit : CACHE_CHUNK))
		flush_chunk(buffer, rng, -1);
}

/* All rows are in: the last chunk becomes a run, few enough runs to read at once. */
void
runs_finish(RowBuffer *buffer, Rng &rng)
{
	if (buffer->nrows > 0)
		flush_chunk(buffer, rng, -1);
	/* few enough runs to read at once: merge the newest (smallest) into one */
	if (buffer->runs.on_tape && buffer->runs.count > buffer->runs.merge_fanin)
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
		if (!buffer->runs.on_tape)
			__builtin_prefetch(buffer->runs.blocks[i]);
	}
	if (buffer->runs.on_tape)
		rewind_runs(buffer, 0, buffer->runs.count);
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

	MinimalTuple row;

	if (buffer->runs.on_tape)
		row = run_get(buffer, (uint32) run);
	else
	{
		/*
		 * Each memory run is read front to back: ask for the run's next row
		 * now, it is wanted when this run is drawn again.
		 */
		row = (MinimalTuple) (buffer->runs.blocks[run] + buffer->runs.read_offset[run]);
		buffer->runs.read_offset[run] += MAXALIGN(row->t_len);
		if (buffer->runs.read_offset[run] < buffer->runs.block_bytes[run])
		{
			const char *next = buffer->runs.blocks[run] + buffer->runs.read_offset[run];

			__builtin_prefetch(next);
			__builtin_prefetch(next + 64);
		}
	}
	ExecStoreMinimalTuple(row, buffer->runs.slot, false);
	copy_slot_to_virtual(buffer->runs.slot, out);
	return true;
}

/* Forget the runs (and their temporary file). */
void
runs_reset(RowBuffer *buffer)
{
	if (buffer->runs.count == 0 && !buffer->runs.active && !buffer->runs.tapeset_open)
		return;
	if (buffer->runs.slot != NULL)
		ExecClearTuple(buffer->runs.slot);
	if (buffer->runs.tapeset_open)
		LogicalTapeSetClose(buffer->runs.tapeset.lts);
	MemoryContextReset(buffer->runs.cxt);
	buffer->runs.tapeset_open = false;
	buffer->runs.on_tape = false;
	buffer->runs.tapes = NULL;
	buffer->runs.blocks = NULL;
	buffer->runs.block_bytes = NULL;
	buffer->runs.read_offset = NULL;
	buffer->runs.memory_bytes = 0;
	buffer->runs.rows = NULL;
	buffer->runs.level = NULL;
	buffer->runs.picker_tree = NULL;
	buffer->runs.picker = NULL;
	buffer->runs.read_buffer = NULL;
	buffer->runs.read_buffer_size = 0;
	buffer->runs.count = buffer->runs.capacity = 0;
	buffer->runs.active = false;
}
