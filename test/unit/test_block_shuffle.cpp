/*
 * test_block_shuffle.cpp
 *		Tests of core/block_shuffle.hpp: the walk of a perturbed heap scan
 *		(block order x in-block order) and the first-row guard keep the
 *		guarantee of docs/order-contract.md §5.2 whatever rows are live, every
 *		block can come first, and a walk is a permutation that a rescan repeats.
 */
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "core/block_shuffle.hpp"

using unorder_rows::core::BlockOrder;
using unorder_rows::core::BlockWalk;
using unorder_rows::core::BlockWalker;
using unorder_rows::core::emit_second_first;
using unorder_rows::core::in_block_order;
using unorder_rows::core::plain_position;

namespace
{

/*
 * What a scan over a table emits: blocks with the given numbers of line
 * pointers, live[k] telling whether the k-th line pointer in plain order
 * holds a row that is visible and passes the quals (dead tuples, unused
 * line pointers and filtered rows are all "not live").
 */
std::vector<uint64_t>
scan(BlockWalker &walker, const std::vector<uint32_t> &line_pointers, const std::vector<bool> &live,
	 BlockWalk walk, uint64_t seed)
{
	std::vector<uint64_t> first_index(line_pointers.size(), 0);
	uint64_t total = 0;

	for (size_t b = 0; b < line_pointers.size(); b++)
	{
		first_index[b] = total;
		total += line_pointers[b];
	}
	walker.start(line_pointers.size(), walk, seed);

	std::vector<uint64_t> found;
	uint64_t block = 0;

	while (walker.next_block(&block))
	{
		uint32_t offset;

		while ((offset = walker.next_offset(line_pointers[block])) != 0)
			if (live[first_index[block] + offset - 1])
				found.push_back(plain_position(block, offset));
	}
	if (walk != BlockWalk::Plain && found.size() >= 2 && emit_second_first(found[0], found[1]))
		std::swap(found[0], found[1]);
	return found;
}

/* The plain scan's live rows, in its order. */
std::vector<uint64_t>
plain_rows(const std::vector<uint32_t> &line_pointers, const std::vector<bool> &live)
{
	std::vector<uint64_t> rows;
	uint64_t k = 0;

	for (size_t b = 0; b < line_pointers.size(); b++)
		for (uint32_t o = 1; o <= line_pointers[b]; o++)
			if (live[k++])
				rows.push_back(plain_position(b, o));
	return rows;
}

} // namespace

TEST_CASE("block walk: the first row is never the plain scan's first (§5.2), whatever rows are live",
		  "[block_shuffle]")
{
	auto walker = std::make_unique<BlockWalker>();

	for (BlockWalk walk : {BlockWalk::Shuffle, BlockWalk::Reverse})
		for (uint32_t nblocks = 1; nblocks <= 3; nblocks++)
		{
			uint32_t combos = 1;

			for (uint32_t b = 0; b < nblocks; b++)
				combos *= 4;
			for (uint32_t combo = 0; combo < combos; combo++)
			{
				std::vector<uint32_t> line_pointers;
				uint32_t total = 0;

				for (uint32_t b = 0, c = combo; b < nblocks; b++, c /= 4)
				{
					line_pointers.push_back(c % 4); /* 0..3 line pointers, empty blocks included */
					total += c % 4;
				}
				for (uint32_t mask = 0; mask < (1u << total); mask++)
				{
					std::vector<bool> live(total);

					for (uint32_t k = 0; k < total; k++)
						live[k] = (mask >> k) & 1;

					std::vector<uint64_t> plain = plain_rows(line_pointers, live);

					for (uint64_t seed = 1; seed <= (walk == BlockWalk::Shuffle ? 12 : 1); seed++)
					{
						std::vector<uint64_t> emitted = scan(*walker, line_pointers, live, walk, seed);
						std::vector<uint64_t> sorted = emitted;

						std::sort(sorted.begin(), sorted.end());
						INFO("blocks " << nblocks << " combo " << combo << " live mask " << mask << " seed "
									   << seed);
						REQUIRE(sorted == plain); /* the same rows, each once */
						if (plain.size() >= 2)
							REQUIRE(emitted[0] != plain[0]);
					}
				}
			}
		}
}

TEST_CASE("block walk: with the switch off it is the plain scan's order", "[block_shuffle]")
{
	auto walker = std::make_unique<BlockWalker>();
	std::vector<uint32_t> line_pointers = {3, 0, 5, 1};
	std::vector<bool> live(9, true);

	live[4] = false;
	REQUIRE(scan(*walker, line_pointers, live, BlockWalk::Plain, 7) == plain_rows(line_pointers, live));
}

TEST_CASE("block walk: every block can come first, and can hold the first row emitted", "[block_shuffle]")
{
	auto walker = std::make_unique<BlockWalker>();

	for (uint64_t nblocks = 1; nblocks <= 12; nblocks++)
	{
		std::set<uint64_t> first_blocks;
		std::set<uint64_t> first_row_blocks;
		std::vector<uint32_t> line_pointers(nblocks, 2);
		std::vector<bool> live(nblocks * 2, true);

		for (uint64_t seed = 1; seed <= 3000; seed++)
		{
			uint64_t block = 0;

			walker->start(nblocks, BlockWalk::Shuffle, seed);
			REQUIRE(walker->next_block(&block));
			first_blocks.insert(block);
			first_row_blocks.insert(scan(*walker, line_pointers, live, BlockWalk::Shuffle, seed)[0] >> 16);
		}
		INFO("blocks " << nblocks);
		CHECK(first_blocks.size() == nblocks);
		CHECK(first_row_blocks.size() == nblocks);
	}
}

TEST_CASE("block order: a permutation of the blocks, the same for the same seed", "[block_shuffle]")
{
	for (uint64_t nblocks : {1, 2, 3, 4, 6, 12, 30, 97, 256, 1000})
		for (uint64_t seed = 1; seed <= 20; seed++)
			for (BlockWalk walk : {BlockWalk::Plain, BlockWalk::Shuffle, BlockWalk::Reverse})
			{
				BlockOrder order, again;

				order.init(nblocks, walk, seed);
				again.init(nblocks, walk, seed);

				std::vector<bool> seen(nblocks, false);

				for (uint64_t i = 0; i < nblocks; i++)
				{
					uint64_t b = order.at(i);

					REQUIRE(b < nblocks);
					REQUIRE_FALSE(seen[b]);
					seen[b] = true;
					REQUIRE(again.at(i) == b);
					if (walk == BlockWalk::Plain)
						REQUIRE(b == i);
					if (walk == BlockWalk::Reverse)
						REQUIRE(b == nblocks - 1 - i);
				}
			}
}

TEST_CASE("in-block order: a permutation of 1..count that depends on seed and block only", "[block_shuffle]")
{
	std::vector<uint16_t> a(300), b(300);

	for (uint32_t count : {1u, 2u, 3u, 10u, 291u})
		for (uint64_t block = 0; block < 5; block++)
		{
			in_block_order(a.data(), count, BlockWalk::Shuffle, 42, block);
			in_block_order(b.data(), count, BlockWalk::Shuffle, 42, block);

			std::vector<uint16_t> sorted(a.begin(), a.begin() + count);

			std::sort(sorted.begin(), sorted.end());
			for (uint32_t i = 0; i < count; i++)
				REQUIRE(sorted[i] == i + 1);
			REQUIRE(std::equal(a.begin(), a.begin() + count, b.begin()));
		}
	/* different blocks get different orders (291! makes a collision all but impossible) */
	in_block_order(a.data(), 291, BlockWalk::Shuffle, 42, 0);
	in_block_order(b.data(), 291, BlockWalk::Shuffle, 42, 1);
	CHECK_FALSE(std::equal(a.begin(), a.begin() + 291, b.begin()));
}

TEST_CASE("block walk: a rewound walk repeats the same order (rescans)", "[block_shuffle]")
{
	auto walker = std::make_unique<BlockWalker>();
	std::vector<uint32_t> line_pointers = {4, 0, 7, 3, 5, 2};
	std::vector<bool> live(21, true);
	std::vector<uint64_t> first = scan(*walker, line_pointers, live, BlockWalk::Shuffle, 99);
	std::vector<uint64_t> again;
	uint64_t block = 0;

	walker->rewind();
	while (walker->next_block(&block))
	{
		uint32_t offset;

		while ((offset = walker->next_offset(line_pointers[block])) != 0)
			again.push_back(plain_position(block, offset));
	}
	if (emit_second_first(again[0], again[1])) /* the guard, as scan() applies it */
		std::swap(again[0], again[1]);
	REQUIRE(again == first);
	CHECK(first != plain_rows(line_pointers, live));
}
