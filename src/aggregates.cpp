/*
 * aggregates.cpp
 *		Which aggregate calls depend on the order of their input
 *		(docs/order-contract.md §3.4); see aggregates.hpp.
 */
#include "aggregates.hpp"

/* Built-in aggregates whose result does not depend on input order. */
static const char *const order_insensitive_aggregates[] = {"count",
														   "sum",
														   "avg",
														   "min",
														   "max",
														   "bool_and",
														   "bool_or",
														   "every",
														   "bit_and",
														   "bit_or",
														   "bit_xor",
														   "stddev",
														   "stddev_pop",
														   "stddev_samp",
														   "variance",
														   "var_pop",
														   "var_samp",
														   "corr",
														   "covar_pop",
														   "covar_samp",
														   "regr_avgx",
														   "regr_avgy",
														   "regr_count",
														   "regr_intercept",
														   "regr_r2",
														   "regr_slope",
														   "regr_sxx",
														   "regr_sxy",
														   "regr_syy",
														   "range_agg",
														   "range_intersect_agg"};

/* Whether an aggregate call's result may depend on the order of its input. */
static bool
aggref_is_order_sensitive(Aggref *aggref)
{
	if (aggref->aggorder != NIL || aggref->aggdistinct != NIL || aggref->aggkind != AGGKIND_NORMAL)
		return false;
	if (aggref->aggfnoid >= FirstNormalObjectId)
		return true; /* user-defined: assume it may */
	if (get_func_namespace(aggref->aggfnoid) != PG_CATALOG_NAMESPACE)
		return true;

	char *name = get_func_name(aggref->aggfnoid);

	for (const char *insensitive : order_insensitive_aggregates)
		if (name != NULL && strcmp(name, insensitive) == 0)
			return false;
	return true;
}

/* expression_tree_walker callback: finds an order-sensitive Aggref. */
static bool
find_order_sensitive_aggref(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref) && aggref_is_order_sensitive((Aggref *) node))
		return true;
	return compat_expression_tree_walker(node, find_order_sensitive_aggref, context);
}

bool
contains_order_sensitive_aggregate(Node *expr)
{
	return find_order_sensitive_aggref(expr, NULL);
}
