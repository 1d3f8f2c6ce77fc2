/*
 * order_analysis.cpp
 *		Settle the perturbation nodes once the whole plan is known.
 *
 * The nodes were added during planning wherever an open order might become
 * visible; only the finished plan shows whether it does:
 *	- rows that come only from set-returning functions or VALUES keep their
 *	  defined order (§4.3, §4.4);
 *	- an aggregate input matters only to order-sensitive aggregates (§3.4);
 *	- a LIMIT over something that may never end (a recursive CTE, a
 *	  set-returning function) must still stop early (§4.6);
 *	- a subquery's result is visible only through ARRAY(subquery);
 *	- a cursor whose rows may be addressed by WHERE CURRENT OF must keep the
 *	  scan or LockRows node on top (§5.1);
 *	- two nodes stacked on the same rows could undo each other, so one goes.
 * Removed nodes are spliced out (their child takes their place), so a
 * statement that needs no perturbation runs exactly the plan it had.
 */
#include "order_analysis.hpp"

#include "perturbation_spec.hpp"
#include "settings.hpp"
#include "shuffle_scan.hpp"

struct FinalizeContext
{
	PlannedStmt *stmt;
	bool is_cursor;
	Bitmapset *array_sublink_plans; /* plan_ids of ARRAY(subquery) subplans */
	int current_plan_id;            /* 0 for the main tree */
};

/* ---- walking plan trees ---- */

/* Call fn on the address of every direct child of a plan node. */
template <typename Fn>
static void
for_each_child_slot(Plan *plan, Fn fn)
{
	ListCell *lc;

	if (plan->lefttree != NULL)
		fn(&plan->lefttree);
	if (plan->righttree != NULL)
		fn(&plan->righttree);
	switch (nodeTag(plan))
	{
		case T_Append:
			foreach (lc, ((Append *) plan)->appendplans)
				fn((Plan **) &lfirst(lc));
			break;
		case T_MergeAppend:
			foreach (lc, ((MergeAppend *) plan)->mergeplans)
				fn((Plan **) &lfirst(lc));
			break;
		case T_BitmapAnd:
			foreach (lc, ((BitmapAnd *) plan)->bitmapplans)
				fn((Plan **) &lfirst(lc));
			break;
		case T_BitmapOr:
			foreach (lc, ((BitmapOr *) plan)->bitmapplans)
				fn((Plan **) &lfirst(lc));
			break;
		case T_SubqueryScan:
			fn(&((SubqueryScan *) plan)->subplan);
			break;
		case T_CustomScan:
			foreach (lc, ((CustomScan *) plan)->custom_plans)
				fn((Plan **) &lfirst(lc));
			break;
		case T_ModifyTable:
			compat_for_each_modify_table_plan(plan, fn);
			break;
		default:
			break;
	}
}

/* Whether a plan node scans a heap table (the scans WHERE CURRENT OF can address). */
static bool
is_heap_scan(const Plan *plan)
{
	switch (nodeTag(plan))
	{
		case T_SeqScan:
		case T_SampleScan:
		case T_IndexScan:
		case T_IndexOnlyScan:
		case T_BitmapHeapScan:
		case T_TidScan:
			return true;
		default:
			return compat_is_tid_range_scan((const Node *) plan);
	}
}

/* The subplan a CteScan reads. */
static Plan *
cte_plan(FinalizeContext *ctx, CteScan *scan)
{
	return (Plan *) list_nth(ctx->stmt->subplans, scan->ctePlanId - 1);
}

/* Whether any row of the subtree comes from a table (or a foreign/custom source). */
static bool
reads_tables(FinalizeContext *ctx, Plan *plan, int depth = 0)
{
	if (plan == NULL || depth > 64)
		return depth > 64;
	if (is_heap_scan(plan))
		return true;
	switch (nodeTag(plan))
	{
		case T_ForeignScan:
			return true;
		case T_CustomScan:
			if (!is_unorder_rows_scan(plan))
				return true;
			break;
		case T_CteScan:
			return reads_tables(ctx, cte_plan(ctx, (CteScan *) plan), depth + 1);
		default:
			break;
	}

	bool found = false;

	for_each_child_slot(plan, [&](Plan **child) { found = found || reads_tables(ctx, *child, depth + 1); });
	return found;
}

/* Whether reading the whole subtree surely ends (§4.6). */
static bool
surely_finite(FinalizeContext *ctx, Plan *plan, int depth = 0)
{
	if (plan == NULL)
		return true;
	if (depth > 64)
		return false;
	switch (nodeTag(plan))
	{
		case T_RecursiveUnion:
		case T_WorkTableScan:
		case T_FunctionScan:
		case T_ProjectSet:
		case T_ForeignScan:
			return false;
		case T_CteScan:
			return surely_finite(ctx, cte_plan(ctx, (CteScan *) plan), depth + 1);
		default:
			break;
	}

	bool finite = true;

	for_each_child_slot(plan,
						[&](Plan **child) { finite = finite && surely_finite(ctx, *child, depth + 1); });
	return finite;
}

/* ---- aggregates ---- */

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

/* ---- ARRAY(subquery) ---- */

/* expression_tree_walker callback: records ARRAY sublink subplans. */
static bool
collect_array_sublinks(Node *node, void *context)
{
	FinalizeContext *ctx = (FinalizeContext *) context;

	if (node == NULL)
		return false;
	if (IsA(node, SubPlan) && ((SubPlan *) node)->subLinkType == ARRAY_SUBLINK)
		ctx->array_sublink_plans = bms_add_member(ctx->array_sublink_plans, ((SubPlan *) node)->plan_id);
	return compat_expression_tree_walker(node, collect_array_sublinks, context);
}

/* Record the ARRAY sublinks used anywhere in a plan tree's expressions. */
static void
collect_array_sublinks_in_plan(FinalizeContext *ctx, Plan *plan)
{
	if (plan == NULL)
		return;
	collect_array_sublinks((Node *) plan->targetlist, ctx);
	collect_array_sublinks((Node *) plan->qual, ctx);
	collect_array_sublinks((Node *) plan->initPlan, ctx);
	switch (nodeTag(plan))
	{
		case T_Result:
			collect_array_sublinks(((Result *) plan)->resconstantqual, ctx);
			break;
		case T_NestLoop:
		case T_MergeJoin:
		case T_HashJoin:
			collect_array_sublinks((Node *) ((Join *) plan)->joinqual, ctx);
			break;
		case T_FunctionScan:
			collect_array_sublinks((Node *) ((FunctionScan *) plan)->functions, ctx);
			break;
		case T_ValuesScan:
			collect_array_sublinks((Node *) ((ValuesScan *) plan)->values_lists, ctx);
			break;
		case T_ModifyTable:
			collect_array_sublinks((Node *) ((ModifyTable *) plan)->returningLists, ctx);
			break;
		default:
			break;
	}
	for_each_child_slot(plan, [&](Plan **child) { collect_array_sublinks_in_plan(ctx, *child); });
}

/* ---- cursors ---- */

/*
 * Whether WHERE CURRENT OF could address rows of this subtree through a scan
 * (what execCurrentOf's search_plan_tree accepts): a chain of Result and
 * Limit nodes over a scan of a table or an Append of such scans.
 */
static bool
is_simply_updatable(Plan *plan)
{
	while (plan != NULL && (IsA(plan, Result) || IsA(plan, Limit) || IsA(plan, SubqueryScan)))
		plan = IsA(plan, SubqueryScan) ? ((SubqueryScan *) plan)->subplan : plan->lefttree;
	if (plan == NULL)
		return false;
	if (is_heap_scan(plan))
		return true;
	switch (nodeTag(plan))
	{
		case T_ForeignScan:
			return true;
		case T_Append:
		{
			ListCell *lc;

			foreach (lc, ((Append *) plan)->appendplans)
				if (is_simply_updatable((Plan *) lfirst(lc)))
					return true;
			return false;
		}
		default:
			return false;
	}
}

/*
 * The scan a cursor's WHERE CURRENT OF would address through this subtree,
 * if it is a single heap scan under Result/Limit nodes; NULL otherwise.
 */
static Plan *
single_heap_scan_below(Plan *plan)
{
	while (plan != NULL && (IsA(plan, Result) || IsA(plan, Limit)))
		plan = plan->lefttree;
	return plan != NULL && is_heap_scan(plan) ? plan : NULL;
}

/* Whether a LockRows node sits on top of the subtree (below Limit/Result). */
static bool
has_lock_rows_on_top(Plan *plan)
{
	while (plan != NULL && (IsA(plan, Result) || IsA(plan, Limit)))
		plan = plan->lefttree;
	return plan != NULL && IsA(plan, LockRows);
}

/* Whether a subtree returns at most one row, whatever the data. */
static bool
at_most_one_row(Plan *plan)
{
	while (plan != NULL && (IsA(plan, Result) || IsA(plan, Limit)) && plan->lefttree != NULL)
	{
		if (IsA(plan, Limit))
		{
			Node *count = ((Limit *) plan)->limitCount;

			if (count != NULL && IsA(count, Const) && !((Const *) count)->constisnull &&
				DatumGetInt64(((Const *) count)->constvalue) <= 1)
				return true;
		}
		plan = plan->lefttree;
	}
	if (plan == NULL)
		return true;
	if (IsA(plan, Result))
		return plan->lefttree == NULL;
	return IsA(plan, Agg) && ((Agg *) plan)->aggstrategy == AGG_PLAIN && ((Agg *) plan)->groupingSets == NIL;
}

/*
 * The LIMIT's OFFSET and count, for a node right below it to sample only the
 * rows the LIMIT reads (shuffle_scan.cpp); NIL when the node cannot know them
 * in advance.  The node evaluates the expressions a second time, so they must
 * give the LIMIT's values: nothing volatile, no subplan (an initPlan's Param
 * is fine: it is computed once).
 */
static List *
limit_sample_exprs(Limit *limit)
{
	if (limit->limitCount == NULL || limit->limitOption != LIMIT_OPTION_COUNT)
		return NIL;

	Node *offset = limit->limitOffset != NULL ? (Node *) copyObject(limit->limitOffset)
											  : (Node *) makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
																   Int64GetDatum(0), false, FLOAT8PASSBYVAL);
	Node *count = (Node *) copyObject(limit->limitCount);

	if (contain_volatile_functions(offset) || contain_volatile_functions(count) || contain_subplans(offset) ||
		contain_subplans(count))
		return NIL;
	return list_make2(offset, count);
}

/* Whether an expression gives the same values when evaluated again. */
static bool
repeatable_expr(Node *expr)
{
	return !contain_volatile_functions(expr) && !contain_subplans(expr);
}

/*
 * Whether reading a subtree a second time (a rescan) yields the same rows:
 * only node types without side effects, no volatile function, no subplan,
 * and no perturbation node (it would permute differently).  Conservative:
 * any node type not listed is taken as not repeatable.
 */
static bool
repeatable_subtree(Plan *plan)
{
	if (plan == NULL)
		return true;
	if (!repeatable_expr((Node *) plan->targetlist) || !repeatable_expr((Node *) plan->qual))
		return false;

	bool exprs_ok;

	switch (nodeTag(plan))
	{
		case T_SeqScan:
		case T_Sort:
		case T_IncrementalSort:
		case T_Material:
		case T_Append:
		case T_MergeAppend:
		case T_BitmapAnd:
		case T_BitmapOr:
		case T_Hash:
		case T_Agg:
		case T_Group:
		case T_Unique:
		case T_WindowAgg:
		case T_SubqueryScan:
		case T_Gather:
		case T_GatherMerge:
			exprs_ok = true;
			break;
		case T_Result:
			exprs_ok = repeatable_expr(((Result *) plan)->resconstantqual);
			break;
		case T_IndexScan:
			exprs_ok = repeatable_expr((Node *) ((IndexScan *) plan)->indexqualorig) &&
					   repeatable_expr((Node *) ((IndexScan *) plan)->indexorderbyorig);
			break;
		case T_IndexOnlyScan:
			exprs_ok = repeatable_expr((Node *) ((IndexOnlyScan *) plan)->indexqual);
			break;
		case T_BitmapIndexScan:
			exprs_ok = repeatable_expr((Node *) ((BitmapIndexScan *) plan)->indexqualorig);
			break;
		case T_BitmapHeapScan:
			exprs_ok = repeatable_expr((Node *) ((BitmapHeapScan *) plan)->bitmapqualorig);
			break;
		case T_NestLoop:
			exprs_ok = repeatable_expr((Node *) ((Join *) plan)->joinqual);
			break;
		case T_MergeJoin:
			exprs_ok = repeatable_expr((Node *) ((Join *) plan)->joinqual) &&
					   repeatable_expr((Node *) ((MergeJoin *) plan)->mergeclauses);
			break;
		case T_HashJoin:
			exprs_ok = repeatable_expr((Node *) ((Join *) plan)->joinqual) &&
					   repeatable_expr((Node *) ((HashJoin *) plan)->hashclauses);
			break;
		default:
			return false;
	}

	bool children_ok = exprs_ok;

	for_each_child_slot(plan, [&](Plan **child) { children_ok = children_ok && repeatable_subtree(*child); });
	return children_ok;
}

/* ---- stacking ---- */

/*
 * The nearest active perturbation node whose rows reach this subtree's
 * output unchanged in order (through nodes that keep order), or NULL.
 * *through_limit tells whether a LIMIT lies in between.
 */
static CustomScan *
stacked_node_below(Plan *plan, bool *through_limit)
{
	*through_limit = false;
	while (plan != NULL)
	{
		if (is_unorder_rows_scan(plan))
			return (CustomScan *) plan;
		switch (nodeTag(plan))
		{
			case T_Limit:
				*through_limit = true;
				plan = plan->lefttree;
				break;
			case T_Result:
			case T_LockRows:
			case T_Material:
			case T_ProjectSet:
				plan = plan->lefttree;
				break;
			case T_SubqueryScan:
				plan = ((SubqueryScan *) plan)->subplan;
				break;
			default:
				return NULL;
		}
	}
	return NULL;
}

/* ---- the node's target list ---- */

/*
 * A node that passes its child's columns through must output column i from
 * its scan tuple's column i.  setrefs matched its target list to the scan
 * tuple (custom_scan_tlist) by equal() instead: a column equal to an earlier
 * one points at the earlier one, and a constant stays a constant.  Both are
 * wrong where the child gives equal expressions different values, as
 * grouping sets do when they null a column for some groups, or where two
 * columns differ only by type (same_column_other_type)
 * ("g AS a, g AS b ... GROUP BY a, ROLLUP(b)"; "SELECT 1 AS x ... GROUPING
 * SETS (1, 2)").  NULL constants stay: INSERT requires them at dropped
 * columns, and they are right anyway.
 */
/*
 * setrefs matches Vars by varno and varattno only: two Vars of one column
 * with different types (a view's whole-row Var as its row type and as
 * record, both in an UPDATE's target list) point at the same scan column,
 * and the executor then rejects one of them ("attribute 1 of type record has
 * wrong type").
 */
static bool
same_column_other_type(Expr *matched, Expr *own, Var *var)
{
	return IsA(matched, Var) && IsA(own, Var) && ((Var *) matched)->varno == ((Var *) own)->varno &&
		   ((Var *) matched)->varattno == ((Var *) own)->varattno && ((Var *) own)->vartype == var->vartype;
}

static void
point_columns_at_own_position(CustomScan *cscan)
{
	Plan *child = (Plan *) linitial(cscan->custom_plans);
	List *scan_tlist = cscan->custom_scan_tlist;
	ListCell *lc;
	int position = 0;

	if (list_length(cscan->scan.plan.targetlist) != list_length(scan_tlist) ||
		list_length(scan_tlist) != list_length(child->targetlist))
		return;
	foreach (lc, cscan->scan.plan.targetlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);
		Expr *own = ((TargetEntry *) list_nth(scan_tlist, position))->expr;
		Expr *childs = ((TargetEntry *) list_nth(child->targetlist, position))->expr;

		position++;
		if (IsA(tle->expr, Var) && ((Var *) tle->expr)->varno == INDEX_VAR)
		{
			Var *var = (Var *) tle->expr;
			Expr *matched = ((TargetEntry *) list_nth(scan_tlist, var->varattno - 1))->expr;

			if (var->varattno != position &&
				(equal(matched, own) || same_column_other_type(matched, own, var)))
			{
				var = (Var *) copyObject(var);
				var->varattno = position;
				tle->expr = (Expr *) var;
			}
		}
		else if (IsA(tle->expr, Const) && !((Const *) tle->expr)->constisnull && !equal(tle->expr, childs))
		{
			Const *constant = (Const *) tle->expr;

			tle->expr = (Expr *) makeVar(INDEX_VAR, position, constant->consttype, constant->consttypmod,
										 constant->constcollid, 0);
		}
	}
}

/* ---- settling one node ---- */

/*
 * Replace a node by its child if its target list is a plain pass-through;
 * the child inherits the column labels (names, junk markers) and initPlans.
 */
static Plan *
splice_out(CustomScan *cscan)
{
	Plan *child = (Plan *) linitial(cscan->custom_plans);
	List *tlist = cscan->scan.plan.targetlist;

	if (list_length(tlist) != list_length(child->targetlist) ||
		list_length(cscan->custom_scan_tlist) != list_length(child->targetlist))
		return &cscan->scan.plan;

	ListCell *lc1;
	ListCell *lc2;

	forboth(lc1, tlist, lc2, child->targetlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc1);
		TargetEntry *child_tle = (TargetEntry *) lfirst(lc2);
		Var *var = (Var *) tle->expr;
		bool passes_through = IsA(var, Var) && var->varno == INDEX_VAR && var->varattno == tle->resno;

		if (!passes_through && !equal(tle->expr, child_tle->expr))
			return &cscan->scan.plan; /* keep it as an inactive node */
	}
	forboth(lc1, tlist, lc2, child->targetlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc1);
		TargetEntry *child_tle = (TargetEntry *) lfirst(lc2);

		child_tle->resname = tle->resname;
		child_tle->resjunk = tle->resjunk;
		child_tle->ressortgroupref = tle->ressortgroupref;
		child_tle->resorigtbl = tle->resorigtbl;
		child_tle->resorigcol = tle->resorigcol;
	}
	/*
	 * The node's initPlans (it was the top of its query level) move to the
	 * child, and with them:
	 * - the Params they depend on: a rescan marks a node's initPlans for
	 *   re-evaluation only for changed Params in the node's allParam
	 *   (SS_finalize_plan counted them in the node's, not in the child's),
	 *   or a correlated initPlan keeps a stale value;
	 * - parallel unsafety: workers are not sent parallel-unsafe subplans, so
	 *   a child that initializes one would fail ("subplan ... was not
	 *   initialized").  The planner marked the level's top path, our node,
	 *   as such (SS_charge_for_initplans), not the child.
	 */
	if (cscan->scan.plan.initPlan != NIL)
	{
		child->initPlan = list_concat(child->initPlan, cscan->scan.plan.initPlan);
		child->extParam = bms_union(child->extParam, cscan->scan.plan.extParam);
		child->allParam = bms_union(child->allParam, cscan->scan.plan.allParam);
		child->parallel_safe = false;
	}
	return child;
}

/* Deactivate a node: it will pass rows through, or be spliced out. */
static Plan *
deactivate(CustomScan *cscan, PerturbationSpec *spec)
{
	spec->scope = SCOPE_NONE;
	perturbation_spec_write(cscan, spec);
	return splice_out(cscan);
}

/* Decide whether a node is needed, given its parent; returns its replacement. */
static Plan *
settle_node(FinalizeContext *ctx, CustomScan *cscan, Plan *parent)
{
	PerturbationSpec spec;
	Plan *child = (Plan *) linitial(cscan->custom_plans);
	bool top_level = ctx->current_plan_id == 0;

	perturbation_spec_read(cscan, &spec);
	if (spec.level_flags & NODE_PASSES_THROUGH)
		point_columns_at_own_position(cscan);
	if (spec.scope == SCOPE_NONE)
		return deactivate(cscan, &spec);

	/* rows made by functions and VALUES only keep their order (§4.3, §4.4) */
	bool keep_function_rows =
		spec.kind == KIND_DML ? !(unorder_rows_perturb_values_returning || unorder_rows_perturb_function_rows)
							  : !unorder_rows_perturb_function_rows;

	if (keep_function_rows && !reads_tables(ctx, child))
		return deactivate(cscan, &spec);
	/* one row has no order (an aggregate without GROUP BY, a lone Result) */
	if (spec.kind != KIND_DML && at_most_one_row(child))
		return deactivate(cscan, &spec);

	switch (spec.kind)
	{
		case KIND_AGGREGATE:
			if (parent == NULL || !IsA(parent, Agg) ||
				!(find_order_sensitive_aggref((Node *) parent->targetlist, NULL) ||
				  find_order_sensitive_aggref((Node *) parent->qual, NULL)))
				return deactivate(cscan, &spec);
			break;
		case KIND_RESULT:
			if (!(spec.level_flags & LEVEL_TOP))
			{
				/* a subquery's order is seen only by ARRAY(subquery) */
				bool subplan_root = parent == NULL || IsA(parent, Result) || IsA(parent, ProjectSet);

				if (top_level || !subplan_root ||
					!bms_is_member(ctx->current_plan_id, ctx->array_sublink_plans))
					return deactivate(cscan, &spec);
				if (!(spec.level_flags & LEVEL_HAS_ORDER_BY) &&
					(unorder_rows_perturb_subquery_order || !(spec.level_flags & LEVEL_READS_ORDERED)))
				{
					spec.scope = SCOPE_ALL;
					spec.nkeys = 0;
				}
			}
			else if (ctx->is_cursor && has_lock_rows_on_top(child))
				return deactivate(cscan, &spec); /* LockRows must see the row CURRENT OF names */
												 /* FALLTHROUGH */
		case KIND_LIMIT:
			if (spec.kind == KIND_LIMIT && !surely_finite(ctx, child))
				return deactivate(cscan, &spec);
			/* WHERE CURRENT OF must find the row just fetched (§5.1) */
			if (ctx->is_cursor && top_level && is_simply_updatable(child))
			{
				if (single_heap_scan_below(child) == NULL)
					return deactivate(cscan, &spec);
				spec.level_flags |= NODE_TRACKS_ROW_IDENTITY;
			}
			break;
		default:
			break;
	}

	/* one node per stretch of rows: two could undo each other */
	bool through_limit;
	CustomScan *below = stacked_node_below(child, &through_limit);

	if (below != NULL)
	{
		PerturbationSpec below_spec;

		perturbation_spec_read(below, &below_spec);
		if (!(spec.scope == SCOPE_ALL && below_spec.scope == SCOPE_WITHIN_RUNS))
			return deactivate(cscan, &spec);
		if (!through_limit)
		{
			/* this node shuffles everything the one below only shuffles within ties */
			below_spec.scope = SCOPE_NONE;
			perturbation_spec_write(below, &below_spec);
		}
	}
	/*
	 * Right below its LIMIT, a node needs only as many rows as the LIMIT
	 * reads.  Shuffling everything, it samples them; shuffling ties, it lets
	 * a sort below keep only the top rows (as the LIMIT would have), which it
	 * may have to read again, whole, when the run of ties at the LIMIT's last
	 * row reaches past them.
	 */
	if (spec.kind == KIND_LIMIT && parent != NULL && IsA(parent, Limit) &&
		!(spec.level_flags & NODE_TRACKS_ROW_IDENTITY) &&
		(spec.scope == SCOPE_ALL || (spec.scope == SCOPE_WITHIN_RUNS && repeatable_subtree(child))))
		cscan->custom_exprs = limit_sample_exprs((Limit *) parent);
	perturbation_spec_write(cscan, &spec);
	return &cscan->scan.plan;
}

/* Splice out the stacked node below a slot if it was switched off. */
static void
splice_inactive_below(Plan **slot)
{
	while (*slot != NULL)
	{
		Plan *plan = *slot;

		if (is_unorder_rows_scan(plan))
		{
			PerturbationSpec spec;

			perturbation_spec_read((CustomScan *) plan, &spec);
			if (spec.scope == SCOPE_NONE)
				*slot = splice_out((CustomScan *) plan);
			return;
		}
		switch (nodeTag(plan))
		{
			case T_Limit:
			case T_Result:
			case T_LockRows:
			case T_Material:
			case T_ProjectSet:
				slot = &plan->lefttree;
				break;
			case T_SubqueryScan:
				slot = &((SubqueryScan *) plan)->subplan;
				break;
			default:
				return;
		}
	}
}

/* Settle every node of a tree, children first; returns the tree's new root. */
static Plan *
settle_tree(FinalizeContext *ctx, Plan *plan, Plan *parent)
{
	if (plan == NULL)
		return NULL;
	for_each_child_slot(plan, [&](Plan **child) { *child = settle_tree(ctx, *child, plan); });
	if (is_unorder_rows_scan(plan))
	{
		CustomScan *cscan = (CustomScan *) plan;
		Plan *replacement = settle_node(ctx, cscan, parent);

		/* a node below that was switched off by this one: splice it out too */
		if (replacement == plan)
			splice_inactive_below((Plan **) &linitial(cscan->custom_plans));
		return replacement;
	}
	return plan;
}

/* ---- cursors that fetch backward ---- */

/*
 * Whether a node can fetch backward itself: a cursor's node standing in for
 * a plain scan that permutes all its rows (shuffle_scan.cpp steps back
 * through the permutation it holds).  WHERE CURRENT OF needs such a node to
 * be the cursor's top, so a Material cannot give scrolling there.
 */
static bool
fetches_backward(CustomScan *cscan)
{
	PerturbationSpec spec;

	perturbation_spec_read(cscan, &spec);
	return (spec.level_flags & NODE_TRACKS_ROW_IDENTITY) && spec.scope == SCOPE_ALL;
}

/*
 * Whether the plan could scan backward if the perturbation nodes were not
 * there: each node is briefly marked as able to iff its child is, and
 * PostgreSQL's own test is asked.
 */
static void
mark_nodes_transparent(Plan *plan, bool on)
{
	if (plan == NULL)
		return;
	for_each_child_slot(plan, [&](Plan **child) { mark_nodes_transparent(*child, on); });
	if (is_unorder_rows_scan(plan))
	{
		CustomScan *cscan = (CustomScan *) plan;

		if (on ? ExecSupportsBackwardScan((Plan *) linitial(cscan->custom_plans)) : fetches_backward(cscan))
			cscan->flags |= CUSTOMPATH_SUPPORT_BACKWARD_SCAN;
		else
			cscan->flags &= ~CUSTOMPATH_SUPPORT_BACKWARD_SCAN;
	}
}

/* Mark each node as able to scan backward iff it fetches backward itself. */
static void
flag_backward_capable_nodes(Plan *plan)
{
	mark_nodes_transparent(plan, false);
}

static bool
backward_scan_without_nodes(Plan *plan)
{
	mark_nodes_transparent(plan, true);
	bool result = ExecSupportsBackwardScan(plan);

	flag_backward_capable_nodes(plan);
	return result;
}

/* Switch off and splice out the nodes that stand in for a scan towards WHERE CURRENT OF. */
static void
remove_row_identity_nodes(Plan **slot)
{
	Plan *plan = *slot;

	if (plan == NULL)
		return;
	for_each_child_slot(plan, [&](Plan **child) { remove_row_identity_nodes(child); });
	if (is_unorder_rows_scan(plan))
	{
		PerturbationSpec spec;

		perturbation_spec_read((CustomScan *) plan, &spec);
		if (spec.level_flags & NODE_TRACKS_ROW_IDENTITY)
		{
			spec.level_flags &= ~NODE_TRACKS_ROW_IDENTITY;
			*slot = deactivate((CustomScan *) plan, &spec);
		}
	}
}

static bool
has_row_identity_node(Plan *plan)
{
	bool found = false;

	if (plan == NULL)
		return false;
	if (is_unorder_rows_scan(plan))
	{
		PerturbationSpec spec;

		perturbation_spec_read((CustomScan *) plan, &spec);
		found = (spec.level_flags & NODE_TRACKS_ROW_IDENTITY) != 0;
	}
	for_each_child_slot(plan, [&](Plan **child) { found = found || has_row_identity_node(*child); });
	return found;
}

static int
max_plan_node_id(Plan *plan)
{
	int max_id = plan != NULL ? plan->plan_node_id : -1;

	if (plan != NULL)
		for_each_child_slot(plan, [&](Plan **child) { max_id = Max(max_id, max_plan_node_id(*child)); });
	return max_id;
}

/* A Material on top of the plan (what standard_planner adds for SCROLL cursors), after setrefs. */
static void
add_top_material(PlannedStmt *stmt)
{
	Plan *child = stmt->planTree;
	Material *material = makeNode(Material);
	Plan *plan = &material->plan;
	ListCell *lc;
	int max_id = max_plan_node_id(child);

	foreach (lc, stmt->subplans)
		max_id = Max(max_id, max_plan_node_id((Plan *) lfirst(lc)));
	/* references to the child's columns, as set_dummy_tlist_references makes them */
	foreach (lc, child->targetlist)
	{
		TargetEntry *tle = flatCopyTargetEntry((TargetEntry *) lfirst(lc));

		if (!IsA(tle->expr, Const))
			tle->expr =
				(Expr *) makeVar(OUTER_VAR, tle->resno, exprType((Node *) tle->expr),
								 exprTypmod((Node *) tle->expr), exprCollation((Node *) tle->expr), 0);
		plan->targetlist = lappend(plan->targetlist, tle);
	}
	plan->lefttree = child;
	plan->startup_cost = child->startup_cost;
	plan->total_cost = child->total_cost;
	plan->plan_rows = child->plan_rows;
	plan->plan_width = child->plan_width;
	plan->parallel_aware = false;
	plan->parallel_safe = child->parallel_safe;
	plan->plan_node_id = max_id + 1;
	plan->extParam = bms_copy(child->extParam);
	plan->allParam = bms_copy(child->allParam);
	stmt->planTree = plan;
}

/*
 * A perturbation node cannot scan backward, so it must not take away what a
 * cursor could do without it (§5.5):
 *	- SCROLL: standard_planner put a Material on top of the node.  If the
 *	  plan could scan backward without the nodes, the Material is there only
 *	  because of them; WHERE CURRENT OF cannot see through it, so a node
 *	  standing in for the cursor's scan goes (the cursor keeps the plan it
 *	  would have had), and the Material goes once it is not needed.
 *	- neither SCROLL nor NO SCROLL: PostgreSQL lets the cursor fetch backward
 *	  when the plan can (PerformCursorOpen, SPI_cursor_open).  A Material on
 *	  top keeps it so, except above a node standing in for a scan, which
 *	  WHERE CURRENT OF must see (MOVE BACKWARD on such a cursor needs the
 *	  node itself to scan backward).
 */
static void
keep_cursor_scrollable(PlannedStmt *stmt, int cursor_options)
{
	flag_backward_capable_nodes(stmt->planTree);
	if (cursor_options & CURSOR_OPT_SCROLL)
	{
		Plan *top = stmt->planTree;

		if (!IsA(top, Material))
			return;
		if (!ExecSupportsBackwardScan(top->lefttree) && backward_scan_without_nodes(top->lefttree))
			remove_row_identity_nodes(&top->lefttree);
		if (ExecSupportsBackwardScan(top->lefttree))
		{
			Plan *below = top->lefttree;

			/* materialize_finished_plan moved the initPlans up: back, with their Params (see splice_out) */
			below->initPlan = list_concat(top->initPlan, below->initPlan);
			below->extParam = bms_union(below->extParam, top->extParam);
			below->allParam = bms_union(below->allParam, top->allParam);
			stmt->planTree = below;
		}
		return;
	}
	if ((cursor_options & CURSOR_OPT_NO_SCROLL) || stmt->rowMarks != NIL)
		return;
	if (!ExecSupportsBackwardScan(stmt->planTree) && backward_scan_without_nodes(stmt->planTree))
	{
		/*
		 * WHERE CURRENT OF cannot see through a Material: a node standing in
		 * for the cursor's scan that cannot fetch backward itself (one that
		 * permutes within ties) goes instead, and the cursor keeps the plan
		 * it would have had.
		 */
		if (has_row_identity_node(stmt->planTree))
			remove_row_identity_nodes(&stmt->planTree);
		if (!ExecSupportsBackwardScan(stmt->planTree))
			add_top_material(stmt);
	}
}

/* ---- what EXPLAIN prints ---- */

/*
 * EXPLAIN names a node's columns (Output, Tie Keys) from custom_scan_tlist,
 * a copy of the child's target list made before setrefs, as if its Vars were
 * table columns.  Some are not: a set operation's output columns (varno 0)
 * end up naming whatever table the range table offset points at, or fail
 * ("bogus varno").  Once setrefs is done, point each column at the child's
 * output instead (OUTER_VAR, with the child as lefttree, where ruleutils
 * looks for it), as for any node that reads a child: EXPLAIN then prints the
 * child's expressions.  The executor uses custom_scan_tlist only for the
 * scan tuple's types, which stay the same, and ignores lefttree.
 */
static void
name_columns_after_child(Plan *plan)
{
	if (plan == NULL)
		return;
	for_each_child_slot(plan, [&](Plan **child) { name_columns_after_child(*child); });
	if (!is_unorder_rows_scan(plan))
		return;

	CustomScan *cscan = (CustomScan *) plan;
	ListCell *lc;

	foreach (lc, cscan->custom_scan_tlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		tle->expr = (Expr *) makeVar(OUTER_VAR, tle->resno, exprType((Node *) tle->expr),
									 exprTypmod((Node *) tle->expr), exprCollation((Node *) tle->expr), 0);
	}
	cscan->scan.plan.lefttree = (Plan *) linitial(cscan->custom_plans);
}

void
finalize_perturbation_nodes(PlannedStmt *stmt, int cursor_options)
{
	FinalizeContext ctx;
	ListCell *lc;
	int plan_id = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.stmt = stmt;
	ctx.is_cursor = (cursor_options & CURSOR_OPT_FAST_PLAN) != 0;

	collect_array_sublinks_in_plan(&ctx, stmt->planTree);
	foreach (lc, stmt->subplans)
		collect_array_sublinks_in_plan(&ctx, (Plan *) lfirst(lc));

	foreach (lc, stmt->subplans)
	{
		ctx.current_plan_id = ++plan_id;
		lfirst(lc) = settle_tree(&ctx, (Plan *) lfirst(lc), NULL);
	}
	ctx.current_plan_id = 0;
	stmt->planTree = settle_tree(&ctx, stmt->planTree, NULL);
	if (ctx.is_cursor)
		keep_cursor_scrollable(stmt, cursor_options);

	/* last: the walks above (for_each_child_slot) must not see the child twice */
	foreach (lc, stmt->subplans)
		name_columns_after_child((Plan *) lfirst(lc));
	name_columns_after_child(stmt->planTree);
}
