/*
 * permutation.hpp
 *		The permutations unorder_rows applies to a batch of rows.
 *
 * A batch is every row a perturbation node receives (or, for ties, one run of
 * rows equal on the ORDER BY keys).  The guarantee of docs/order-contract.md §5.2: whenever the
 * batch holds a row that differs from its first row, the first row emitted
 * differs from the first row received, so the emitted order can never equal
 * the received one and a test that depends on it fails on the first run.
 *
 * The caller describes the rows only through a predicate telling whether row
 * i differs from row 0; nothing here knows what a row is.  Two ways to apply
 * the same rule are provided:
 *	- order_batch() for batches held in memory: fills a permutation array;
 *	- StreamingLead + rest_sort_key() for batches too large for memory: the
 *	  node holds one "lead" row aside while reading and sorts the rest on a
 *	  key, emitting the lead first.
 * Both give the same distributions: shuffle mode is uniform over every
 * permutation whose first row differs from row 0; reverse mode is the plain
 * reversal, or, when the last row equals row 0, the last row that differs
 * from row 0 followed by the others reversed.
 *
 * Pure C++17: no PostgreSQL header, no allocation, no exceptions.  The
 * predicate may longjmp (PostgreSQL errors); nothing here has a destructor.
 */
#ifndef UNORDER_ROWS_CORE_PERMUTATION_HPP
#define UNORDER_ROWS_CORE_PERMUTATION_HPP

#include <cstdint>

#include "core/prng.hpp"

namespace unorder_rows::core
{

enum class Mode
{
	Shuffle, /* seeded uniform permutation */
	Reverse  /* deterministic reversal */
};

/* Fisher-Yates: shuffle items[from..n) uniformly in place. */
template <typename T>
void
shuffle_range(T *items, uint32_t from, uint32_t n, Rng &rng)
{
	for (uint32_t i = n; i-- > from + 1;)
	{
		uint32_t j = from + static_cast<uint32_t>(rng.below(i - from + 1));
		T tmp = items[i];
		items[i] = items[j];
		items[j] = tmp;
	}
}

/* How many random probes to try before counting the candidates outright. */
constexpr int kLeadProbes = 8;

/*
 * Index of the row to emit first in shuffle mode: uniform among the rows that
 * differ from row 0, or 0 when every row equals row 0 (no constraint then).
 */
template <typename DistinctFromFirst>
uint32_t
choose_shuffle_lead(uint32_t n, Rng &rng, DistinctFromFirst distinct)
{
	if (n < 2)
		return 0;
	/* Rejection sampling is exact and usually succeeds at the first probe. */
	for (int probe = 0; probe < kLeadProbes; probe++)
	{
		uint32_t candidate = 1 + static_cast<uint32_t>(rng.below(n - 1));
		if (distinct(candidate))
			return candidate;
	}
	/* Mostly duplicates of row 0: count the candidates, then pick one. */
	uint32_t count = 0;
	for (uint32_t i = 1; i < n; i++)
		if (distinct(i))
			count++;
	if (count == 0)
		return 0;
	uint32_t pick = static_cast<uint32_t>(rng.below(count));
	for (uint32_t i = 1; i < n; i++)
		if (distinct(i) && pick-- == 0)
			return i;
	return 0; /* not reached */
}

/* Index of the row to emit first in reverse mode (see header comment). */
template <typename DistinctFromFirst>
uint32_t
choose_reverse_lead(uint32_t n, DistinctFromFirst distinct)
{
	for (uint32_t i = n; i-- > 1;)
		if (distinct(i))
			return i;
	return n > 0 ? n - 1 : 0; /* all rows equal: plain reversal */
}

/*
 * Fill perm[0..n) so that perm[k] is the input index of the k-th row to
 * emit.
 */
template <typename DistinctFromFirst>
void
order_batch(Mode mode, uint32_t *perm, uint32_t n, Rng &rng, DistinctFromFirst distinct)
{
	if (n == 0)
		return;
	if (mode == Mode::Reverse)
	{
		uint32_t lead = choose_reverse_lead(n, distinct);
		uint32_t k = 0;
		perm[k++] = lead;
		for (uint32_t i = n; i-- > 0;)
			if (i != lead)
				perm[k++] = i;
		return;
	}

	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	uint32_t lead = choose_shuffle_lead(n, rng, distinct);
	/* With a lead, it goes first and the other n-1 rows are shuffled. */
	uint32_t from = 0;
	if (lead != 0)
	{
		perm[0] = lead;
		perm[lead] = 0;
		from = 1;
	}
	shuffle_range(perm, from, n, rng);
}

/*
 * Streaming form of the lead choice, for batches that do not fit in memory.
 * Offer every row after the first, in input order; when offer() returns
 * true the row becomes the new lead and the previous lead (if any) joins the
 * rest.  Shuffle mode keeps a uniform sample of the distinct rows (reservoir
 * of one); reverse mode keeps the last distinct row.
 */
class StreamingLead
{
public:
	explicit StreamingLead(Mode mode) : mode_(mode) {}

	bool offer(bool distinct_from_first, Rng &rng)
	{
		if (!distinct_from_first)
			return false;
		distinct_seen_++;
		if (mode_ == Mode::Reverse)
			return true;
		return rng.below(distinct_seen_) == 0;
	}

	bool has_lead() const { return distinct_seen_ > 0; }

private:
	Mode mode_;
	uint64_t distinct_seen_ = 0;
};

/*
 * Sort key of a row that is not the lead, for the streaming form: random in
 * shuffle mode, descending input position in reverse mode.  Rows are emitted
 * in ascending key order after the lead.
 */
inline int64_t
rest_sort_key(Mode mode, uint64_t input_index, Rng &rng)
{
	if (mode == Mode::Reverse)
		return INT64_MAX - static_cast<int64_t>(input_index);
	return static_cast<int64_t>(rng.next());
}

} // namespace unorder_rows::core

#endif
