/*
 * seed.hpp
 *		Derivation of per-node seeds from the session seed, the statement's
 *		fingerprint and the node's place in the plan.
 *
 * A node's permutation must depend only on these three values (docs/order-contract.md §5.3), so
 * that replaying a statement with the same seed gives the same order no
 * matter which statements ran before it.  Pure C++17, no PostgreSQL headers.
 */
#ifndef UNORDER_ROWS_CORE_SEED_HPP
#define UNORDER_ROWS_CORE_SEED_HPP

#include <cstdint>

namespace unorder_rows::core
{

/* Combine two 64-bit values into one well-mixed value (order matters). */
uint64_t mix_seed(uint64_t a, uint64_t b);

/*
 * Seed of one perturbation node: session seed, statement fingerprint and
 * node position (plan node id), each mixed in turn.
 */
uint64_t derive_node_seed(uint64_t session_seed, uint64_t statement_fingerprint, uint64_t node_position);

/*
 * A user-facing session seed (1 .. 2^31-1, so that it round-trips through an
 * integer setting) drawn from arbitrary entropy.
 */
int32_t session_seed_from_entropy(uint64_t entropy);

} // namespace unorder_rows::core

#endif
