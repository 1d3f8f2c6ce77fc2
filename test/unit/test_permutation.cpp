/*
 * test_permutation.cpp
 *		Tests of order_batch() and the lead choices of core/permutation.hpp:
 *		the §5.2 guarantee, determinism, uniformity of shuffle mode and the
 *		exact output of reverse mode.
 */
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <sstream>
#include <vector>

#include "core/permutation.hpp"
#include "core/prng.hpp"
#include "test_support.hpp"

using unorder_rows::core::choose_reverse_lead;
using unorder_rows::core::choose_shuffle_lead;
using unorder_rows::core::Mode;
using unorder_rows::core::order_batch;
using unorder_rows::core::Rng;
using namespace test_support;

namespace
{

const char *
mode_name(Mode mode)
{
	return mode == Mode::Shuffle ? "shuffle" : "reverse";
}

/* order_batch over a mask pattern; counts out-of-range predicate calls. */
std::vector<uint32_t>
order_mask(Mode mode, uint32_t n, uint64_t mask, Rng &rng, uint32_t &bad_calls)
{
	std::vector<uint32_t> perm(n, 0xdeadbeef);
	order_batch(mode, perm.data(), n, rng, MaskPredicate{mask, n, &bad_calls});
	return perm;
}

std::vector<uint32_t>
order_flags(Mode mode, const std::vector<bool> &flags, Rng &rng, uint32_t &bad_calls)
{
	const uint32_t n = static_cast<uint32_t>(flags.size());
	std::vector<uint32_t> perm(n, 0xdeadbeef);
	order_batch(mode, perm.data(), n, rng, FlagsPredicate{&flags, &bad_calls});
	return perm;
}

/*
 * Reverse mode as docs/order-contract.md §6 / permutation.hpp describe it, written
 * independently: the last row that differs from row 0 first (the last row
 * when none does), then every other row from last to first.
 */
std::vector<uint32_t>
expected_reverse(const std::vector<bool> &distinct)
{
	const uint32_t n = static_cast<uint32_t>(distinct.size());
	std::vector<uint32_t> out;
	if (n == 0)
		return out;
	uint32_t lead = n - 1;
	for (uint32_t i = 1; i < n; i++)
		if (distinct[i])
			lead = i;
	out.push_back(lead);
	for (uint32_t i = n; i-- > 0;)
		if (i != lead)
			out.push_back(i);
	return out;
}

std::vector<bool>
mask_flags(uint64_t mask, uint32_t n)
{
	std::vector<bool> flags(n);
	for (uint32_t i = 1; i < n; i++)
		flags[i] = (mask >> i) & 1;
	return flags;
}

/*
 * Shuffle-mode histogram of permutation ranks over `draws` draws for a
 * pattern; fresh_seeds draws each permutation from Rng(seed_base + draw)
 * instead of one Rng carried across draws.
 */
std::vector<uint64_t>
shuffle_histogram(uint32_t n, uint64_t mask, uint64_t draws, uint64_t seed_base, bool fresh_seeds)
{
	std::vector<uint64_t> counts(factorial(n), 0);
	uint32_t bad_calls = 0;
	Rng carried(seed_base);
	std::vector<uint32_t> perm(n);
	for (uint64_t d = 0; d < draws; d++)
	{
		Rng fresh(seed_base + d);
		Rng &rng = fresh_seeds ? fresh : carried;
		order_batch(Mode::Shuffle, perm.data(), n, rng, MaskPredicate{mask, n, &bad_calls});
		counts[permutation_rank(perm.data(), n)]++;
	}
	REQUIRE(bad_calls == 0);
	return counts;
}

/*
 * Check a shuffle histogram: permutations whose first row is a distinct row
 * (every permutation when no row is distinct) are "allowed" and must all
 * occur with equal frequency; no other permutation may occur.
 */
void
check_uniform_over_allowed(const std::vector<uint64_t> &counts, uint32_t n, uint64_t mask)
{
	std::vector<uint64_t> allowed_counts;
	uint64_t forbidden_hits = 0;
	uint64_t first_forbidden = 0;
	uint64_t allowed_missing = 0;
	for (uint64_t rank = 0; rank < counts.size(); rank++)
	{
		const std::vector<uint32_t> perm = permutation_unrank(rank, n);
		const bool allowed = mask == 0 || ((mask >> perm[0]) & 1);
		if (allowed)
		{
			allowed_counts.push_back(counts[rank]);
			allowed_missing += counts[rank] == 0;
		}
		else if (counts[rank] > 0)
		{
			if (forbidden_hits == 0)
				first_forbidden = rank;
			forbidden_hits += counts[rank];
		}
	}
	const double stat = chi_square_uniform(allowed_counts);
	const double critical = chi_square_critical_p001(static_cast<uint32_t>(allowed_counts.size() - 1));
	INFO("n = " << n << ", rows " << mask_to_string(mask, n) << ": " << allowed_counts.size()
				<< " allowed permutations, chi-square " << stat << " (critical " << critical << ")");
	INFO("first forbidden permutation seen: " << to_string(permutation_unrank(first_forbidden, n)));
	CHECK(forbidden_hits == 0);
	CHECK(allowed_missing == 0);
	CHECK(stat < critical);
}

} // namespace

TEST_CASE("order_batch: §5.2 with all rows distinct, n = 2..8, both modes", "[permutation][guarantee]")
{
	const uint64_t seeds = 2000;
	for (Mode mode : {Mode::Shuffle, Mode::Reverse})
		for (uint32_t n = 2; n <= 8; n++)
		{
			uint64_t checked = 0;
			uint32_t bad_calls = 0;
			for (uint64_t seed = 0; seed < seeds; seed++)
			{
				Rng rng(seed);
				const std::vector<uint32_t> perm = order_mask(mode, n, all_distinct_mask(n), rng, bad_calls);
				if (!is_permutation(perm) || perm[0] == 0)
					FAIL(mode_name(mode)
						 << ", n = " << n << ", seed " << seed << ": got " << to_string(perm));
				checked++;
			}
			INFO(mode_name(mode) << ", n = " << n);
			CHECK(checked == seeds);
			CHECK(bad_calls == 0);
		}
}

TEST_CASE("order_batch: §5.2 for every duplicate pattern, n = 2..8, both modes", "[permutation][guarantee]")
{
	/*
	 * Every combination of rows 1..n-1 being distinct from row 0 or equal to
	 * it.  Whenever some row differs, the first row emitted must differ from
	 * row 0; otherwise any permutation is fine, but it must be one.
	 */
	const uint64_t seeds = 2000;
	for (Mode mode : {Mode::Shuffle, Mode::Reverse})
		for (uint32_t n = 2; n <= 8; n++)
		{
			uint64_t checked = 0;
			uint32_t bad_calls = 0;
			for (uint64_t m = 0; m < mask_count(n); m++)
			{
				const uint64_t mask = m << 1;
				for (uint64_t seed = 0; seed < seeds; seed++)
				{
					Rng rng(seed * 7919 + m);
					const std::vector<uint32_t> perm = order_mask(mode, n, mask, rng, bad_calls);
					const bool ok = is_permutation(perm) && (mask == 0 || ((mask >> perm[0]) & 1));
					if (!ok)
						FAIL(mode_name(mode) << ", rows " << mask_to_string(mask, n) << ", seed "
											 << seed * 7919 + m << ": got " << to_string(perm));
					checked++;
				}
			}
			INFO(mode_name(mode) << ", n = " << n);
			CHECK(checked == seeds * mask_count(n));
			CHECK(bad_calls == 0);
		}
}

TEST_CASE("order_batch: batches of 0 and 1 rows", "[permutation]")
{
	for (Mode mode : {Mode::Shuffle, Mode::Reverse})
	{
		INFO(mode_name(mode));
		uint32_t bad_calls = 0;
		Rng rng(1);
		uint32_t untouched[2] = {0xdeadbeef, 0xdeadbeef};
		order_batch(mode, untouched, 0, rng, MaskPredicate{0, 0, &bad_calls});
		CHECK(untouched[0] == 0xdeadbeef);
		CHECK(untouched[1] == 0xdeadbeef);

		uint32_t one[2] = {0xdeadbeef, 0xdeadbeef};
		order_batch(mode, one, 1, rng, MaskPredicate{0, 1, &bad_calls});
		CHECK(one[0] == 0);
		CHECK(one[1] == 0xdeadbeef); /* nothing written past n */
		CHECK(bad_calls == 0);
	}
}

TEST_CASE("choose_*_lead: edge cases", "[permutation]")
{
	uint32_t bad_calls = 0;
	Rng rng(3);
	CHECK(choose_shuffle_lead(0, rng, MaskPredicate{0, 0, &bad_calls}) == 0);
	CHECK(choose_shuffle_lead(1, rng, MaskPredicate{0, 1, &bad_calls}) == 0);
	CHECK(choose_reverse_lead(0, MaskPredicate{0, 0, &bad_calls}) == 0);
	CHECK(choose_reverse_lead(1, MaskPredicate{0, 1, &bad_calls}) == 0);
	for (uint32_t n = 2; n <= 40; n++)
	{
		INFO("n = " << n);
		/* No row distinct: shuffle has no constraint (0), reverse keeps the plain reversal. */
		for (int i = 0; i < 50; i++)
			CHECK(choose_shuffle_lead(n, rng, MaskPredicate{0, n, &bad_calls}) == 0);
		CHECK(choose_reverse_lead(n, MaskPredicate{0, n, &bad_calls}) == n - 1);
		/* Only row 1 distinct (reached through the counting fallback for large n). */
		for (int i = 0; i < 50; i++)
			CHECK(choose_shuffle_lead(n, rng, MaskPredicate{2, n, &bad_calls}) == 1);
		CHECK(choose_reverse_lead(n, MaskPredicate{2, n, &bad_calls}) == 1);
	}
	CHECK(bad_calls == 0);
}

TEST_CASE("order_batch: the same seed gives the same permutation", "[permutation][determinism]")
{
	for (Mode mode : {Mode::Shuffle, Mode::Reverse})
		for (uint32_t n : {2u, 3u, 5u, 8u, 13u, 50u})
			for (uint64_t mask : {all_distinct_mask(n), uint64_t{0}, uint64_t{0x2a} & all_distinct_mask(n)})
				for (uint64_t seed = 0; seed < 200; seed++)
				{
					INFO(mode_name(mode) << ", n = " << n << ", mask " << mask << ", seed " << seed);
					uint32_t bad_calls = 0;
					Rng a(seed);
					Rng b(seed);
					/* Several batches in a row from one generator, twice. */
					for (int batch = 0; batch < 3; batch++)
						REQUIRE(order_mask(mode, n, mask, a, bad_calls) ==
								order_mask(mode, n, mask, b, bad_calls));
					REQUIRE(bad_calls == 0);
				}
}

TEST_CASE("order_batch shuffle: different seeds give different permutations", "[permutation][determinism]")
{
	uint32_t bad_calls = 0;

	/* n = 10: 9 * 9! = 3265920 allowed orders; 1000 seeds collide ~0.15 times on average. */
	std::set<std::vector<uint32_t>> seen;
	for (uint64_t seed = 0; seed < 1000; seed++)
	{
		Rng rng(seed);
		seen.insert(order_mask(Mode::Shuffle, 10, all_distinct_mask(10), rng, bad_calls));
	}
	CHECK(seen.size() >= 995);

	/* n = 3: all 4 allowed orders occur among 100 seeds. */
	std::set<std::vector<uint32_t>> small;
	for (uint64_t seed = 0; seed < 100; seed++)
	{
		Rng rng(seed);
		small.insert(order_mask(Mode::Shuffle, 3, all_distinct_mask(3), rng, bad_calls));
	}
	CHECK(small.size() == 4);
	CHECK(bad_calls == 0);
}

TEST_CASE("order_batch reverse: independent of the generator", "[permutation][reverse]")
{
	for (uint32_t n = 1; n <= 8; n++)
		for (uint64_t m = 0; m < mask_count(n); m++)
		{
			uint32_t bad_calls = 0;
			Rng a(1);
			Rng b(0xfeedface);
			const std::vector<uint32_t> first = order_mask(Mode::Reverse, n, m << 1, a, bad_calls);
			INFO("rows " << mask_to_string(m << 1, n));
			REQUIRE(order_mask(Mode::Reverse, n, m << 1, b, bad_calls) == first);
			REQUIRE(order_mask(Mode::Reverse, n, m << 1, a, bad_calls) == first);
		}
}

TEST_CASE("order_batch reverse: exact outputs", "[permutation][reverse]")
{
	struct Case
	{
		const char *rows; /* row values; the pattern is "row i differs from row 0" */
		std::vector<uint32_t> expected;
	};
	const Case cases[] = {
		{"a", {0}},
		{"ab", {1, 0}},
		{"aa", {1, 0}},
		{"abcde", {4, 3, 2, 1, 0}},
		{"aba", {1, 2, 0}},
		{"abb", {2, 1, 0}},
		{"aab", {2, 1, 0}},
		{"aaa", {2, 1, 0}},
		{"aaba", {2, 3, 1, 0}},
		{"abcaa", {2, 4, 3, 1, 0}},
		{"abaaaaa", {1, 6, 5, 4, 3, 2, 0}},
		{"abcdefga", {6, 7, 5, 4, 3, 2, 1, 0}},
		{"aabcaaa", {3, 6, 5, 4, 2, 1, 0}},
	};
	for (const Case &c : cases)
	{
		const std::string rows = c.rows;
		std::vector<bool> flags(rows.size());
		for (size_t i = 1; i < rows.size(); i++)
			flags[i] = rows[i] != rows[0];
		uint32_t bad_calls = 0;
		Rng rng(9);
		INFO("rows " << rows);
		CHECK(order_flags(Mode::Reverse, flags, rng, bad_calls) == c.expected);
		CHECK(bad_calls == 0);
	}
}

TEST_CASE("order_batch reverse: the documented rule for every pattern and for large batches",
		  "[permutation][reverse]")
{
	for (uint32_t n = 1; n <= 10; n++)
		for (uint64_t m = 0; m < mask_count(n); m++)
		{
			const uint64_t mask = m << 1;
			uint32_t bad_calls = 0;
			Rng rng(0);
			INFO("rows " << mask_to_string(mask, n));
			REQUIRE(order_mask(Mode::Reverse, n, mask, rng, bad_calls) ==
					expected_reverse(mask_flags(mask, n)));
			REQUIRE(bad_calls == 0);
		}

	Rng rng(0);
	uint32_t bad_calls = 0;
	for (uint32_t n : {100u, 1000u, 10000u})
	{
		INFO("n = " << n);
		std::vector<bool> all(n, true);
		std::vector<bool> tail_duplicates(n, true);
		for (uint32_t i = n - n / 3; i < n; i++)
			tail_duplicates[i] = false;
		std::vector<bool> none(n, false);
		std::vector<bool> sparse(n, false);
		for (uint32_t i = 7; i < n; i += 97)
			sparse[i] = true;
		for (const std::vector<bool> *flags : {&all, &tail_duplicates, &none, &sparse})
			CHECK(order_flags(Mode::Reverse, *flags, rng, bad_calls) == expected_reverse(*flags));
	}
	CHECK(bad_calls == 0);
}

TEST_CASE("order_batch shuffle: uniform over the allowed permutations, n = 3, 4, 5",
		  "[permutation][uniformity]")
{
	/*
	 * With every row distinct, the allowed permutations are those whose
	 * first element is not 0: (n-1) * (n-1)! of them (4, 18, 96).
	 */
	const uint64_t draws = 200000;
	for (uint32_t n = 3; n <= 5; n++)
	{
		SECTION("one generator carried across draws, n = " + std::to_string(n))
		{
			const std::vector<uint64_t> counts =
				shuffle_histogram(n, all_distinct_mask(n), draws, 1000 + n, false);
			check_uniform_over_allowed(counts, n, all_distinct_mask(n));
		}
		SECTION("a fresh seed per draw, n = " + std::to_string(n))
		{
			const std::vector<uint64_t> counts =
				shuffle_histogram(n, all_distinct_mask(n), draws, 5000000 * n, true);
			check_uniform_over_allowed(counts, n, all_distinct_mask(n));
		}
	}
}

TEST_CASE("order_batch shuffle: uniform when some rows duplicate row 0", "[permutation][uniformity]")
{
	/* Whole-permutation distribution: lead uniform among distinct rows, rest uniform. */
	struct Case
	{
		uint32_t n;
		uint64_t mask;
	};
	const Case cases[] = {
		{4, 0b1010},  /* rows a b a c */
		{4, 0b0100},  /* rows a a b a: lead always row 2 */
		{4, 0b0000},  /* all equal: every permutation allowed */
		{5, 0b10010}, /* rows a b a a c */
		{5, 0b00110}, /* rows a b c a a */
	};
	for (const Case &c : cases)
		check_uniform_over_allowed(shuffle_histogram(c.n, c.mask, 150000, 77 + c.mask, false), c.n, c.mask);
}

TEST_CASE("choose_shuffle_lead: uniform among the rows that differ from row 0", "[permutation][uniformity]")
{
	/*
	 * Patterns chosen to exercise both the random probes and the counting
	 * fallback (few distinct rows among many duplicates).
	 */
	struct Case
	{
		uint32_t n;
		std::vector<uint32_t> distinct;
	};
	const Case cases[] = {
		{8, {2, 5, 7}},     {6, {1, 2, 3, 4}},           {10, {1, 9}},
		{100, {1, 50, 99}}, {1000, {17, 400, 401, 999}}, {64, {63}},
	};
	const uint64_t draws = 60000;
	for (const Case &c : cases)
	{
		std::vector<bool> flags(c.n, false);
		for (uint32_t i : c.distinct)
			flags[i] = true;
		uint32_t bad_calls = 0;
		Rng rng(c.n);
		std::vector<uint64_t> counts(c.distinct.size(), 0);
		uint64_t wrong_lead = 0;
		uint64_t first_wrong = 0;
		for (uint64_t d = 0; d < draws; d++)
		{
			const uint32_t lead = choose_shuffle_lead(c.n, rng, FlagsPredicate{&flags, &bad_calls});
			bool found = false;
			for (size_t k = 0; k < c.distinct.size(); k++)
				if (c.distinct[k] == lead)
				{
					counts[k]++;
					found = true;
				}
			if (!found && wrong_lead++ == 0)
				first_wrong = lead;
		}
		std::ostringstream counts_text;
		for (uint64_t x : counts)
			counts_text << x << " ";
		INFO("n = " << c.n << ", lead counts " << counts_text.str() << "; first wrong lead " << first_wrong);
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

TEST_CASE("order_batch: large batches keep §5.2", "[permutation][guarantee]")
{
	Rng rng(4242);
	uint32_t bad_calls = 0;
	for (uint32_t n : {9u, 33u, 100u, 1000u, 10000u})
	{
		std::vector<bool> all(n, true);
		std::vector<bool> none(n, false);
		std::vector<bool> last_only(n, false);
		last_only[n - 1] = true;
		std::vector<bool> sparse(n, false);
		for (uint32_t i = 5; i < n; i += 101)
			sparse[i] = true;
		std::vector<bool> half(n, false);
		for (uint32_t i = 1; i < n; i += 2)
			half[i] = true;
		for (Mode mode : {Mode::Shuffle, Mode::Reverse})
			for (const std::vector<bool> *flags : {&all, &none, &last_only, &sparse, &half})
				for (int rep = 0; rep < 20; rep++)
				{
					const std::vector<uint32_t> perm = order_flags(mode, *flags, rng, bad_calls);
					bool any_distinct = false;
					for (uint32_t i = 1; i < n; i++)
						any_distinct = any_distinct || (*flags)[i];
					INFO(mode_name(mode) << ", n = " << n << ", first emitted " << perm[0]);
					REQUIRE(is_permutation(perm));
					if (any_distinct)
						REQUIRE((*flags)[perm[0]]);
				}
	}
	CHECK(bad_calls == 0);
}
