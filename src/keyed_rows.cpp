/*
 * keyed_rows.cpp
 *		A batch of DML rows in a tuplesort on (key hash, TID, arrival), the
 *		rows of one target row gathered to draw the first; see keyed_rows.hpp.
 */
#include "keyed_rows.hpp"

#include "row_buffer.hpp"

#include <utility>

using unorder_rows::core::Rng;

/* The columns added after the row's own, in sort order. */
enum
{
	SORT_KEY_HASH,
	SORT_KEY_TID,
	SORT_KEY_ARRIVAL,
	SORT_KEYS
};

/* The rows of one target row, emitted the drawn one first, then the others as they came. */
struct TargetGroup
{
	Tuplestorestate *rows; /* created at the first group, cleared after each */
	TupleTableSlot *slot;
	int64 size;
	int64 first;    /* position of the row emitted first */
	int64 position; /* next position to read, after the first was emitted */
	bool active;
	bool first_emitted;
};

struct KeyedRows
{
	MemoryContext cxt;       /* the query's: copies of sorted rows live here */
	TupleDesc desc;          /* the rows' own */
	TupleDesc sort_desc;     /* the rows' columns, then the SORT_KEYS int8 keys */
	TupleTableSlot *in;      /* virtual, over sort_desc */
	TupleTableSlot *current; /* minimal, over sort_desc: the row read from the sort */
	TupleTableSlot *ahead;   /* the row read after it, when have_ahead */
	bool have_ahead;
	Tuplesortstate *sort;
	TargetGroup group;
	int work_mem_kb;
	uint64 count;
	bool spilled;
	int64 peak_memory_kb;
	int64 peak_disk_kb;
};

KeyedRows *
keyed_rows_create(TupleDesc desc, int work_mem_kb)
{
	KeyedRows *rows = (KeyedRows *) palloc0(sizeof(KeyedRows));
	int natts = desc->natts;

	rows->cxt = CurrentMemoryContext;
	rows->desc = desc;
	rows->work_mem_kb = work_mem_kb;
	rows->sort_desc = CreateTemplateTupleDesc(natts + SORT_KEYS);
	for (int i = 0; i < natts; i++)
		TupleDescCopyEntry(rows->sort_desc, i + 1, desc, i + 1);
	TupleDescInitEntry(rows->sort_desc, natts + 1 + SORT_KEY_HASH, "unorder_rows_key", INT8OID, -1, 0);
	TupleDescInitEntry(rows->sort_desc, natts + 1 + SORT_KEY_TID, "unorder_rows_tid", INT8OID, -1, 0);
	TupleDescInitEntry(rows->sort_desc, natts + 1 + SORT_KEY_ARRIVAL, "unorder_rows_arrival", INT8OID, -1, 0);
	rows->in = MakeSingleTupleTableSlot(rows->sort_desc, &TTSOpsVirtual);
	rows->current = MakeSingleTupleTableSlot(rows->sort_desc, &TTSOpsMinimalTuple);
	rows->ahead = MakeSingleTupleTableSlot(rows->sort_desc, &TTSOpsMinimalTuple);
	rows->group.slot = MakeSingleTupleTableSlot(rows->sort_desc, &TTSOpsMinimalTuple);
	return rows;
}

/* The tuplesort of a batch, begun at its first row. */
static void
start_sort(KeyedRows *rows)
{
	AttrNumber columns[SORT_KEYS];
	Oid less[SORT_KEYS];
	Oid collations[SORT_KEYS];
	bool nulls_first[SORT_KEYS];

	for (int i = 0; i < SORT_KEYS; i++)
	{
		columns[i] = (AttrNumber) (rows->desc->natts + 1 + i);
		less[i] = Int8LessOperator;
		collations[i] = InvalidOid;
		nulls_first[i] = false;
	}
	rows->sort = compat_tuplesort_begin_heap(rows->sort_desc, SORT_KEYS, columns, less, collations,
											 nulls_first, rows->work_mem_kb, false);
}

/* A TID as an int8 that sorts as the TID does (block, then offset). */
static int64
tid_sort_key(const ItemPointerData *tid)
{
	return (int64) (((uint64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
					ItemPointerGetOffsetNumberNoCheck(tid));
}

void
keyed_rows_add(KeyedRows *rows, TupleTableSlot *slot, const RowOrderKey &key)
{
	int natts = rows->desc->natts;
	TupleTableSlot *in = rows->in;

	if (rows->sort == NULL)
		start_sort(rows);
	slot_getallattrs(slot);
	ExecClearTuple(in);
	memcpy(in->tts_values, slot->tts_values, natts * sizeof(Datum));
	memcpy(in->tts_isnull, slot->tts_isnull, natts * sizeof(bool));
	/* int8 order of the hash's bits: any order that every session shares will do */
	in->tts_values[natts + SORT_KEY_HASH] = Int64GetDatum((int64) key.hash);
	in->tts_values[natts + SORT_KEY_TID] = Int64GetDatum(tid_sort_key(&key.tid));
	in->tts_values[natts + SORT_KEY_ARRIVAL] = Int64GetDatum((int64) rows->count);
	for (int i = 0; i < SORT_KEYS; i++)
		in->tts_isnull[natts + i] = false;
	ExecStoreVirtualTuple(in);
	tuplesort_puttupleslot(rows->sort, in);
	rows->count++;
}

void
keyed_rows_finish(KeyedRows *rows)
{
	TuplesortInstrumentation stats;

	if (rows->sort == NULL)
		return;
	tuplesort_performsort(rows->sort);
	tuplesort_get_stats(rows->sort, &stats);
	if (stats.spaceType == SORT_SPACE_TYPE_DISK)
	{
		rows->spilled = true;
		rows->peak_disk_kb = Max(rows->peak_disk_kb, stats.spaceUsed);
	}
	else
		rows->peak_memory_kb = Max(rows->peak_memory_kb, stats.spaceUsed);
}

/* Read the next sorted row into slot (a copy it owns, so that two can be held); false at the end. */
static bool
read_sorted(KeyedRows *rows, TupleTableSlot *slot)
{
	MemoryContext old = MemoryContextSwitchTo(rows->cxt);
	bool found = tuplesort_gettupleslot(rows->sort, true, true, slot, NULL);

	MemoryContextSwitchTo(old);
	return found;
}

/* Whether two sorted rows name the same target row (equal key hash and TID). */
static bool
same_target(KeyedRows *rows, TupleTableSlot *a, TupleTableSlot *b)
{
	for (int key = SORT_KEY_HASH; key <= SORT_KEY_TID; key++)
	{
		AttrNumber column = (AttrNumber) (rows->desc->natts + 1 + key);
		bool a_null;
		bool b_null;

		if (DatumGetInt64(slot_getattr(a, column, &a_null)) !=
			DatumGetInt64(slot_getattr(b, column, &b_null)))
			return false;
	}
	return true;
}

/*
 * Gather the rows that name the same target row as the current one (the
 * next, in ahead, does too) into the group's tuplestore, leave the first row
 * after them in ahead, and draw the one to emit first: any but the first
 * that came.
 */
static void
gather_group(KeyedRows *rows, Rng &rng)
{
	TargetGroup *group = &rows->group;
	MemoryContext old = MemoryContextSwitchTo(rows->cxt);

	if (group->rows == NULL)
		group->rows = tuplestore_begin_heap(false, false, rows->work_mem_kb);
	MemoryContextSwitchTo(old);
	tuplestore_puttupleslot(group->rows, rows->current);
	group->size = 1;
	rows->have_ahead = false;
	do
	{
		if (!same_target(rows, rows->current, rows->ahead))
		{
			rows->have_ahead = true;
			break;
		}
		tuplestore_puttupleslot(group->rows, rows->ahead);
		group->size++;
	} while (read_sorted(rows, rows->ahead));
	group->first = 1 + (int64) rng.below((uint64) (group->size - 1));
	group->position = 0;
	group->first_emitted = false;
	group->active = true;
}

/* The next row of the gathered group into out; false when the group is done (and cleared). */
static bool
next_of_group(KeyedRows *rows, TupleTableSlot *out)
{
	TargetGroup *group = &rows->group;

	if (!group->first_emitted)
	{
		tuplestore_rescan(group->rows);
		for (int64 i = 0; i <= group->first; i++)
			(void) tuplestore_gettupleslot(group->rows, true, false, group->slot);
		tuplestore_rescan(group->rows);
		group->first_emitted = true;
		copy_slot_to_virtual(group->slot, out);
		return true;
	}
	while (group->position < group->size)
	{
		int64 position = group->position++;

		(void) tuplestore_gettupleslot(group->rows, true, false, group->slot);
		if (position == group->first)
			continue;
		copy_slot_to_virtual(group->slot, out);
		return true;
	}
	ExecClearTuple(group->slot);
	tuplestore_clear(group->rows);
	group->active = false;
	return false;
}

bool
keyed_rows_next(KeyedRows *rows, TupleTableSlot *out, Rng &rng)
{
	if (rows->sort == NULL)
		return false;
	if (rows->group.active && next_of_group(rows, out))
		return true;
	if (rows->have_ahead)
	{
		std::swap(rows->current, rows->ahead);
		rows->have_ahead = false;
	}
	else if (!read_sorted(rows, rows->current))
		return false;
	/* a row alone with its target row goes out as it is */
	if (!read_sorted(rows, rows->ahead))
	{
		copy_slot_to_virtual(rows->current, out);
		return true;
	}
	if (!same_target(rows, rows->current, rows->ahead))
	{
		rows->have_ahead = true;
		copy_slot_to_virtual(rows->current, out);
		return true;
	}
	gather_group(rows, rng);
	return next_of_group(rows, out);
}

void
keyed_rows_reset(KeyedRows *rows)
{
	if (rows->sort != NULL)
	{
		tuplesort_end(rows->sort);
		rows->sort = NULL;
	}
	if (rows->group.rows != NULL)
		tuplestore_clear(rows->group.rows);
	rows->group.active = false;
	rows->have_ahead = false;
	ExecClearTuple(rows->current);
	ExecClearTuple(rows->ahead);
	ExecClearTuple(rows->group.slot);
	rows->count = 0;
	rows->spilled = false;
}

uint64
keyed_rows_count(const KeyedRows *rows)
{
	return rows->count;
}

bool
keyed_rows_spilled(const KeyedRows *rows)
{
	return rows->spilled;
}

int64
keyed_rows_peak_memory_kb(const KeyedRows *rows)
{
	return rows->peak_memory_kb;
}

int64
keyed_rows_peak_disk_kb(const KeyedRows *rows)
{
	return rows->peak_disk_kb;
}
