/*
 * test_streaming.cpp
 *		Tests of rows processed as a stream:
 *		- run-wise ordering (ties, docs/order-contract.md §3.3): a stream of runs, each run
 *		  permuted by order_batch() with one generator carried across runs;
 *		- the spill path: StreamingLead + rest_sort_key(), simulated the way a
 *		  node that does not hold the batch in memory uses them.
 */
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "core/permutation.hpp"
#include "core/prng.hpp"
#include "test_support.hpp"

using unorder_rows::core::Mode;
using unorder_rows::core::order_batch;
using unorder_rows::core::rest_sort_key;
using unorder_rows::core::Rng;
using unorder_rows::core::StreamingLead;
using namespace test_support;

namespace
{

const char *
mode_name(Mode mode)
{
	return mode == Mode::Shuffle ? "shuffle" : "reverse";
}

/* ------------------------------------------------------------ run-wise */

struct Run
{
	uint32_t size;
	uint64_t mask; /* distinct-from-first pattern inside the run */
};

/*
 * Emit a stream of runs: the rows of each run (global indices) in the order
 * order_batch() gives for that run, one generator for the whole stream.
 */
std::vector<uint32_t>
order_runs(Mode mode, const std::vector<Run> &runs, Rng &rng, uint32_t &bad_calls)
{
	std::vector<uint32_t> out;
	uint32_t start = 0;
	std::vector<uint32_t> perm;
	for (const Run &run : runs)
	{
		perm.assign(run.size, 0xdeadbeef);
		order_batch(mode, perm.data(), run.size, rng, MaskPredicate{run.mask, run.size, &bad_calls});
		for (uint32_t k = 0; k < run.size; k++)
			out.push_back(start + perm[k]);
		start += run.size;
	}
	return out;
}

/*
 * Check a run-wise output: every row stays inside its run, each run is a
 * permutation of its rows, a run of one row is unchanged and a run with a
 * row distinct from its first starts with such a row.  Returns "" or the
 * first problem found.
 */
std::string
check_runs(const std::vector<Run> &runs, const std::vector<uint32_t> &out)
{
	std::ostringstream problem;
	uint32_t total = 0;
	for (const Run &run : runs)
		total += run.size;
	if (out.size() != total)
	{
		problem << "output has " << out.size() << " rows, expected " << total;
		return problem.str();
	}
	uint32_t start = 0;
	for (size_t r = 0; r < runs.size(); r++)
	{
		const Run &run = runs[r];
		std::vector<uint32_t> local;
		for (uint32_t k = 0; k < run.size; k++)
		{
			const uint32_t row = out[start + k];
			if (row < start || row >= start + run.size)
			{
				problem << "run " << r << " (rows " << start << ".." << start + run.size - 1 << ") emits row "
						<< row;
				return problem.str();
			}
			local.push_back(row - start);
		}
		if (!is_permutation(local))
		{
			problem << "run " << r << " is not a permutation: " << to_string(local);
			return problem.str();
		}
		if (run.size == 1 && local[0] != 0)
		{
			problem << "run " << r << " of one row changed";
			return problem.str();
		}
		if (run.mask != 0 && !((run.mask >> local[0]) & 1))
		{
			problem << "run " << r << " " << mask_to_string(run.mask, run.size) << " emitted "
					<< to_string(local) << ": first row not distinct from the run's first";
			return problem.str();
		}
		start += run.size;
	}
	return "";
}

std::vector<Run>
distinct_runs(const std::vector<uint32_t> &sizes)
{
	std::vector<Run> runs;
	for (uint32_t size : sizes)
		runs.push_back(Run{size, all_distinct_mask(size)});
	return runs;
}

/* ------------------------------------------------------------ spill path */

struct StreamResult
{
	std::vector<uint32_t> order;
	bool has_lead;
};

/*
 * What a spilling node does: row 0 goes to the rest at once; rows 1..n-1
 * are offered in input order; an accepted row becomes the lead and the
 * previous lead (if any) joins the rest.  Every row joining the rest gets a
 * sort key at that moment.  The output is the lead, then the rest in
 * ascending key order.
 */
template <typename Pred>
StreamResult
stream_order(Mode mode, uint32_t n, Rng &rng, Pred distinct)
{
	StreamResult result{{}, false};
	if (n == 0)
		return result;
	StreamingLead streaming(mode);
	std::vector<std::pair<int64_t, uint32_t>> rest;
	rest.emplace_back(rest_sort_key(mode, 0, rng), 0);
	bool have_lead = false;
	uint32_t lead = 0;
	for (uint32_t i = 1; i < n; i++)
	{
		if (streaming.offer(distinct(i), rng))
		{
			if (have_lead)
				rest.emplace_back(rest_sort_key(mode, lead, rng), lead);
			lead = i;
			have_lead = true;
		}
		else
			rest.emplace_back(rest_sort_key(mode, i, rng), i);
	}
	std::stable_sort(rest.begin(), rest.end(),
					 [](const auto &a, const auto &b) { return a.first < b.first; });
	if (have_lead)
		result.order.push_back(lead);
	for (const auto &entry : rest)
		result.order.push_back(entry.second);
	result.has_lead = streaming.has_lead();
	if (result.has_lead != have_lead)
		result.order.clear(); /* inconsistent: make the caller's checks fail */
	return result;
}

std::vector<uint32_t>
stream_mask(Mode mode, uint32_t n, uint64_t mask, Rng &rng, uint32_t &bad_calls)
{
	return stream_order(mode, n, rng, MaskPredicate{mask, n, &bad_calls}).order;
}

} // namespace

/* ================================================================ runs */

TEST_CASE("run-wise: rows stay in their run and every run of distinct rows changes", "[streaming][runs]")
{
	const std::vector<std::vector<uint32_t>> patterns = {
		{1, 3, 1, 4, 2}, {2, 2, 2, 2, 2, 2}, {1, 1, 1, 1}, {5, 1, 8, 1, 1, 3, 7, 2, 1, 6}, {17},
	};
	for (Mode mode : {Mode::Shuffle, Mode::Reverse})
		for (const std::vector<uint32_t> &sizes : patterns)
		{
			const std::vector<Run> runs = distinct_runs(sizes);
			uint32_t bad_calls = 0;
			for (uint64_t seed = 0; seed < 1000; seed++)
			{
				Rng rng(seed);
				const std::vector<uint32_t> out = order_runs(mode, runs, rng, bad_calls);
				const std::string problem = check_runs(runs, out);
				if (!problem.empty())
					FAIL(mode_name(mode)
						 << ", seed " << seed << ": " << problem << "; output " << to_string(out));
			}
			CHECK(bad_calls == 0);
		}
}

TEST_CASE("run-wise: runs with rows duplicating their first row", "[streaming][runs]")
{
	/* Sizes 1,3,1,4,2 with patterns; the third and fourth-but-last runs have no distinct row. */
	const std::vector<Run> runs = {
		{1, 0}, {3, 0b100}, {1, 0}, {4, 0b0010}, {2, 0b10}, {3, 0}, {5, 0b10000}, {4, 0b1110},
	};
	for (Mode mode : {Mode::Shuffle, Mode::Reverse})
	{
		uint32_t bad_calls = 0;
		for (uint64_t seed = 0; seed < 2000; seed++)
		{
			Rng rng(seed);
			const std::vector<uint32_t> out = order_runs(mode, runs, rng, bad_calls);
			const std::string problem = check_runs(runs, out);
			if (!problem.empty())
				FAIL(mode_name(mode) << ", seed " << seed << ": " << problem << "; output "
									 << to_string(out));
		}
		CHECK(bad_calls == 0);
	}
}

TEST_CASE("run-wise: reproducible per seed, different across seeds", "[streaming][runs][determinism]")
{
	const std::vector<Run> runs = distinct_runs({1, 3, 1, 4, 2, 6, 1, 5});
	uint32_t bad_calls = 0;
	std::set<std::vector<uint32_t>> seen;
	for (uint64_t seed = 0; seed < 300; seed++)
	{
		Rng a(seed);
		Rng b(seed);
		const std::vector<uint32_t> first = order_runs(Mode::Shuffle, runs, a, bad_calls);
		REQUIRE(order_runs(Mode::Shuffle, runs, b, bad_calls) == first);
		seen.insert(first);
	}
	/* 2*2*3*3!*5*5!*4*4! allowed outputs, about 12.4 million: collisions are rare. */
	CHECK(seen.size() >= 295);

	/* Reverse mode: the same output for every seed, each run reversed. */
	Rng one(1);
	Rng other(99);
	const std::vector<uint32_t> reversed = order_runs(Mode::Reverse, runs, one, bad_calls);
	CHECK(order_runs(Mode::Reverse, runs, other, bad_calls) == reversed);
	CHECK(reversed == std::vector<uint32_t>{0,  3,  2,  1,  4,  8,  7,  6,  5,  10, 9, 16,
											15, 14, 13, 12, 11, 17, 22, 21, 20, 19, 18});
	CHECK(bad_calls == 0);
}

TEST_CASE("run-wise: each run is uniformly permuted although the generator is shared",
		  "[streaming][runs][uniformity]")
{
	/* Runs 3,1,3: joint distribution of the two 3-runs is uniform over 4 x 4 allowed pairs. */
	const std::vector<Run> runs = distinct_runs({3, 1, 3});
	uint32_t bad_calls = 0;
	std::vector<uint64_t> counts(36, 0);
	Rng rng(2718);
	for (int d = 0; d < 160000; d++)
	{
		const std::vector<uint32_t> out = order_runs(Mode::Shuffle, runs, rng, bad_calls);
		const uint32_t first[3] = {out[0], out[1], out[2]};
		const uint32_t second[3] = {out[4] - 4, out[5] - 4, out[6] - 4};
		counts[permutation_rank(first, 3) * 6 + permutation_rank(second, 3)]++;
	}
	std::vector<uint64_t> allowed;
	uint64_t forbidden = 0;
	for (uint64_t r1 = 0; r1 < 6; r1++)
		for (uint64_t r2 = 0; r2 < 6; r2++)
		{
			const bool ok = permutation_unrank(r1, 3)[0] != 0 && permutation_unrank(r2, 3)[0] != 0;
			if (ok)
				allowed.push_back(counts[r1 * 6 + r2]);
			else
				forbidden += counts[r1 * 6 + r2];
		}
	const double stat = chi_square_uniform(allowed);
	INFO("chi-square " << stat);
	CHECK(allowed.size() == 16);
	CHECK(forbidden == 0);
	CHECK(stat < chi_square_critical_p001(15));
	CHECK(bad_calls == 0);
}

/* ========================================================== spill path */

TEST_CASE("rest_sort_key: reverse keys descend with the input position", "[streaming]")
{
	Rng a(1);
	Rng b(2);
	CHECK(rest_sort_key(Mode::Reverse, 0, a) == INT64_MAX);
	int64_t previous = rest_sort_key(Mode::Reverse, 0, a);
	for (uint64_t i = 1; i < 100000; i++)
	{
		const int64_t key = rest_sort_key(Mode::Reverse, i, a);
		REQUIRE(key < previous);
		REQUIRE(rest_sort_key(Mode::Reverse, i, b) == key);
		previous = key;
	}
	/* The last row of a very large batch still sorts first. */
	CHECK(rest_sort_key(Mode::Reverse, uint64_t{1} << 40, a) <
		  rest_sort_key(Mode::Reverse, (uint64_t{1} << 40) - 1, a));
}

TEST_CASE("rest_sort_key: shuffle keys are seeded and spread", "[streaming]")
{
	Rng a(5);
	Rng b(5);
	std::set<int64_t> keys;
	int negative = 0;
	for (uint64_t i = 0; i < 10000; i++)
	{
		const int64_t key = rest_sort_key(Mode::Shuffle, i, a);
		REQUIRE(rest_sort_key(Mode::Shuffle, i, b) == key);
		keys.insert(key);
		negative += key < 0;
	}
	CHECK(keys.size() == 10000);
	CHECK(negative > 4500);
	CHECK(negative < 5500);
}

TEST_CASE("StreamingLead: offers and has_lead", "[streaming]")
{
	Rng rng(11);
	for (Mode mode : {Mode::Shuffle, Mode::Reverse})
	{
		INFO(mode_name(mode));
		StreamingLead lead(mode);
		CHECK_FALSE(lead.has_lead());
		CHECK_FALSE(lead.offer(false, rng));
		CHECK_FALSE(lead.has_lead());
		CHECK(lead.offer(true, rng)); /* the first distinct row is always taken */
		CHECK(lead.has_lead());
		CHECK_FALSE(lead.offer(false, rng));
		CHECK(lead.has_lead());
	}
	/* Reverse keeps the last distinct row: every distinct offer is taken. */
	StreamingLead reverse(Mode::Reverse);
	for (int i = 0; i < 100; i++)
		REQUIRE(reverse.offer(true, rng));
}

TEST_CASE("spill path: a permutation keeping §5.2 for every pattern, n = 1..8", "[streaming][guarantee]")
{
	const uint64_t seeds = 2000;
	for (Mode mode : {Mode::Shuffle, Mode::Reverse})
		for (uint32_t n = 1; n <= 8; n++)
		{
			uint32_t bad_calls = 0;
			uint64_t checked = 0;
			for (uint64_t m = 0; m < mask_count(n); m++)
			{
				const uint64_t mask = m << 1;
				for (uint64_t seed = 0; seed < seeds; seed++)
				{
					Rng rng(seed * 104729 + m);
					const StreamResult result =
						stream_order(mode, n, rng, MaskPredicate{mask, n, &bad_calls});
					const std::vector<uint32_t> &perm = result.order;
					const bool ok = result.has_lead == (mask != 0) && perm.size() == n &&
									is_permutation(perm) && (mask == 0 || ((mask >> perm[0]) & 1));
					if (!ok)
						FAIL(mode_name(mode) << ", rows " << mask_to_string(mask, n) << ", seed "
											 << seed * 104729 + m << ": got " << to_string(perm)
											 << (result.has_lead ? " (has lead)" : " (no lead)"));
					checked++;
				}
			}
			INFO(mode_name(mode) << ", n = " << n);
			CHECK(checked == seeds * mask_count(n));
			CHECK(bad_calls == 0);
		}
}

TEST_CASE("spill path: reverse mode gives exactly the in-memory reverse order", "[streaming][reverse]")
{
	for (uint32_t n = 1; n <= 12; n++)
		for (uint64_t m = 0; m < mask_count(n); m++)
		{
			const uint64_t mask = m << 1;
			uint32_t bad_calls = 0;
			Rng stream_rng(m);
			Rng batch_rng(m + 1);
			std::vector<uint32_t> in_memory(n);
			order_batch(Mode::Reverse, in_memory.data(), n, batch_rng, MaskPredicate{mask, n, &bad_calls});
			INFO("rows " << mask_to_string(mask, n));
			REQUIRE(stream_mask(Mode::Reverse, n, mask, stream_rng, bad_calls) == in_memory);
			REQUIRE(bad_calls == 0);
		}

	/* Large batches with a few patterns. */
	for (uint32_t n : {1000u, 5000u})
	{
		std::vector<bool> tail_duplicates(n, true);
		for (uint32_t i = n / 2; i < n; i++)
			tail_duplicates[i] = false;
		std::vector<bool> sparse(n, false);
		for (uint32_t i = 3; i < n; i += 89)
			sparse[i] = true;
		std::vector<bool> none(n, false);
		for (const std::vector<bool> *flags : {&tail_duplicates, &sparse, &none})
		{
			uint32_t bad_calls = 0;
			Rng rng(0);
			std::vector<uint32_t> in_memory(n);
			order_batch(Mode::Reverse, in_memory.data(), n, rng, FlagsPredicate{flags, &bad_calls});
			INFO("n = " << n);
			CHECK(stream_order(Mode::Reverse, n, rng, FlagsPredicate{flags, &bad_calls}).order == in_memory);
			CHECK(bad_calls == 0);
		}
	}
}

TEST_CASE("spill path: reproducible per seed", "[streaming][determinism]")
{
	uint32_t bad_calls = 0;
	std::set<std::vector<uint32_t>> seen;
	for (uint64_t seed = 0; seed < 500; seed++)
	{
		Rng a(seed);
		Rng b(seed);
		const std::vector<uint32_t> first = stream_mask(Mode::Shuffle, 10, 0b1011011010, a, bad_calls);
		REQUIRE(stream_mask(Mode::Shuffle, 10, 0b1011011010, b, bad_calls) == first);
		seen.insert(first);
	}
	CHECK(seen.size() >= 495);
	CHECK(bad_calls == 0);
}

TEST_CASE("spill path shuffle: lead uniform among the rows that differ from row 0", "[streaming][uniformity]")
{
	struct Case
	{
		uint32_t n;
		std::vector<uint32_t> distinct;
	};
	const Case cases[] = {
		{6, {1, 2, 3, 4, 5}},
		{8, {2, 5, 7}},
		{100, {1, 50, 99}},
		{12, {11}},
	};
	const uint64_t draws = 30000;
	for (const Case &c : cases)
	{
		std::vector<bool> flags(c.n, false);
		for (uint32_t i : c.distinct)
			flags[i] = true;
		uint32_t bad_calls = 0;
		Rng rng(c.n * 31);
		std::vector<uint64_t> counts(c.distinct.size(), 0);
		uint64_t wrong_lead = 0;
		for (uint64_t d = 0; d < draws; d++)
		{
			const StreamResult result =
				stream_order(Mode::Shuffle, c.n, rng, FlagsPredicate{&flags, &bad_calls});
			REQUIRE(result.order.size() == c.n);
			const auto it = std::find(c.distinct.begin(), c.distinct.end(), result.order[0]);
			if (it == c.distinct.end())
				wrong_lead++;
			else
				counts[it - c.distinct.begin()]++;
		}
		std::ostringstream counts_text;
		for (uint64_t x : counts)
			counts_text << x << " ";
		INFO("n = " << c.n << ", lead counts " << counts_text.str());
		CHECK(wrong_lead == 0);
		CHECK(bad_calls == 0);
		if (counts.size() > 1)
		{
			const double stat = chi_square_uniform(counts);
			INFO("chi-square " << stat);
			CHECK(stat < chi_square_critical_p001(static_cast<uint32_t>(counts.size() - 1)));
		}
	}
}

TEST_CASE("spill path shuffle: uniform over the allowed permutations, n = 4", "[streaming][uniformity]")
{
	struct Case
	{
		uint64_t mask;
		uint64_t allowed;
	};
	/* All distinct: 3 * 3! = 18 allowed orders; rows a b a c: 2 * 3! = 12; all equal: 4! = 24. */
	const Case cases[] = {{0b1110, 18}, {0b1010, 12}, {0b0000, 24}};
	const uint32_t n = 4;
	for (const Case &c : cases)
	{
		uint32_t bad_calls = 0;
		Rng rng(c.mask + 100);
		std::vector<uint64_t> counts(factorial(n), 0);
		for (int d = 0; d < 200000; d++)
		{
			const std::vector<uint32_t> perm = stream_mask(Mode::Shuffle, n, c.mask, rng, bad_calls);
			REQUIRE(is_permutation(perm));
			counts[permutation_rank(perm.data(), n)]++;
		}
		std::vector<uint64_t> allowed;
		uint64_t forbidden = 0;
		for (uint64_t rank = 0; rank < counts.size(); rank++)
		{
			const uint32_t first = permutation_unrank(rank, n)[0];
			if (c.mask == 0 || ((c.mask >> first) & 1))
				allowed.push_back(counts[rank]);
			else
				forbidden += counts[rank];
		}
		const double stat = chi_square_uniform(allowed);
		INFO("rows " << mask_to_string(c.mask, n) << ", chi-square " << stat);
		CHECK(allowed.size() == c.allowed);
		CHECK(forbidden == 0);
		CHECK(std::count(allowed.begin(), allowed.end(), uint64_t{0}) == 0);
		CHECK(stat < chi_square_critical_p001(static_cast<uint32_t>(c.allowed - 1)));
		CHECK(bad_calls == 0);
	}
}
