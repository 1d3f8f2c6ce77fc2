/*
 * test_interleave.cpp
 *		RunPicker: merging shuffled runs (the spill path of a large batch).
 */
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "core/interleave.hpp"
#include "core/prng.hpp"
#include "test_support.hpp"

using unorder_rows::core::Rng;
using unorder_rows::core::RunPicker;
using namespace test_support;

namespace
{

/* The sequence of runs a picker draws for runs of the given sizes. */
std::string
draw_sequence(const std::vector<uint64_t> &sizes, Rng &rng)
{
	std::vector<uint64_t> tree(sizes.size() + 1);
	RunPicker picker(tree.data(), static_cast<uint32_t>(sizes.size()));
	for (uint32_t r = 0; r < sizes.size(); r++)
		picker.set_rows(r, sizes[r]);
	std::string sequence;
	for (int64_t run; (run = picker.pick(rng)) >= 0;)
		sequence += static_cast<char>('a' + run);
	return sequence;
}

} // namespace

TEST_CASE("run picker: every row of every run exactly once", "[interleave]")
{
	const std::vector<std::vector<uint64_t>> cases = {
		{1}, {0, 3}, {5, 0, 0, 2}, {1, 1, 1, 1, 1, 1, 1}, {7, 3, 9, 1, 4}, {0, 0}, {}};
	for (const auto &sizes : cases)
		for (uint64_t seed = 1; seed <= 200; seed++)
		{
			Rng rng(seed);
			std::string sequence = draw_sequence(sizes, rng);
			std::vector<uint64_t> seen(sizes.size(), 0);
			for (char c : sequence)
			{
				REQUIRE(c >= 'a');
				REQUIRE(static_cast<size_t>(c - 'a') < sizes.size());
				seen[c - 'a']++;
			}
			REQUIRE(seen == sizes);
		}
}

TEST_CASE("run picker: every interleaving equally likely (chi-square)", "[interleave]")
{
	/* 3 runs of 2, 1 and 2 rows: 5! / (2! 1! 2!) = 30 interleavings */
	const std::vector<std::vector<uint64_t>> cases = {{2, 1, 2}, {3, 3}, {1, 4, 0, 1}};
	for (const auto &sizes : cases)
	{
		std::map<std::string, uint64_t> counts;
		Rng rng(0xfeed + sizes.size());
		const int draws = 60000;
		for (int d = 0; d < draws; d++)
			counts[draw_sequence(sizes, rng)]++;

		uint64_t total = 0;
		for (uint64_t s : sizes)
			total += s;
		uint64_t expected_count = factorial(static_cast<uint32_t>(total));
		for (uint64_t s : sizes)
			expected_count /= factorial(static_cast<uint32_t>(s));
		INFO("interleavings seen " << counts.size() << " of " << expected_count);
		REQUIRE(counts.size() == expected_count);

		std::vector<uint64_t> observed;
		for (const auto &entry : counts)
			observed.push_back(entry.second);
		CHECK(chi_square_uniform(observed) <
			  chi_square_critical_p001(static_cast<uint32_t>(observed.size() - 1)));
	}
}
