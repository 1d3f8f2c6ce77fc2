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
 * Whether the level returns at most one row whatever the data: each of its
 * relations is a table whose restrictions fix every column of a unique,
 * immediately checked index to a constant or parameter (PostgreSQL's own
 * uniqueness proof, the one join removal relies on; inheritance parents have
 * no such index in its eyes), or the one row of an empty FROM.  A join of
 * relations of at most one row each has at most one row.  Rows multiply only
 * through set-returning functions in the target list, grouping sets and set
 * operations, so those levels are left to the usual rules.  This is what
 * most statements of an OLTP or ORM workload are (`get(pk=...)`, pgbench
 * -S), so the level is left to PostgreSQL without a node to plan, settle
 * and start.
 */
bool
level_returns_at_most_one_row(PlannerInfo *root)
{
	Query *parse = root->parse;
	int relid = -1;

	if (parse->setOperations != NULL || parse->hasTargetSRFs || parse->groupingSets != NIL ||
		bms_is_empty(root->all_baserels))
		return false;
	while ((relid = bms_next_member(root->all_baserels, relid)) >= 0)
	{
		RelOptInfo *rel = root->simple_rel_array[relid];
		RangeTblEntry *rte = root->simple_rte_array[relid];

		if (rel == NULL || rel->reloptkind != RELOPT_BASEREL)
			return false;
		if (rte->rtekind == RTE_RESULT)
			continue;
		if (rte->rtekind != RTE_RELATION || !relation_has_unique_index_for(root, rel, NIL, NIL, NIL))
			return false;
	}
	return true;
}

/* Whether every clause of `keys` is one of `sort` with the same equality. */
static bool
sort_covers(List *keys, List *sort)
{
	ListCell *lc;
	ListCell *lc2;

	foreach (lc, keys)
	{
		SortGroupClause *key = (SortGroupClause *) lfirst(lc);
		bool found = false;

		foreach (lc2, sort)
		{
			SortGroupClause *by = (SortGroupClause *) lfirst(lc2);

			if (by->tleSortGroupRef == key->tleSortGroupRef && by->eqop == key->eqop)
			{
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

/*
 * Whether the level's ORDER BY leaves no ties whatever the data (§3.3 has
 * nothing to perturb then):
 *	- its keys include every GROUP BY key, or every DISTINCT key: one row per
 *	  group, under the same equality;
 *	- or the level reads one table and its keys are NOT NULL columns of it
 *	  that, with the table's equalities to constants, cover a unique index
 *	  (PostgreSQL's uniqueness proof; NULLs would tie, and so could values a
 *	  nondeterministic collation calls equal).
 * Set-returning functions in the target list repeat a row's keys, grouping
 * sets repeat groups: such levels are left to the usual rules.
 */
bool
order_by_leaves_no_ties(PlannerInfo *root)
{
	Query *parse = root->parse;

	if (parse->sortClause == NIL || parse->setOperations != NULL || parse->hasTargetSRFs ||
		parse->groupingSets != NIL)
		return false;
	if (parse->groupClause != NIL)
		return sort_covers(parse->groupClause, parse->sortClause);
	if (parse->distinctClause != NIL && !parse->hasDistinctOn &&
		sort_covers(parse->distinctClause, parse->sortClause))
		return true;
	if (parse->hasAggs)
		return false;

	int relid;

	if (!bms_get_singleton_member(root->all_baserels, &relid))
		return false;

	RelOptInfo *rel = root->simple_rel_array[relid];
	RangeTblEntry *rte = root->simple_rte_array[relid];

	if (rel == NULL || rel->reloptkind != RELOPT_BASEREL || rte->rtekind != RTE_RELATION ||
		rel->indexlist == NIL)
		return false;

	List *exprs = NIL;
	List *equality_ops = NIL;
	ListCell *lc;

	foreach (lc, parse->sortClause)
	{
		SortGroupClause *by = (SortGroupClause *) lfirst(lc);
		Node *expr = get_sortgroupclause_expr(by, parse->targetList);
		Oid collation = exprCollation(expr);

		if (IsA(expr, RelabelType))
			expr = (Node *) ((RelabelType *) expr)->arg;
		/* a key that is not such a column only adds to the order */
		if (!IsA(expr, Var) || (int) ((Var *) expr)->varno != relid || ((Var *) expr)->varlevelsup != 0 ||
			((Var *) expr)->varattno <= 0 ||
			!compat_column_not_null(rel, rte->relid, ((Var *) expr)->varattno) ||
			(OidIsValid(collation) && !get_collation_isdeterministic(collation)))
			continue;
		exprs = lappend(exprs, expr);
		equality_ops = lappend_oid(equality_ops, by->eqop);
	}
	return exprs != NIL && relation_has_unique_index_for(root, rel, NIL, exprs, equality_ops);
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
