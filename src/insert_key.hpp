/*
 * insert_key.hpp
 *		The processing order of INSERT ... SELECT where sessions can wait on
 *		each other: the order of a key every session computes alike.
 *
 * An insert waits for another session's uncommitted insert of the same
 * unique (or conflicting exclusion) key, and ON CONFLICT waits the same way
 * before it skips or updates.  Two sessions inserting overlapping keys in
 * different orders then wait on each other: session A holds k1 and waits for
 * k2, session B holds k2 and waits for k1, a deadlock where PostgreSQL, both
 * sessions in their source's order, would make one wait and then raise a
 * unique violation or skip the conflict (docs/order-contract.md §3.6, §5.5).
 * So where the target has such an index, the rows are processed in the order
 * of a hash of the values they will give that index's columns, computed
 * from the node's input with the same expressions as the inserted row (the
 * projection folded into the node), hashed by the type's hash function under
 * the index's collation (values that the index holds equal hash alike), and
 * seeded with the configured seed and the target table's name, not with a
 * seed a session draws nor with the statement: every INSERT into the table,
 * in every session, orders any two conflicting rows alike.  Rows with the
 * same key are one conflict whichever goes first, so their order does not
 * decide any lock order (keyed_rows.hpp draws the first of them).
 *
 * Which index: the ON CONFLICT arbiters first, then the primary key, then
 * the others, the first whose columns the rows' values determine:
 * - a column filled by something volatile above the node (a serial's
 *   nextval default, gen_random_uuid()) gets a value no other session's row
 *   has: an index holding one cannot make sessions wait, and is passed over;
 *   so is one holding a column that a volatile expression computed below the
 *   node (SELECT nextval('s'), ...);
 * - an index over an expression gets the expression's value, computed over
 *   the expressions of the columns it reads (lower(email): lower of what the
 *   row gives email);
 * - an index over the whole row, or a node that does not compute the
 *   inserted row itself, leaves the values unknown: if no index qualifies,
 *   the rows are ordered by a hash of the node's input columns instead
 *   (those computed by nothing volatile), which orders the same source rows
 *   alike in every session running the same statement;
 * - no index the rows could wait on: the session's shuffle, which perturbs
 *   more (another order for each seed).
 */
#ifndef UNORDER_ROWS_INSERT_KEY_HPP
#define UNORDER_ROWS_INSERT_KEY_HPP

#include "pg/postgres_includes.hpp"

#include "perturbation_spec.hpp"

struct InsertKey;

/*
 * find_insert_rows: at plan time, for an INSERT level's node: the table it
 * inserts into (a plain or partitioned table) and the child's columns that
 * nothing volatile computes, through the level's subqueries and CTEs.
 */
void find_insert_rows(PlannerInfo *root, List *child_tlist, PerturbationSpec *spec);

/*
 * settle_insert_order: in the finished plan, choose the order of an INSERT
 * node's rows (see above); parent is the node's parent plan.
 */
void settle_insert_order(CustomScan *cscan, Plan *parent, PerturbationSpec *spec);

/*
 * insert_key_begin: the executor's key of a node whose spec keys its rows,
 * rows being of scan_desc; expressions initialized under node.
 */
InsertKey *insert_key_begin(const PerturbationSpec *spec, PlanState *node, TupleDesc scan_desc);

/* insert_key_hash: the hash of one input row's key (a row of scan_desc). */
uint64 insert_key_hash(InsertKey *key, TupleTableSlot *row);

#endif
