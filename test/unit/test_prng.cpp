/*
 * test_prng.cpp
 *		Tests of core/prng.hpp: SplitMix64 and xoshiro256** against the
 *		published algorithms, determinism of seeding, Rng::below().
 */
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <vector>

#include "core/prng.hpp"
#include "test_support.hpp"

using unorder_rows::core::Rng;
using unorder_rows::core::splitmix64;

namespace
{

std::vector<uint64_t>
draw(Rng &rng, int count)
{
	std::vector<uint64_t> out;
	for (int i = 0; i < count; i++)
		out.push_back(rng.next());
	return out;
}

} // namespace

TEST_CASE("splitmix64 matches the reference sequence", "[prng]")
{
	/* First outputs of Vigna's splitmix64.c started from x = 0. */
	uint64_t state = 0;
	CHECK(splitmix64(state) == 0xe220a8397b1dcdafULL);
	CHECK(splitmix64(state) == 0x6e789e6aa1b965f4ULL);
	CHECK(splitmix64(state) == 0x06c45d188009454fULL);
	CHECK(splitmix64(state) == 0xf88bb8a8724c81ecULL);
	CHECK(state == 4 * 0x9e3779b97f4a7c15ULL);
}

TEST_CASE("Rng is xoshiro256** seeded through SplitMix64", "[prng]")
{
	/*
	 * Expected values computed independently from the published reference
	 * code (xoshiro256starstar.c, state filled by four splitmix64 calls).
	 */
	struct Case
	{
		uint64_t seed;
		uint64_t out[4];
	};
	const Case cases[] = {
		{0, {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL, 0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL}},
		{1, {0xb3f2af6d0fc710c5ULL, 0x853b559647364ceaULL, 0x92f89756082a4514ULL, 0x642e1c7bc266a3a7ULL}},
		{12345, {0xbe6a36374160d49bULL, 0x214aaa0637a688c6ULL, 0xf69d16de9954d388ULL, 0x0c60048c4e96e033ULL}},
		{0xdeadbeefcafebabeULL,
		 {0x2299b3421aa78b66ULL, 0x9af6550483e02887ULL, 0xda059cb5eec5c979ULL, 0xcf86bd29360fff98ULL}},
	};
	for (const Case &c : cases)
	{
		INFO("seed " << c.seed);
		Rng rng(c.seed);
		for (uint64_t expected : c.out)
			CHECK(rng.next() == expected);
	}
}

TEST_CASE("Rng: same seed gives the same sequence, reseed restarts it", "[prng]")
{
	for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{42}, ~uint64_t{0}})
	{
		INFO("seed " << seed);
		Rng a(seed);
		Rng b(seed);
		const std::vector<uint64_t> first = draw(a, 1000);
		CHECK(draw(b, 1000) == first);

		/* Reseeding after use starts the sequence over. */
		a.reseed(seed);
		CHECK(draw(a, 1000) == first);

		/* Reseeding with another seed then back again. */
		b.reseed(seed + 1);
		CHECK(draw(b, 1000) != first);
		b.reseed(seed);
		CHECK(draw(b, 1000) == first);
	}
}

TEST_CASE("Rng: different seeds give different sequences", "[prng]")
{
	/* Seeds that differ by one must not give the same or shifted streams. */
	std::set<uint64_t> firsts;
	std::set<std::vector<uint64_t>> prefixes;
	for (uint64_t seed = 0; seed < 10000; seed++)
	{
		Rng rng(seed);
		std::vector<uint64_t> prefix = draw(rng, 4);
		firsts.insert(prefix[0]);
		prefixes.insert(prefix);
	}
	CHECK(firsts.size() == 10000);
	CHECK(prefixes.size() == 10000);

	Rng zero(0);
	CHECK(zero.next() != 0); /* the state is never all zero */
}

TEST_CASE("Rng::next: every output bit is balanced", "[prng]")
{
	Rng rng(7);
	const int draws = 100000;
	std::vector<int> ones(64, 0);
	for (int i = 0; i < draws; i++)
	{
		uint64_t x = rng.next();
		for (int b = 0; b < 64; b++)
			ones[b] += (x >> b) & 1;
	}
	/* 6 standard deviations (sd = sqrt(draws)/2 ~ 158) around draws/2. */
	for (int b = 0; b < 64; b++)
	{
		INFO("bit " << b);
		CHECK(ones[b] > draws / 2 - 950);
		CHECK(ones[b] < draws / 2 + 950);
	}
}

TEST_CASE("Rng::below(1) is always 0", "[prng]")
{
	Rng rng(99);
	uint64_t nonzero = 0;
	for (int i = 0; i < 100000; i++)
		nonzero += rng.below(1) != 0;
	CHECK(nonzero == 0);
}

TEST_CASE("Rng::below(n) stays below n", "[prng]")
{
	const uint64_t bounds[] = {1,
							   2,
							   3,
							   5,
							   7,
							   10,
							   1000,
							   (uint64_t{1} << 32) - 1,
							   uint64_t{1} << 32,
							   (uint64_t{1} << 32) + 1,
							   (uint64_t{1} << 63) - 1,
							   uint64_t{1} << 63,
							   (uint64_t{1} << 63) + 1,
							   0xC000000000000000ULL,
							   ~uint64_t{0} - 1,
							   ~uint64_t{0}};
	Rng rng(2024);
	for (uint64_t bound : bounds)
	{
		INFO("bound " << bound);
		uint64_t out_of_range = 0;
		for (int i = 0; i < 20000; i++)
			out_of_range += rng.below(bound) >= bound;
		CHECK(out_of_range == 0);
	}
}

TEST_CASE("Rng::below(n) is uniform for small n", "[prng]")
{
	Rng rng(31337);
	for (uint64_t bound = 2; bound <= 12; bound++)
	{
		const uint64_t draws = 20000 * bound;
		std::vector<uint64_t> counts(bound, 0);
		for (uint64_t i = 0; i < draws; i++)
			counts[rng.below(bound)]++;
		const double stat = test_support::chi_square_uniform(counts);
		const double critical = test_support::chi_square_critical_p001(static_cast<uint32_t>(bound - 1));
		INFO("bound " << bound << ": chi-square " << stat << ", critical " << critical);
		for (uint64_t v = 0; v < bound; v++)
			CHECK(counts[v] > 0);
		CHECK(stat < critical);
	}
}

TEST_CASE("Rng::below(n) has no modulo bias for a large n", "[prng]")
{
	/*
	 * bound = 3 * 2^62: with "next() % bound" the values below 2^62 would
	 * come up twice as often as the others (probability 1/2 instead of 1/3).
	 * Split [0, bound) into its three quarters-of-2^64 and check each gets a
	 * third of the draws.
	 */
	const uint64_t bound = 0xC000000000000000ULL;
	Rng rng(5);
	std::vector<uint64_t> thirds(3, 0);
	for (int i = 0; i < 90000; i++)
		thirds[rng.below(bound) >> 62]++;
	const double stat = test_support::chi_square_uniform(thirds);
	INFO("counts " << thirds[0] << " " << thirds[1] << " " << thirds[2] << ", chi-square " << stat);
	CHECK(stat < test_support::chi_square_critical_p001(2));
}

TEST_CASE("Rng::below(n) rejects the biased part of the multiply method", "[prng]")
{
	/*
	 * bound = (2^65 + 1) / 3, about 2^64 / 1.5: the bare multiply-shift
	 * floor(x * bound / 2^64) maps two values of x to every even result and
	 * one to every odd result, so without the rejection step even results
	 * would come up 2/3 of the time instead of 1/2.
	 */
	const uint64_t bound = 0xAAAAAAAAAAAAAAABULL;
	Rng rng(6);
	std::vector<uint64_t> parity(2, 0);
	for (int i = 0; i < 60000; i++)
		parity[rng.below(bound) & 1]++;
	const double stat = test_support::chi_square_uniform(parity);
	INFO("even " << parity[0] << ", odd " << parity[1] << ", chi-square " << stat);
	CHECK(stat < test_support::chi_square_critical_p001(1));
}

TEST_CASE("Rng::below is deterministic per seed", "[prng]")
{
	Rng a(77);
	Rng b(77);
	for (uint64_t i = 1; i < 5000; i++)
		REQUIRE(a.below(i) == b.below(i));
}
