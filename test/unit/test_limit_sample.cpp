/*
 * test_limit_sample.cpp
 *		LimitSample: the first k rows of a shuffled batch drawn while
 *		streaming (LIMIT over an order-free input, docs/order-contract.md §3.2).
 *
 * Simulates a node: row i of a batch described by a duplicate mask is fed
 * in input order, slots and lead tracked as input indices, and the emitted
 * prefix checked against what order_batch() would give for its first k rows:
 * min(k, n) different rows, the first one differing from row 0 whenever any
 * row does (§5.2), and every allowed prefix equally likely.
 */
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <vector>

#include "core/limit_sample.hpp"
#include "core/prng.hpp"
#include "test_support.hpp"

using unorder_rows::core::kEmitFirst;
using unorder_rows::core::kEmitLead;
using unorder_rows::core::LimitSample;
using unorder_rows::core::Reservoir;
using unorder_rows::core::Rng;
using unorder_rows::core::SampleStep;
using namespace test_support;

namespace
{

/* Feed rows 0..n-1 of a mask through a LimitSample; the emitted input indices. */
std::vector<uint32_t>
sample_prefix(uint32_t n, uint64_t mask, uint32_t k, Rng &rng)
{
	LimitSample sample(k);
	std::vector<int64_t> slots(k, -1); /* input index held by each reservoir slot */
	int64_t lead = -1;

	for (uint32_t i = 0; i < n; i++)
	{
		SampleStep step = i == 0 ? sample.first(rng) : sample.next((mask >> i) & 1, rng);
		if (step.becomes_lead)
		{
			if (step.slot != Reservoir::kDrop)
				slots.at(step.slot) = lead;
			lead = i;
		}
		else if (step.slot != Reservoir::kDrop)
			slots.at(step.slot) = i;
	}

	std::vector<int32_t> order(k);
	uint32_t count = sample.emit_order(order.data(), rng);
	std::vector<uint32_t> out;
	for (uint32_t e = 0; e < count; e++)
	{
		int32_t source = order[e];
		if (source == kEmitLead)
			out.push_back(static_cast<uint32_t>(lead));
		else if (source == kEmitFirst)
			out.push_back(0);
		else
			out.push_back(static_cast<uint32_t>(slots.at(source)));
	}
	return out;
}

} // namespace

TEST_CASE("reservoir keeps everything until full, then a uniform sample", "[limit_sample]")
{
	Rng rng(7);
	Reservoir reservoir(3);
	for (int64_t i = 0; i < 3; i++)
		CHECK(reservoir.offer(rng) == i);
	CHECK(reservoir.holds_everything());
	CHECK(reservoir.filled() == 3);

	Reservoir none(0);
	CHECK(none.offer(rng) == Reservoir::kDrop);
	CHECK(none.filled() == 0);
}

TEST_CASE("LIMIT sample: min(k, n) different rows, the first not row 0 when any row differs",
		  "[limit_sample]")
{
	for (uint32_t n = 1; n <= 8; n++)
		for (uint64_t m = 0; m < mask_count(n); m++)
		{
			uint64_t mask = m << 1;
			for (uint32_t k = 1; k <= n + 1; k++)
				for (uint64_t seed = 1; seed <= 40; seed++)
				{
					Rng rng(seed * 1000003 + k);
					std::vector<uint32_t> out = sample_prefix(n, mask, k, rng);
					INFO("n=" << n << " rows=" << mask_to_string(mask, n) << " k=" << k << " seed=" << seed
							  << " emitted=" << to_string(out));
					REQUIRE(out.size() == std::min(k, n));
					std::vector<bool> seen(n, false);
					for (uint32_t row : out)
					{
						REQUIRE(row < n);
						/* all rows equal to row 0 may stand in for each other */
						if (mask != 0)
							REQUIRE_FALSE(seen[row]);
						seen[row] = true;
					}
					if (mask != 0)
						REQUIRE(((mask >> out[0]) & 1) == 1);
				}
		}
}

TEST_CASE("LIMIT sample: every allowed prefix equally likely (chi-square)", "[limit_sample]")
{
	struct Case
	{
		uint32_t n;
		uint64_t mask;
		uint32_t k;
	};
	/* all distinct; duplicates of row 0; k = 1; k = n */
	const Case cases[] = {{5, all_distinct_mask(5), 2},
						  {6, 0b101010, 3},
						  {7, 0b1010010, 1},
						  {4, all_distinct_mask(4), 4},
						  {6, 0b000110, 2}};

	for (const Case &c : cases)
	{
		/* allowed prefixes: ordered, no repeats, the first one differs from row 0 */
		std::map<std::vector<uint32_t>, uint64_t> counts;
		std::vector<uint32_t> prefix;
		auto enumerate = [&](auto &&self) -> void
		{
			if (prefix.size() == c.k)
			{
				counts[prefix] = 0;
				return;
			}
			for (uint32_t i = 0; i < c.n; i++)
			{
				bool used = false;
				for (uint32_t p : prefix)
					used = used || p == i;
				if (used || (prefix.empty() && !((c.mask >> i) & 1)))
					continue;
				prefix.push_back(i);
				self(self);
				prefix.pop_back();
			}
		};
		enumerate(enumerate);

		const uint64_t draws = 400 * counts.size();
		Rng rng(0x5eed + c.n * 31 + c.k);
		for (uint64_t d = 0; d < draws; d++)
		{
			std::vector<uint32_t> out = sample_prefix(c.n, c.mask, c.k, rng);
			auto it = counts.find(out);
			INFO("n=" << c.n << " rows=" << mask_to_string(c.mask, c.n) << " emitted=" << to_string(out));
			REQUIRE(it != counts.end());
			it->second++;
		}
		std::vector<uint64_t> observed;
		for (const auto &entry : counts)
			observed.push_back(entry.second);
		INFO("n=" << c.n << " rows=" << mask_to_string(c.mask, c.n) << " k=" << c.k
				  << " prefixes=" << observed.size());
		CHECK(chi_square_uniform(observed) <
			  chi_square_critical_p001(static_cast<uint32_t>(observed.size() - 1)));
	}
}
