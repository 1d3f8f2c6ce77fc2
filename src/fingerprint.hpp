/*
 * fingerprint.hpp
 *		The statement fingerprint that seeds a statement's permutations, and
 *		the statement text without its constants.
 */
#ifndef UNORDER_ROWS_FINGERPRINT_HPP
#define UNORDER_ROWS_FINGERPRINT_HPP

#include "pg/postgres_includes.hpp"

/*
 * statement_fingerprint: a hash of the statement's tokens, the same across
 * whitespace, comments, letter case of keywords and identifiers, and literal
 * values, and independent of object OIDs, so that a statement keeps its
 * order when the test database is created anew.  0 if there is no text.
 */
uint64 statement_fingerprint(const char *source_text, int location, int length);

/*
 * executing_node_seed: the seed of the perturbation node with this plan_node_id in
 * the statement estate runs, from the session's effective seed, the statement's
 * fingerprint (returned in *fingerprint) and the node's place in the plan; what
 * makes a failure replay with the same seed (docs/order-contract.md §5.3).
 */
uint64 executing_node_seed(const EState *estate, int plan_node_id, uint64 *fingerprint);

/*
 * normalized_statement_text: the statement's text with every constant (number,
 * string, bit string, with a sign folded into a number) replaced by $n,
 * numbered after the highest parameter the text already has, as
 * pg_stat_statements shows it; palloc'd.  The tokens are those the
 * fingerprint hashes, so two statements with one fingerprint read alike.
 */
char *normalized_statement_text(const char *source_text, int location, int length);

#endif
