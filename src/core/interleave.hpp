/*
 * interleave.hpp
 *		Merging shuffled runs into one shuffled whole.
 *
 * A batch too large for memory is shuffled in memory-sized chunks, each
 * written out as a run; the runs are then merged by drawing, for every
 * row, the run it comes from with probability (rows left in the run) /
 * (rows left in all runs).  Every interleaving of the runs is then equally
 * likely, and with each run uniformly shuffled, so is the merged order:
 * a uniform permutation read and written sequentially (Rao-Sandelius),
 * without the comparisons of a sort on random keys.
 *
 * RunPicker keeps the counts in a Fenwick tree, so a draw costs O(log n)
 * for n runs.  Storage (n + 1 entries) comes from the caller.
 *
 * Pure C++17: no PostgreSQL header, no allocation, no exceptions.
 */
#ifndef UNORDER_ROWS_CORE_INTERLEAVE_HPP
#define UNORDER_ROWS_CORE_INTERLEAVE_HPP

#include <cstdint>

#include "core/prng.hpp"

namespace unorder_rows::core
{

class RunPicker
{
public:
	/* tree: n + 1 entries, zeroed by the constructor. */
	RunPicker(uint64_t *tree, uint32_t n) : tree_(tree), n_(n)
	{
		for (uint32_t i = 0; i <= n; i++)
			tree_[i] = 0;
		top_bit_ = 1;
		while (top_bit_ * 2 <= n_)
			top_bit_ *= 2;
	}

	/* Run i holds `rows` rows (call once per run before the first pick). */
	void set_rows(uint32_t run, uint64_t rows)
	{
		total_ += rows;
		for (uint32_t i = run + 1; i <= n_; i += i & (~i + 1))
			tree_[i] += rows;
	}

	/* The run the next row comes from (its count drops by one); -1 when all are empty. */
	int64_t pick(Rng &rng)
	{
		if (total_ == 0)
			return -1;
		uint64_t target = rng.below(total_);
		/* smallest run whose prefix sum exceeds target */
		uint32_t pos = 0;
		for (uint32_t step = top_bit_; step > 0; step /= 2)
		{
			uint32_t next = pos + step;
			if (next <= n_ && tree_[next] <= target)
			{
				target -= tree_[next];
				pos = next;
			}
		}
		for (uint32_t i = pos + 1; i <= n_; i += i & (~i + 1))
			tree_[i]--;
		total_--;
		return static_cast<int64_t>(pos);
	}

private:
	uint64_t *tree_;
	uint32_t n_;
	uint32_t top_bit_;
	uint64_t total_ = 0;
};

} // namespace unorder_rows::core

#endif
