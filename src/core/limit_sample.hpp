/*
 * limit_sample.hpp
 *		The first k rows of a shuffled batch, drawn while streaming.
 *
 * A LIMIT k (plus OFFSET) over an order-free input shows only the first k
 * rows of the permutation a perturbation node would emit.  Those k rows can
 * be drawn with the same distribution as order_batch() gives, while holding
 * only k rows: the lead (a uniform sample of one among the rows that differ
 * from row 0, as StreamingLead keeps it) and a reservoir of k - 1 rows drawn
 * uniformly from all the other rows (Vitter's algorithm R), emitted in a
 * uniform random order after the lead.  Row 0 is also kept aside by the
 * caller, to compare rows with and to emit when every row equals it.
 *
 * Shuffle mode only: reverse mode emits the last rows first, which a
 * reservoir does not give; callers buffer the batch for it.
 *
 * Pure C++17: no PostgreSQL header, no allocation, no exceptions.
 */
#ifndef UNORDER_ROWS_CORE_LIMIT_SAMPLE_HPP
#define UNORDER_ROWS_CORE_LIMIT_SAMPLE_HPP

#include <cstdint>

#include "core/permutation.hpp"
#include "core/prng.hpp"

namespace unorder_rows::core
{

/* Algorithm R: a uniform sample of `capacity` among the items offered. */
class Reservoir
{
public:
	static constexpr int64_t kDrop = -1;

	explicit Reservoir(uint32_t capacity) : capacity_(capacity) {}

	/* The slot the offered item takes (evicting its holder), or kDrop. */
	int64_t offer(Rng &rng)
	{
		uint64_t seen = ++seen_;
		if (seen <= capacity_)
			return static_cast<int64_t>(seen - 1);
		uint64_t slot = rng.below(seen);
		return slot < capacity_ ? static_cast<int64_t>(slot) : kDrop;
	}

	/* Whether every item offered so far is still held (nothing dropped yet). */
	bool holds_everything() const { return seen_ <= capacity_; }

	uint32_t filled() const { return seen_ < capacity_ ? static_cast<uint32_t>(seen_) : capacity_; }
	uint64_t seen() const { return seen_; }

private:
	uint32_t capacity_;
	uint64_t seen_ = 0;
};

/* Where one incoming row goes. */
struct SampleStep
{
	bool becomes_lead; /* the row replaces the lead */
	/*
	 * When becomes_lead: the slot the previous lead moves to (kDrop: it is
	 * dropped, or there was none).  Otherwise: the row's own slot, or kDrop.
	 */
	int64_t slot;
};

/* Source of an emitted row, see LimitSample::emit_order(). */
constexpr int32_t kEmitLead = -1;
constexpr int32_t kEmitFirst = -2;

class LimitSample
{
public:
	/* k >= 1: the number of rows the LIMIT (plus OFFSET) will read. */
	explicit LimitSample(uint32_t k) : rest_(k - 1), lead_(Mode::Shuffle) {}

	/* Row 0 of the batch. */
	SampleStep first(Rng &rng)
	{
		rows_++;
		return SampleStep{false, rest_.offer(rng)};
	}

	/* Every later row, told whether it differs from row 0. */
	SampleStep next(bool distinct_from_first, Rng &rng)
	{
		rows_++;
		if (lead_.offer(distinct_from_first, rng))
		{
			bool had_lead = has_lead_;
			has_lead_ = true;
			return SampleStep{true, had_lead ? rest_.offer(rng) : Reservoir::kDrop};
		}
		return SampleStep{false, rest_.offer(rng)};
	}

	/* Whether no row has been dropped yet (all rows are still held). */
	bool holds_everything() const { return rest_.holds_everything(); }

	/*
	 * Fill order[] (room for k entries) with the rows to emit: kEmitLead,
	 * kEmitFirst or a reservoir slot; returns how many, min(k, rows seen).
	 * The lead comes first; the reservoir follows in uniform random order.
	 * With no lead every row equals row 0, and row 0's copy stands in for
	 * the lead when more rows were seen than the reservoir holds.
	 */
	uint32_t emit_order(int32_t *order, Rng &rng) const
	{
		uint32_t count = 0;
		uint32_t filled = rest_.filled();
		if (has_lead_)
			order[count++] = kEmitLead;
		else if (rows_ > filled)
			order[count++] = kEmitFirst;
		uint32_t from = count;
		for (uint32_t slot = 0; slot < filled; slot++)
			order[count++] = static_cast<int32_t>(slot);
		shuffle_range(order, from, count, rng);
		return count;
	}

	bool has_lead() const { return has_lead_; }
	uint64_t rows() const { return rows_; }

private:
	Reservoir rest_;
	StreamingLead lead_;
	bool has_lead_ = false;
	uint64_t rows_ = 0;
};

} // namespace unorder_rows::core

#endif
