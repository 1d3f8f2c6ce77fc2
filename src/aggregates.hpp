/*
 * aggregates.hpp
 *		Which aggregate calls depend on the order of their input
 *		(docs/order-contract.md §3.4): asked by the planner hook for a query
 *		level and by the order analysis for one Agg node.
 */
#ifndef UNORDER_ROWS_AGGREGATES_HPP
#define UNORDER_ROWS_AGGREGATES_HPP

#include "pg/postgres_includes.hpp"

/*
 * contains_order_sensitive_aggregate: whether an expression calls an
 * aggregate whose result may depend on its input order.
 */
bool contains_order_sensitive_aggregate(Node *expr);

#endif
