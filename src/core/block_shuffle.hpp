/*
 * block_shuffle.hpp
 *		The order in which a perturbed heap scan visits a table: blocks in a
 *		seeded order, each block's rows in a seeded shuffled order.
 *
 * A plain heap scan returns rows by (block, offset), ascending.  The
 * perturbed scan (block_scan.cpp) streams instead of buffering: it visits
 * the blocks in the order of a seeded hash of their numbers (up to
 * kMaxKeyedBlocks; beyond, start, start + stride, ... mod the block count,
 * stride coprime to it, as contrib's tsm_system_rows does), and within each
 * block its items (visible rows, or line pointers) in a shuffled order that
 * depends only on the seed, the block and their number, so that a rescan
 * visits everything in the same order again (BlockOrder, BlockWalker).
 *
 * Which rows are visible and pass the scan's quals is not known in advance,
 * so no order of positions alone can keep docs/order-contract.md §5.2 (the
 * first row emitted differs from the plain scan's first whenever any row
 * does): the block visited first may hold the plain scan's first row as its
 * only live one, and other rows may look exactly like it.  FirstRowGuard
 * does it at run time, comparing rows with the plain scan's first.
 *
 * Pure C++17: no PostgreSQL header, no allocation, no exceptions.
 */
#ifndef UNORDER_ROWS_CORE_BLOCK_SHUFFLE_HPP
#define UNORDER_ROWS_CORE_BLOCK_SHUFFLE_HPP

#include <algorithm>
#include <cstdint>
#include <functional>
#include <numeric>

#include "core/permutation.hpp"
#include "core/prng.hpp"

namespace unorder_rows::core
{

/* How a block scan walks the table. */
enum class BlockWalk
{
	Plain,   /* the plain scan's order (the switch is off) */
	Shuffle, /* seeded start and stride, shuffled offsets */
	Reverse  /* last block first, offsets descending */
};

/* At least as many line pointers as any heap page holds (MaxOffsetNumber of 32 kB pages: 32768 / 4). */
constexpr uint32_t kMaxOffsetsPerBlock = 8192;

/* A per-block seed: the scan's seed mixed with the block number. */
inline uint64_t
block_seed(uint64_t seed, uint64_t block)
{
	uint64_t state = seed ^ (block * 0xd1342543de82ef95ULL);
	return splitmix64(state);
}

/* Up to this many blocks (512 MB of 8 kB pages) the order is by a hash of each block (BlockOrder). */
constexpr uint64_t kMaxKeyedBlocks = 65536;

/*
 * BlockOrder: the i-th block visited, for i in [0, nblocks): a permutation of
 * the blocks, every block equally likely to come first in shuffle mode.
 *
 * With room for one 64-bit entry per block (scratch, up to kMaxKeyedBlocks),
 * blocks go in the order of a seeded hash of their numbers: their relative
 * order does not depend on how many blocks follow, so a table that holds
 * the same rows with fewer or more blocks of dead rows at its end (a replay
 * in a fresh database) is walked the same way.  The entries (hash in the
 * high half, block number in the low half) form a min-heap built in linear
 * time and popped as the walk goes, so a LIMIT that stops after a block or
 * two pays no sort.  Beyond that, a seeded start and a stride coprime to the
 * block count (as contrib's tsm_system_rows), in constant memory.
 */
class BlockOrder
{
public:
	void init(uint64_t nblocks, BlockWalk walk, uint64_t seed, uint64_t *scratch = nullptr,
			  uint64_t scratch_capacity = 0)
	{
		n_ = nblocks;
		start_ = 0;
		stride_ = 1;
		keyed_ = nullptr;
		popped_ = 0;
		if (n_ < 2 || walk == BlockWalk::Plain)
			return;
		if (walk == BlockWalk::Shuffle && scratch != nullptr && n_ <= scratch_capacity &&
			n_ <= kMaxKeyedBlocks)
		{
			for (uint64_t b = 0; b < n_; b++)
				scratch[b] = (block_seed(seed ^ 0x5bd1e995ULL, b) & 0xffffffff00000000ULL) | b;
			std::make_heap(scratch, scratch + n_, std::greater<uint64_t>());
			keyed_ = scratch;
			return;
		}
		if (walk == BlockWalk::Reverse)
		{
			start_ = n_ - 1;
			stride_ = n_ - 1; /* -1 mod n: coprime to n */
			return;
		}
		Rng rng(seed);
		start_ = rng.below(n_);
		stride_ = 1 + rng.below(n_ - 1);
		while (std::gcd(stride_, n_) != 1)
			stride_ = stride_ + 1 < n_ ? stride_ + 1 : 1;
	}

	uint64_t size() const { return n_; }

	/* The block visited at step i (i < size()). */
	/*
	 * The block visited at step i (i < size()).  In hash order, steps not yet
	 * taken are popped from the heap (the j-th entry popped lands at n - 1 - j,
	 * just past the shrunk heap).
	 */
	uint64_t at(uint64_t i)
	{
		if (keyed_ != nullptr)
		{
			while (popped_ <= i)
			{
				std::pop_heap(keyed_, keyed_ + (n_ - popped_), std::greater<uint64_t>());
				popped_++;
			}
			return keyed_[n_ - 1 - i] & 0xffffffffULL;
		}
		__uint128_t v = static_cast<__uint128_t>(i) * stride_ + start_;
		return static_cast<uint64_t>(v % n_);
	}

private:
	uint64_t n_ = 0;
	uint64_t start_ = 0;
	uint64_t stride_ = 1;
	uint64_t *keyed_ = nullptr; /* hash order: a heap of (hash, block) entries, or null */
	uint64_t popped_ = 0;       /* entries taken from the heap so far */
};

/*
 * in_block_order: offsets[0..count) := 1..count in the order a block's line
 * pointers are visited; depends only on (seed, block), so rescans agree.
 */
inline void
in_block_order(uint16_t *offsets, uint32_t count, BlockWalk walk, uint64_t seed, uint64_t block)
{
	for (uint32_t i = 0; i < count; i++)
		offsets[i] = static_cast<uint16_t>(walk == BlockWalk::Reverse ? count - i : i + 1);
	if (walk != BlockWalk::Shuffle || count < 2)
		return;
	Rng rng(block_seed(seed, block));
	shuffle_range(offsets, 0, count, rng);
}

/*
 * BlockWalker: the position of one scan in the (block order x in-block
 * order) permutation, driven by the two callbacks of a table sample scan:
 * next_block() until it returns false, and for each block next_offset()
 * until it returns 0.  A cursor's scan may also walk backward:
 * prev_block() and prev_offset() step back through the same permutation
 * (the previous block is entered at its last item), so that a walk read in
 * either direction, and turned around anywhere, returns the same rows in
 * mirrored orders, as a heap scan does.
 */
class BlockWalker
{
public:
	/*
	 * Start (or restart) a walk over nblocks blocks; a restart with the same
	 * arguments repeats it.  scratch: room for scratch_capacity block numbers
	 * (see BlockOrder), kept by the caller while the walk lasts.
	 */
	void start(uint64_t nblocks, BlockWalk walk, uint64_t seed, uint64_t *scratch = nullptr,
			   uint64_t scratch_capacity = 0)
	{
		walk_ = walk;
		seed_ = seed;
		order_.init(nblocks, walk, seed, scratch, scratch_capacity);
		visited_ = 0;
		rewind();
	}

	/* Rewind to before the first block, keeping the order (a rescan). */
	void rewind()
	{
		step_ = -1;
		count_ = 0;
		item_ = -1;
		made_ = false;
	}

	/* The next block to visit, entered before its first item; false when every block was visited. */
	bool next_block(uint64_t *block) { return enter(step_ + 1, false, block); }

	/* The block visited before the current one, entered after its last item; false before the first. */
	bool prev_block(uint64_t *block) { return enter(step_ - 1, true, block); }

	/*
	 * The next item (from 1) of the current block, which has count items; 0
	 * when done.  The items are the block's visible rows in offset order
	 * where the caller knows them (then dead rows change nothing), else its
	 * line pointers.
	 */
	uint32_t next_offset(uint32_t maxoffset)
	{
		make_items(maxoffset);
		if (item_ + 1 >= static_cast<int64_t>(count_))
		{
			item_ = count_;
			return 0;
		}
		return offsets_[++item_];
	}

	/* The item before the current one of the current block (see next_offset); 0 before its first. */
	uint32_t prev_offset(uint32_t maxoffset)
	{
		make_items(maxoffset);
		if (item_ <= 0)
		{
			item_ = -1;
			return 0;
		}
		return offsets_[--item_];
	}

	uint64_t blocks() const { return order_.size(); }
	uint64_t blocks_visited() const { return visited_; }

private:
	/* Enter the block at step (before its first item, or after its last); false outside the walk. */
	bool enter(int64_t step, bool from_end, uint64_t *block)
	{
		int64_t n = static_cast<int64_t>(order_.size());

		made_ = false;
		count_ = 0;
		from_end_ = from_end;
		if (step < 0 || step >= n)
		{
			step_ = step < 0 ? -1 : n;
			return false;
		}
		step_ = step;
		if (static_cast<uint64_t>(step) + 1 > visited_)
			visited_ = static_cast<uint64_t>(step) + 1;
		block_ = order_.at(static_cast<uint64_t>(step));
		*block = block_;
		return true;
	}

	/* The current block's items in walk order, at the first request. */
	void make_items(uint32_t maxoffset)
	{
		if (made_)
			return;
		count_ = maxoffset < kMaxOffsetsPerBlock ? maxoffset : kMaxOffsetsPerBlock;
		in_block_order(offsets_, count_, walk_, seed_, block_);
		item_ = from_end_ ? static_cast<int64_t>(count_) : -1;
		made_ = true;
	}

	BlockWalk walk_ = BlockWalk::Plain;
	uint64_t seed_ = 0;
	BlockOrder order_;
	int64_t step_ = -1;    /* the current block's step: -1 before the first, blocks() after the last */
	uint64_t visited_ = 0; /* steps reached so far (EXPLAIN ANALYZE) */
	uint64_t block_ = 0;   /* the current block */
	bool made_ = false;    /* offsets_ holds the current block's items */
	bool from_end_ = false;
	uint32_t count_ = 0; /* items of the current block, once made */
	int64_t item_ = -1;  /* index of the current item: -1 before the first, count_ after the last */
	uint16_t offsets_[kMaxOffsetsPerBlock];
};

/*
 * FirstRowGuard: docs/order-contract.md §5.2 at run time.  The scan looks up
 * the plain scan's first row (a plain forward scan that stops at it) and,
 * while the rows the walk finds cannot be told apart from that row, holds
 * them back; they are all alike, so a count suffices.  The first row that
 * differs goes first, then the held ones, then the rest in walk order; if
 * no row differs, the held ones come out at the end and nothing could tell.
 */
class FirstRowGuard
{
public:
	void reset()
	{
		held_ = 0;
		held_before_settling_ = 0;
		settled_ = false;
	}

	/*
	 * A row the walk found; like_plain_first: it cannot be told apart from the
	 * plain scan's first row.  True: emit it now (then, if it settled the
	 * guard, the held rows); false: it is held back.
	 */
	bool offer(bool like_plain_first)
	{
		if (settled_)
			return true;
		if (like_plain_first)
		{
			held_++;
			return false;
		}
		settled_ = true;
		held_before_settling_ = held_;
		return true;
	}

	/* Take one held row (after the settling row, or at the end of the walk); false when none is left. */
	bool take_held()
	{
		if (held_ == 0)
			return false;
		held_--;
		return true;
	}

	bool settled() const { return settled_; }
	uint64_t held() const { return held_; }

	/*
	 * Where the j-th row emitted (from 1) stands in the walk (from 1), for a
	 * scan that reads the held rows again instead of copying them (a
	 * cursor's: WHERE CURRENT OF needs the real rows): the settling row
	 * first, then the k rows held before it, then the rest in walk order.
	 * Before the guard settles (or if it never does) the walk's own order.
	 */
	uint64_t walk_index(uint64_t j) const
	{
		if (!settled_ || held_before_settling_ == 0 || j > held_before_settling_ + 1)
			return j;
		return j == 1 ? held_before_settling_ + 1 : j - 1;
	}

private:
	uint64_t held_ = 0;
	uint64_t held_before_settling_ = 0; /* k: rows held when the guard settled */
	bool settled_ = false;
};

/* plain_position: a row's place in the plain scan's order (tests and EXPLAIN). */
inline uint64_t
plain_position(uint64_t block, uint32_t offset)
{
	return (block << 16) | offset;
}

} // namespace unorder_rows::core

#endif
