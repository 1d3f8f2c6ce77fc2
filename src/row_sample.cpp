/*
 * row_sample.cpp
 *		Streaming sample of the rows a LIMIT reads; see row_sample.hpp.
 */
#include "row_sample.hpp"

#include "core/limit_sample.hpp"
#include "row_buffer.hpp"

#include <new>
#include <type_traits>

namespace core = unorder_rows::core;
using unorder_rows::core::LimitSample;
using unorder_rows::core::Reservoir;
using unorder_rows::core::Rng;
using unorder_rows::core::SampleStep;

struct RowSample
{
	Size memory_limit;
	MemoryContext rows_cxt; /* held rows, their indexes and the emit order */
	LimitSample picker;
	int64 k;

	MinimalTuple *held; /* reservoir slots: k - 1 */
	uint64 *held_index; /* input position of each held row, for draining */
	MinimalTuple lead;  /* the row to emit first */
	uint64 lead_index;
	bool frozen; /* over work_mem after dropping rows: no more replacements */

	int32 *order;
	uint32 norder;
	uint32 emit_pos;

	Size peak_memory;
	TupleTableSlot *first_slot; /* row 0, to compare with and to stand in */
	TupleTableSlot *probe_slot;
};

/* Lives in palloc'd memory and is never destroyed, only reset. */
static_assert(std::is_trivially_destructible<RowSample>::value, "RowSample lives in palloc'd memory");

RowSample *
row_sample_create(TupleDesc desc, int work_mem_kb)
{
	RowSample *sample = (RowSample *) palloc0(sizeof(RowSample));

	sample->memory_limit = (Size) work_mem_kb * 1024;
	sample->rows_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "unorder_rows LIMIT sample", ALLOCSET_DEFAULT_SIZES);
	new (&sample->picker) LimitSample(1);
	sample->first_slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	sample->probe_slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	return sample;
}

/* bookkeeping per sampled row: slot pointer, input position, emit order */
static constexpr Size BYTES_PER_SAMPLED_ROW = sizeof(MinimalTuple) + sizeof(uint64) + sizeof(int32);

bool
row_sample_worthwhile(int64 k, int work_mem_kb)
{
	return k >= 1 && k <= ROW_SAMPLE_MAX_ROWS &&
		   (Size) k * BYTES_PER_SAMPLED_ROW <= (Size) work_mem_kb * 1024 / 4;
}

static Size
held_memory(const RowSample *sample)
{
	return MemoryContextMemAllocated(sample->rows_cxt, true);
}

void
row_sample_start(RowSample *sample, int64 k)
{
	Assert(k >= 1 && k <= ROW_SAMPLE_MAX_ROWS);
	sample->peak_memory = Max(sample->peak_memory, held_memory(sample));
	ExecClearTuple(sample->first_slot);
	ExecClearTuple(sample->probe_slot);
	MemoryContextReset(sample->rows_cxt);
	new (&sample->picker) LimitSample((uint32) k);
	sample->k = k;
	sample->held = (MinimalTuple *) MemoryContextAllocZero(sample->rows_cxt, (Size) k * sizeof(MinimalTuple));
	sample->held_index = (uint64 *) MemoryContextAlloc(sample->rows_cxt, (Size) k * sizeof(uint64));
	sample->order = (int32 *) MemoryContextAlloc(sample->rows_cxt, (Size) k * sizeof(int32));
	sample->lead = NULL;
	sample->frozen = false;
	sample->norder = sample->emit_pos = 0;
}

/* Store a copy of the row in a reservoir slot, replacing its holder. */
static void
hold(RowSample *sample, int64 slot, MinimalTuple row, uint64 index)
{
	if (sample->held[slot] != NULL)
		pfree(sample->held[slot]);
	sample->held[slot] = row;
	sample->held_index[slot] = index;
}

bool
row_sample_add(RowSample *sample, TupleTableSlot *slot, Rng &rng)
{
	uint64 index = sample->picker.rows();
	SampleStep step;

	if (index == 0)
	{
		ExecCopySlot(sample->first_slot, slot);
		step = sample->picker.first(rng);
	}
	else
		step = sample->picker.next(!slots_identical(slot, sample->first_slot), rng);

	/* over work_mem: keep what is held, but the first lead is still needed (§5.2) */
	if (sample->frozen && !(step.becomes_lead && sample->lead == NULL))
		return true;
	if (!step.becomes_lead && step.slot == Reservoir::kDrop)
		return true; /* nothing kept: memory unchanged */

	MemoryContext old = MemoryContextSwitchTo(sample->rows_cxt);

	if (step.becomes_lead)
	{
		if (sample->lead != NULL)
		{
			if (step.slot != Reservoir::kDrop)
				hold(sample, step.slot, sample->lead, sample->lead_index);
			else
				pfree(sample->lead);
		}
		sample->lead = ExecCopySlotMinimalTuple(slot);
		sample->lead_index = index;
	}
	else if (step.slot != Reservoir::kDrop)
		hold(sample, step.slot, ExecCopySlotMinimalTuple(slot), index);
	MemoryContextSwitchTo(old);

	if (held_memory(sample) > sample->memory_limit)
	{
		if (sample->picker.holds_everything())
			return false;
		sample->frozen = true;
	}
	return true;
}

void
row_sample_drain(RowSample *sample, RowBuffer *buffer, Rng &rng)
{
	Assert(sample->picker.holds_everything());
	uint64 nrows = sample->picker.rows();
	MinimalTuple *by_index = (MinimalTuple *) palloc0((Size) nrows * sizeof(MinimalTuple));

	/* nothing was dropped: the slots and the lead hold rows 0..n-1 */
	for (int64 slot = 0; slot < sample->k - 1 && sample->held[slot] != NULL; slot++)
		by_index[sample->held_index[slot]] = sample->held[slot];
	if (sample->lead != NULL)
		by_index[sample->lead_index] = sample->lead;
	for (uint64 i = 0; i < nrows; i++)
	{
		if (by_index[i] == NULL)
			elog(ERROR, "unorder_rows: LIMIT sample lost row " UINT64_FORMAT, i);
		ExecStoreMinimalTuple(by_index[i], sample->probe_slot, false);
		row_buffer_add(buffer, sample->probe_slot, NULL, rng);
	}
	ExecClearTuple(sample->probe_slot);
	pfree(by_index);
	sample->peak_memory = Max(sample->peak_memory, held_memory(sample));
	MemoryContextReset(sample->rows_cxt);
	sample->held = NULL;
	sample->lead = NULL;
}

void
row_sample_finish(RowSample *sample, Rng &rng)
{
	sample->norder = sample->picker.emit_order(sample->order, rng);
	sample->emit_pos = 0;
	sample->peak_memory = Max(sample->peak_memory, held_memory(sample));
}

bool
row_sample_next(RowSample *sample, TupleTableSlot *out)
{
	if (sample->emit_pos >= sample->norder)
		return false;

	int32 source = sample->order[sample->emit_pos++];

	if (source == core::kEmitFirst)
	{
		copy_slot_to_virtual(sample->first_slot, out);
		return true;
	}
	MinimalTuple row = source == core::kEmitLead ? sample->lead : sample->held[source];

	ExecStoreMinimalTuple(row, sample->probe_slot, false);
	copy_slot_to_virtual(sample->probe_slot, out);
	return true;
}

uint64
row_sample_rows(const RowSample *sample)
{
	return sample->picker.rows();
}

int64
row_sample_peak_memory_kb(const RowSample *sample)
{
	Size memory = Max(sample->peak_memory, held_memory(sample));

	return (int64) ((memory + 1023) / 1024);
}
