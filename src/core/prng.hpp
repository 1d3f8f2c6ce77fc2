/*
 * prng.hpp
 *		Small, fast, seedable pseudo-random generator for permutations.
 *
 * Pure C++17: no PostgreSQL header may be included here, so that the Catch2
 * unit tests can exercise it directly.  xoshiro256** seeded through
 * SplitMix64, as recommended by its authors; statistically strong enough for
 * shuffling and much cheaper than a cryptographic generator.
 */
#ifndef UNORDER_ROWS_CORE_PRNG_HPP
#define UNORDER_ROWS_CORE_PRNG_HPP

#include <cstdint>

namespace unorder_rows::core
{

/* SplitMix64 step: advances state and returns a well-mixed 64-bit value. */
inline uint64_t
splitmix64(uint64_t &state)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* xoshiro256**: the generator every perturbation node draws from. */
class Rng
{
public:
	explicit Rng(uint64_t seed = 0) { reseed(seed); }

	/* Fill the 256-bit state from one 64-bit seed (never all zero). */
	void reseed(uint64_t seed)
	{
		uint64_t sm = seed;
		for (auto &word : s_)
			word = splitmix64(sm);
	}

	/* Next 64 uniformly distributed bits. */
	uint64_t next()
	{
		const uint64_t result = rotl(s_[1] * 5, 7) * 9;
		const uint64_t t = s_[1] << 17;
		s_[2] ^= s_[0];
		s_[3] ^= s_[1];
		s_[1] ^= s_[2];
		s_[0] ^= s_[3];
		s_[2] ^= t;
		s_[3] = rotl(s_[3], 45);
		return result;
	}

	/*
	 * Uniform integer in [0, bound), bound > 0, without modulo bias
	 * (Lemire's multiply-and-reject method).
	 */
	uint64_t below(uint64_t bound)
	{
		uint64_t x = next();
		__uint128_t m = static_cast<__uint128_t>(x) * bound;
		uint64_t low = static_cast<uint64_t>(m);
		if (low < bound)
		{
			const uint64_t threshold = -bound % bound;
			while (low < threshold)
			{
				x = next();
				m = static_cast<__uint128_t>(x) * bound;
				low = static_cast<uint64_t>(m);
			}
		}
		return static_cast<uint64_t>(m >> 64);
	}

private:
	static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

	uint64_t s_[4];
};

} // namespace unorder_rows::core

#endif
