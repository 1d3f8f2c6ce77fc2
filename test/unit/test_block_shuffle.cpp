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
using unorder_rows::core::FirstRowGuard;
using unorder_rows::core::in_block_order;
using unorder_rows::core::plain_position;

namespace
{

/* A table in the tests: blocks with so many line pointers; per line pointer in plain order, whether it
 * holds a live row (visible, passing the quals) and that row's value (rows with equal values cannot be
 * told apart). */
struct Table
{
	std::vector<uint32_t> line_pointers;
	std::vector<bool> live;
	std::vector<int> value;

	uint64_t index(uint64_t block, uint32_t offset) const
	{
		uint64_t k = 0;

		for (uint64_t b = 0; b < block; b++)
			k += line_pointers[b];
		return k + offset - 1;
	}
};

/* The plain scan's live rows (their positions), in its order. */
std::vector<uint64_t>
plain_rows(const Table &table)
{
	std::vector<uint64_t> rows;

	for (size_t b = 0; b < table.line_pointers.size(); b++)
		for (uint32_t o = 1; o <= table.line_pointers[b]; o++)
			if (table.live[table.index(b, o)])
				rows.push_back(plain_position(b, o));
	return rows;
}

/* The walk's live rows, in its order, without the guard; keyed: with room for a hash order of the blocks. */
std::vector<uint64_t>
walk_rows(BlockWalker &walker, const Table &table, BlockWalk walk, uint64_t seed, bool keyed = true)
{
	std::vector<uint64_t> found;
	std::vector<uint64_t> scratch(table.line_pointers.size() + 1);
	uint64_t block = 0;

	walker.start(table.line_pointers.size(), walk, seed, keyed ? scratch.data() : nullptr, scratch.size());
	while (walker.next_block(&block))
	{
		uint32_t offset;

		while ((offset = walker.next_offset(table.line_pointers[block])) != 0)
			if (table.live[table.index(block, offset)])
				found.push_back(plain_position(block, offset));
	}
	return found;
}

/* The values a block scan emits: the walk's rows through the first-row guard, as block_scan.cpp does. */
std::vector<int>
scan(BlockWalker &walker, const Table &table, BlockWalk walk, uint64_t seed, bool keyed = true)
{
	std::vector<uint64_t> plain = plain_rows(table);
	std::vector<int> emitted;
	FirstRowGuard guard;
	auto value_at = [&](uint64_t position)
	{ return table.value[table.index(position >> 16, position & 0xffff)]; };

	for (uint64_t position : walk_rows(walker, table, walk, seed, keyed))
	{
		int value = value_at(position);

		if (walk == BlockWalk::Plain)
			emitted.push_back(value);
		else if (guard.offer(value == value_at(plain[0])))
		{
			emitted.push_back(value);
			while (guard.take_held())
				emitted.push_back(value_at(plain[0]));
		}
	}
	while (guard.take_held())
		emitted.push_back(value_at(plain[0]));
	return emitted;
}

} // namespace

TEST_CASE("block walk: the first row differs from the plain scan's first whenever any row does (§5.2)",
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
				Table table;
				uint32_t total = 0;

				for (uint32_t b = 0, c = combo; b < nblocks; b++, c /= 4)
				{
					table.line_pointers.push_back(c % 4); /* 0..3 line pointers, empty blocks included */
					total += c % 4;
				}
				/* every pattern of live rows, and of values 0/1 (duplicates of the first row included) */
				for (uint32_t mask = 0; mask < (1u << total); mask++)
					for (uint32_t values = 0; values < (1u << total); values++)
					{
						table.live.assign(total, false);
						table.value.assign(total, 0);
						for (uint32_t k = 0; k < total; k++)
						{
							table.live[k] = (mask >> k) & 1;
							table.value[k] = (values >> k) & 1;
						}

						std::vector<int> plain;

						for (uint64_t position : plain_rows(table))
							plain.push_back(table.value[table.index(position >> 16, position & 0xffff)]);

						bool any_differs =
							std::any_of(plain.begin(), plain.end(), [&](int v) { return v != plain[0]; });

						for (uint64_t seed = 1; seed <= (walk == BlockWalk::Shuffle ? 4 : 1); seed++)
						{
							std::vector<int> emitted = scan(*walker, table, walk, seed, seed % 2 == 0);
							std::vector<int> a = emitted, b = plain;

							std::sort(a.begin(), a.end());
							std::sort(b.begin(), b.end());
							INFO("blocks " << nblocks << " combo " << combo << " live " << mask << " values "
										   << values << " seed " << seed);
							REQUIRE(a == b); /* the same rows */
							if (any_differs)
								REQUIRE(emitted[0] != plain[0]);
						}
					}
			}
		}
}

TEST_CASE("block walk: with the switch off it is the plain scan's order", "[block_shuffle]")
{
	auto walker = std::make_unique<BlockWalker>();
	Table table{{3, 0, 5, 1}, std::vector<bool>(9, true), {}};

	table.live[4] = false;
	REQUIRE(walk_rows(*walker, table, BlockWalk::Plain, 7) == plain_rows(table));
}

TEST_CASE("block walk: every block can come first, and can hold the first row emitted", "[block_shuffle]")
{
	auto walker = std::make_unique<BlockWalker>();

	for (uint64_t nblocks = 1; nblocks <= 12; nblocks++)
	{
		std::set<uint64_t> first_blocks;
		std::set<uint64_t> first_row_blocks;
		Table table{std::vector<uint32_t>(nblocks, 2), std::vector<bool>(nblocks * 2, true), {}};

		for (uint64_t k = 0; k < nblocks * 2; k++)
			table.value.push_back(static_cast<int>(k)); /* all different: the value names the row */

		std::vector<uint64_t> scratch(nblocks);

		for (uint64_t seed = 1; seed <= 3000; seed++)
		{
			uint64_t block = 0;
			bool keyed = seed % 2 == 0; /* both ways of ordering the blocks */

			walker->start(nblocks, BlockWalk::Shuffle, seed, keyed ? scratch.data() : nullptr, nblocks);
			REQUIRE(walker->next_block(&block));
			first_blocks.insert(block);
			first_row_blocks.insert(
				static_cast<uint64_t>(scan(*walker, table, BlockWalk::Shuffle, seed, keyed)[0]) / 2);
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
				std::vector<uint64_t> scratch(nblocks), scratch_again(nblocks);
				bool keyed = seed % 2 == 0;

				order.init(nblocks, walk, seed, keyed ? scratch.data() : nullptr, nblocks);
				again.init(nblocks, walk, seed, keyed ? scratch_again.data() : nullptr, nblocks);

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
	Table table{{4, 0, 7, 3, 5, 2}, std::vector<bool>(21, true), {}};
	std::vector<uint64_t> scratch(6); /* kept while the walk lasts, as block_scan.cpp does */
	std::vector<uint64_t> walks[2];

	walker->start(6, BlockWalk::Shuffle, 99, scratch.data(), scratch.size());
	for (auto &rows : walks)
	{
		uint64_t block = 0;

		while (walker->next_block(&block))
		{
			uint32_t offset;

			while ((offset = walker->next_offset(table.line_pointers[block])) != 0)
				rows.push_back(plain_position(block, offset));
		}
		walker->rewind();
	}
	REQUIRE(walks[0] == walks[1]);
	REQUIRE(walks[0] == walk_rows(*walker, table, BlockWalk::Shuffle, 99));
	CHECK(walks[0] != plain_rows(table));
}

TEST_CASE("block order by hash: blocks added at the end do not change the order of the others",
		  "[block_shuffle]")
{
	for (uint64_t seed = 1; seed <= 50; seed++)
		for (uint64_t nblocks : {2, 3, 7, 40})
		{
			std::vector<uint64_t> small(nblocks), large(nblocks + 5);
			BlockOrder a, b;
			std::vector<uint64_t> from_small, from_large;

			a.init(nblocks, BlockWalk::Shuffle, seed, small.data(), small.size());
			b.init(nblocks + 5, BlockWalk::Shuffle, seed, large.data(), large.size());
			for (uint64_t i = 0; i < nblocks; i++)
				from_small.push_back(a.at(i));
			for (uint64_t i = 0; i < nblocks + 5; i++)
				if (b.at(i) < nblocks)
					from_large.push_back(b.at(i));
			REQUIRE(from_small == from_large);
		}
}

namespace
{

/*
 * One step of a walk over a table's live rows, as a cursor's block scan takes
 * it (block_scan.cpp, step_walk): forward or backward to the next live row,
 * moving to the next or previous block at a block's end; 0 at either end.
 */
uint64_t
step(BlockWalker &walker, const Table &table, bool backward, bool &have_block, uint64_t &block)
{
	for (;;)
	{
		if (!have_block)
		{
			if (!(backward ? walker.prev_block(&block) : walker.next_block(&block)))
				return 0;
			have_block = true;
		}

		uint32_t offset = backward ? walker.prev_offset(table.line_pointers[block])
								   : walker.next_offset(table.line_pointers[block]);

		if (offset == 0)
			have_block = false;
		else if (table.live[table.index(block, offset)])
			return plain_position(block, offset) + 1; /* + 1: never 0 */
	}
}

} // namespace

TEST_CASE("block walk: read backward from anywhere, the rows come in the mirrored order (cursors)",
		  "[block_shuffle]")
{
	auto walker = std::make_unique<BlockWalker>();
	Table table{{4, 0, 7, 3, 5, 2, 1}, std::vector<bool>(22, true), {}};

	table.live[2] = table.live[9] = table.live[21] = false; /* the last block holds no live row */
	for (uint64_t seed = 1; seed <= 6; seed++)
		for (BlockWalk walk : {BlockWalk::Plain, BlockWalk::Shuffle, BlockWalk::Reverse})
		{
			std::vector<uint64_t> forward = walk_rows(*walker, table, walk, seed, seed % 2 == 0);
			std::vector<uint64_t> scratch(8);

			/* forward to the turn-th row (past the end for the last turn), then back to the start */
			for (size_t turn = 0; turn <= forward.size() + 1; turn++)
			{
				bool have_block = false;
				uint64_t block = 0;
				size_t taken = 0;

				walker->start(table.line_pointers.size(), walk, seed,
							  seed % 2 == 0 ? scratch.data() : nullptr, scratch.size());
				for (size_t i = 0; i < turn; i++)
				{
					uint64_t row = step(*walker, table, false, have_block, block);

					if (row == 0)
						break;
					REQUIRE(row - 1 == forward[i]);
					taken++;
				}

				std::vector<uint64_t> back;
				uint64_t row;

				while ((row = step(*walker, table, true, have_block, block)) != 0)
					back.push_back(row - 1);
				INFO("walk " << static_cast<int>(walk) << " seed " << seed << " turn " << turn);
				/* on the turn-th row, the way back starts with the one before it; past the end, with the last
				 */
				size_t expect = turn > forward.size() ? forward.size() : (taken == 0 ? 0 : taken - 1);
				REQUIRE(back.size() == expect);
				for (size_t i = 0; i < back.size(); i++)
					REQUIRE(back[i] == forward[expect - 1 - i]);
				/* and forward again from before the start: the same walk */
				for (size_t i = 0; i < forward.size(); i++)
					REQUIRE(step(*walker, table, false, have_block, block) - 1 == forward[i]);
				REQUIRE(step(*walker, table, false, have_block, block) == 0);
			}
		}
}

TEST_CASE("first-row guard: reading held rows again by their walk position emits what copying them does",
		  "[block_shuffle]")
{
	/* values of the walk's rows; 0 is the plain scan's first row's value */
	for (uint32_t n = 0; n <= 10; n++)
		for (uint32_t values = 0; values < (1u << n); values++)
		{
			std::vector<int> walk;
			FirstRowGuard copying, reading;
			std::vector<int> copied, read;

			for (uint32_t i = 0; i < n; i++)
				walk.push_back((values >> i) & 1);
			for (int v : walk)
				if (copying.offer(v == 0))
				{
					copied.push_back(v);
					while (copying.take_held())
						copied.push_back(0);
				}
			while (copying.take_held())
				copied.push_back(0);
			/* a cursor's scan: offers rows until the guard settles, then emits by position */
			for (int v : walk)
				if (reading.offer(v == 0))
					break;

			std::vector<bool> used(n, false);

			for (uint64_t j = 1; j <= n; j++)
			{
				uint64_t w = reading.walk_index(j);

				REQUIRE(w >= 1);
				REQUIRE(w <= n);
				REQUIRE_FALSE(used[w - 1]); /* each row once */
				used[w - 1] = true;
				read.push_back(walk[w - 1]);
			}
			INFO("rows " << n << " values " << values);
			REQUIRE(read == copied);
			REQUIRE(reading.walk_index(n + 1) == n + 1); /* past the end stays past the end */
		}
}
