/*
 * seed.cpp
 *		Seed derivation; see seed.hpp.
 */
#include "core/seed.hpp"
#include "core/prng.hpp"

namespace unorder_rows::core
{

uint64_t
mix_seed(uint64_t a, uint64_t b)
{
	uint64_t state = a ^ 0x6a09e667f3bcc908ULL;
	uint64_t first = splitmix64(state);
	state = first ^ b;
	return splitmix64(state);
}

uint64_t
derive_node_seed(uint64_t session_seed, uint64_t statement_fingerprint, uint64_t node_position)
{
	return mix_seed(mix_seed(session_seed, statement_fingerprint), node_position);
}

int32_t
session_seed_from_entropy(uint64_t entropy)
{
	uint64_t state = entropy;
	for (;;)
	{
		int32_t candidate = static_cast<int32_t>(splitmix64(state) & 0x7fffffffULL);
		if (candidate != 0)
			return candidate;
	}
}

} // namespace unorder_rows::core
