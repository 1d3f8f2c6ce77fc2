/*
 * query_level.cpp
 *		What the planner knows of one query level that decides where its order
 *		is open: its own ORDER BY, an ordered subquery or CTE it reads
 *		(docs/order-contract.md §4.2), whether its rows come from tables at
 *		all (§4.3, §4.4); see query_level.hpp.
 */
#include "query_level.hpp"

#include "settings.hpp"

/* Whether a CTE, looked up from a query level, has its own ORDER BY. */
static bool
cte_is_ordered(PlannerInfo *root, RangeTblEntry *rte)
{
	PlannerInfo *level = root;

	for (Index up = rte->ctelevelsup; up > 0 && level != NULL; up--)
		level = level->parent_root;
	if (level == NULL)
		return false;

	ListCell *lc;

	foreach (lc, level->parse->cteList)
	{
		CommonTableExpr *cte = (CommonTableExpr *) lfirst(lc);

		if (strcmp(cte->ctename, rte->ctename) == 0)
			return IsA(cte->ctequery, Query) && ((Query *) cte->ctequery)->sortClause != NIL;
	}
	return false;
}

/* Whether this level reads a subquery or CTE with its own ORDER BY (§4.2). */
bool
level_reads_ordered_input(PlannerInfo *root)
{
	ListCell *lc;

	foreach (lc, root->parse->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL && rte->subquery->sortClause != NIL)
			return true;
		if (rte->rtekind == RTE_CTE && cte_is_ordered(root, rte))
			return true;
	}
	return false;
}

/* The flags describing the query level being planned. */
int
level_flags(PlannerInfo *root)
{
	int flags = 0;

	if (root->parent_root == NULL)
		flags |= LEVEL_TOP;
	if (root->parse->sortClause != NIL)
		flags |= LEVEL_HAS_ORDER_BY;
	if (level_reads_ordered_input(root))
		flags |= LEVEL_READS_ORDERED;
	if (root->parse->commandType == CMD_UPDATE || root->parse->commandType == CMD_DELETE ||
		compat_is_merge(root->parse->commandType))
		flags |= LEVEL_LOCKS_ROWS;
	if (root->parse->commandType == CMD_INSERT)
		flags |= LEVEL_INSERTS;
	return flags;
}

/*
 * Scope for an observer that does not need any order (a LIMIT or result
 * without ORDER BY, a hashed aggregate, a DML source): everything, unless the
 * level reads a subquery or CTE with its own ORDER BY, whose order is kept
 * (§4.2): then only within the subpath's order, or not at all when the
 * planner kept no pathkeys for it (it drops those the outer level does not
 * use, so the subquery's order is no longer visible in the path).
 */
PerturbationScope
free_scope(PlannerInfo *root, Path *subpath)
{
	if (unorder_rows_perturb_subquery_order || !level_reads_ordered_input(root))
		return SCOPE_ALL;
	return subpath->pathkeys != NIL ? SCOPE_WITHIN_RUNS : SCOPE_NONE;
}

/*
 * Whether rows reach an order-reliant node (a window function, a sorted
 * aggregate) in the order of an ordered subquery or CTE of its level
 * (§4.2): the level reads one and no sort of this level comes in between.
 * Then they are not perturbed, not even within the node's own keys.
 */
bool
keeps_subquery_order(PlannerInfo *root, Path *input)
{
	if (unorder_rows_perturb_subquery_order || !level_reads_ordered_input(root))
		return false;
	while (IsA(input, ProjectionPath))
		input = ((ProjectionPath *) input)->subpath;
	return !IsA(input, SortPath) && !IsA(input, IncrementalSortPath);
}

/*
 * Whether the rows of a join tree may come from tables (or subqueries, CTEs):
 * not only from VALUES lists and functions, whose order is kept (§4.3, §4.4).
 */
bool
jointree_reads_tables(Query *parse, Node *node)
{
	ListCell *lc;

	if (node == NULL)
		return false;
	if (IsA(node, RangeTblRef))
	{
		RangeTblEntry *rte = rt_fetch(((RangeTblRef *) node)->rtindex, parse->rtable);

		return rte->rtekind != RTE_VALUES && rte->rtekind != RTE_FUNCTION && rte->rtekind != RTE_TABLEFUNC &&
			   rte->rtekind != RTE_RESULT;
	}
	if (IsA(node, FromExpr))
	{
		foreach (lc, ((FromExpr *) node)->fromlist)
			if (jointree_reads_tables(parse, (Node *) lfirst(lc)))
				return true;
		return false;
	}
	if (IsA(node, JoinExpr))
		return jointree_reads_tables(parse, ((JoinExpr *) node)->larg) ||
			   jointree_reads_tables(parse, ((JoinExpr *) node)->rarg);
	return true;
}
