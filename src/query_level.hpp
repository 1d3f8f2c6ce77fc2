/*
 * query_level.hpp
 *		Facts about the query level being planned, for the planner hook.
 */
#ifndef UNORDER_ROWS_QUERY_LEVEL_HPP
#define UNORDER_ROWS_QUERY_LEVEL_HPP

#include "pg/postgres_includes.hpp"

#include "perturbation_spec.hpp"

/* level_reads_ordered_input: whether the level reads a subquery or CTE with its own ORDER BY (§4.2). */
bool level_reads_ordered_input(PlannerInfo *root);

/* level_flags: the LEVEL_* flags (perturbation_spec.hpp) of the level being planned. */
int level_flags(PlannerInfo *root);

/*
 * free_scope: the scope for an observer that needs no order (a LIMIT or
 * result without ORDER BY, a hashed aggregate, a DML source).
 */
PerturbationScope free_scope(PlannerInfo *root, Path *subpath);

/*
 * keeps_subquery_order: whether rows reach an order-reliant node in the
 * order of an ordered subquery or CTE of its level, with no sort of this
 * level in between (§4.2).
 */
bool keeps_subquery_order(PlannerInfo *root, Path *input);

/*
 * level_returns_at_most_one_row: whether the level provably returns at most
 * one row whatever the data (a primary-key lookup), so that no order of it
 * can be seen and the level needs no node at all.
 */
bool level_returns_at_most_one_row(PlannerInfo *root);

/*
 * order_by_leaves_no_ties: whether the level's ORDER BY can have no ties
 * whatever the data, so that there is nothing for a node to perturb.
 */
bool order_by_leaves_no_ties(PlannerInfo *root);

/*
 * jointree_reads_tables: whether the rows of a join tree may come from
 * tables (or subqueries, CTEs), not only from VALUES lists and functions.
 */
bool jointree_reads_tables(Query *parse, Node *node);

#endif
