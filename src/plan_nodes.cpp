/*
 * plan_nodes.cpp
 *		The table of plan node types and the walks built on it; see
 *		plan_nodes.hpp.
 */
#include "plan_nodes.hpp"

namespace
{

struct PlanNodeEntry
{
	NodeTag tag;
	PlanNodeProperties properties;
};

/*
 * One line per node type the passes care about; any other type has none of
 * the properties (not repeatable, not order-keeping: the safe answers).
 *	name, heap_scan, reads_rows, keeps_order, maybe_endless, repeatable
 */
const PlanNodeEntry plan_node_table[] = {
	/* scans */
	{T_SeqScan, {"Seq Scan", true, true, false, false, true}},
	{T_SampleScan, {"Sample Scan", true, true, false, false, false}},
	{T_IndexScan, {"Index Scan", true, true, false, false, true}},
	{T_IndexOnlyScan, {"Index Only Scan", true, true, false, false, true}},
	{T_BitmapHeapScan, {"Bitmap Heap Scan", true, true, false, false, true}},
	{T_BitmapIndexScan, {NULL, false, false, false, false, true}},
	{T_BitmapAnd, {NULL, false, false, false, false, true}},
	{T_BitmapOr, {NULL, false, false, false, false, true}},
	{T_TidScan, {"Tid Scan", true, true, false, false, false}},
	{T_SubqueryScan, {"Subquery Scan", false, false, true, false, true}},
	{T_CteScan, {"CTE Scan", false, false, false, false, false}},
	{T_FunctionScan, {"Function Scan", false, false, false, true, false}},
	{T_WorkTableScan, {NULL, false, false, false, true, false}},
	{T_ForeignScan, {"Foreign Scan", false, true, false, true, false}},
	{T_CustomScan, {NULL, false, true, false, false, false}}, /* ours: see plan_reads_tables */
	/* joins */
	{T_NestLoop, {"Nested Loop", false, false, false, false, true}},
	{T_MergeJoin, {"Merge Join", false, false, false, false, true}},
	{T_HashJoin, {"Hash Join", false, false, false, false, true}},
	/* upper nodes */
	{T_Sort, {"Sort", false, false, false, false, true}},
	{T_IncrementalSort, {"Incremental Sort", false, false, false, false, true}},
	{T_Material, {NULL, false, false, true, false, true}},
	{T_Hash, {NULL, false, false, false, false, true}},
	{T_Agg, {"Aggregate", false, false, false, false, true}},
	{T_Group, {NULL, false, false, false, false, true}},
	{T_Unique, {"Unique", false, false, false, false, true}},
	{T_WindowAgg, {"WindowAgg", false, false, false, false, true}},
	{T_SetOp, {"SetOp", false, false, false, false, false}},
	{T_Append, {"Append", false, false, false, false, true}},
	{T_MergeAppend, {"Merge Append", false, false, false, false, true}},
	{T_RecursiveUnion, {NULL, false, false, false, true, false}},
	{T_Gather, {"Gather", false, false, false, false, true}},
	{T_GatherMerge, {"Gather Merge", false, false, false, false, true}},
	{T_Limit, {"Limit", false, false, true, false, false}},
	{T_Result, {"Result", false, false, true, false, true}},
	{T_ProjectSet, {"ProjectSet", false, false, true, true, false}},
	{T_LockRows, {NULL, false, false, true, false, false}},
};

/* TidRangeScan exists from PostgreSQL 14 on (compat_is_tid_range_scan). */
const PlanNodeProperties tid_range_scan = {"Tid Range Scan", true, true, false, false, false};
const PlanNodeProperties no_properties = {NULL, false, false, false, false, false};

/* The subplan a CteScan reads. */
Plan *
cte_plan(PlannedStmt *stmt, CteScan *scan)
{
	return (Plan *) list_nth(stmt->subplans, scan->ctePlanId - 1);
}

/* Whether an expression gives the same values when evaluated again. */
bool
repeatable_expr(Node *expr)
{
	return !contain_volatile_functions(expr) && !contain_subplans(expr);
}

/* Whether the expressions a node evaluates beyond its target list and qual give the same values again. */
bool
own_exprs_repeatable(Plan *plan)
{
	switch (nodeTag(plan))
	{
		case T_Result:
			return repeatable_expr(((Result *) plan)->resconstantqual);
		case T_IndexScan:
			return repeatable_expr((Node *) ((IndexScan *) plan)->indexqualorig) &&
				   repeatable_expr((Node *) ((IndexScan *) plan)->indexorderbyorig);
		case T_IndexOnlyScan:
			return repeatable_expr((Node *) ((IndexOnlyScan *) plan)->indexqual);
		case T_BitmapIndexScan:
			return repeatable_expr((Node *) ((BitmapIndexScan *) plan)->indexqualorig);
		case T_BitmapHeapScan:
			return repeatable_expr((Node *) ((BitmapHeapScan *) plan)->bitmapqualorig);
		case T_NestLoop:
			return repeatable_expr((Node *) ((Join *) plan)->joinqual);
		case T_MergeJoin:
			return repeatable_expr((Node *) ((Join *) plan)->joinqual) &&
				   repeatable_expr((Node *) ((MergeJoin *) plan)->mergeclauses);
		case T_HashJoin:
			return repeatable_expr((Node *) ((Join *) plan)->joinqual) &&
				   repeatable_expr((Node *) ((HashJoin *) plan)->hashclauses);
		default:
			return true;
	}
}

/* Whether any row of the subtree comes from a table; depth bounds CTE chains. */
bool
reads_tables(PlannedStmt *stmt, Plan *plan, int depth)
{
	if (plan == NULL || depth > 64)
		return depth > 64;
	if (plan_node_properties(plan).reads_rows &&
		(!is_unorder_rows_scan(plan) || unorder_rows_is_block_scan((CustomScan *) plan)))
		return true;
	if (IsA(plan, CteScan))
		return reads_tables(stmt, cte_plan(stmt, (CteScan *) plan), depth + 1);

	bool found = false;

	for_each_child_slot(plan, [&](Plan **child) { found = found || reads_tables(stmt, *child, depth + 1); });
	return found;
}

/* Whether reading the whole subtree surely ends; depth bounds CTE chains. */
bool
surely_finite(PlannedStmt *stmt, Plan *plan, int depth)
{
	if (plan == NULL)
		return true;
	if (depth > 64 || plan_node_properties(plan).maybe_endless)
		return false;
	if (IsA(plan, CteScan))
		return surely_finite(stmt, cte_plan(stmt, (CteScan *) plan), depth + 1);

	bool finite = true;

	for_each_child_slot(plan,
						[&](Plan **child) { finite = finite && surely_finite(stmt, *child, depth + 1); });
	return finite;
}

/* Whether one output column of a node is a constant; depth bounds long chains. */
bool
output_column_constant(Plan *plan, AttrNumber attno, int depth)
{
	if (plan == NULL || depth > 64 || attno < 1 || attno > list_length(plan->targetlist))
		return false;

	Expr *expr = ((TargetEntry *) list_nth(plan->targetlist, attno - 1))->expr;

	while (expr != NULL && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (expr != NULL && IsA(expr, Const))
		return true;
	/* a column handed up from the one input (setrefs' OUTER_VAR of a single-input node) */
	if (expr != NULL && IsA(expr, Var) && ((Var *) expr)->varno == OUTER_VAR && plan->righttree == NULL &&
		!is_unorder_rows_scan(plan))
		return output_column_constant(plan->lefttree, ((Var *) expr)->varattno, depth + 1);
	return false;
}

} // namespace

const PlanNodeProperties &
plan_node_properties(const Plan *plan)
{
	NodeTag tag = nodeTag(plan);

	for (const PlanNodeEntry &entry : plan_node_table)
		if (entry.tag == tag)
			return entry.properties;
	if (compat_is_tid_range_scan((const Node *) plan))
		return tid_range_scan;
	return no_properties;
}

bool
plan_node_is_heap_scan(const Plan *plan)
{
	return plan_node_properties(plan).heap_scan;
}

Plan **
plan_order_input_slot(Plan *plan)
{
	if (!plan_node_properties(plan).keeps_order)
		return NULL;
	return IsA(plan, SubqueryScan) ? &((SubqueryScan *) plan)->subplan : &plan->lefttree;
}

Plan *
skip_result_and_limit(Plan *plan)
{
	while (plan != NULL && (IsA(plan, Result) || IsA(plan, Limit)))
		plan = plan->lefttree;
	return plan;
}

PlanState *
skip_result_and_limit_state(PlanState *planstate)
{
	while (planstate != NULL && (IsA(planstate, ResultState) || IsA(planstate, LimitState)))
		planstate = outerPlanState(planstate);
	return planstate;
}

Relation
heap_scan_relation(PlanState *planstate)
{
	return plan_node_is_heap_scan(planstate->plan) ? ((ScanState *) planstate)->ss_currentRelation : NULL;
}

bool
plan_reads_tables(PlannedStmt *stmt, Plan *plan)
{
	return reads_tables(stmt, plan, 0);
}

bool
plan_surely_finite(PlannedStmt *stmt, Plan *plan)
{
	return surely_finite(stmt, plan, 0);
}

bool
plan_repeatable(Plan *plan)
{
	if (plan == NULL)
		return true;
	if (!plan_node_properties(plan).repeatable || is_unorder_rows_scan(plan))
		return false;
	if (!repeatable_expr((Node *) plan->targetlist) || !repeatable_expr((Node *) plan->qual) ||
		!own_exprs_repeatable(plan))
		return false;

	bool children_ok = true;

	for_each_child_slot(plan, [&](Plan **child) { children_ok = children_ok && plan_repeatable(*child); });
	return children_ok;
}

bool
plan_output_constant(Plan *plan)
{
	for (int i = 1; i <= list_length(plan->targetlist); i++)
		if (!output_column_constant(plan, (AttrNumber) i, 0))
			return false;
	return true;
}

int
plan_max_node_id(Plan *plan)
{
	int max_id = plan != NULL ? plan->plan_node_id : -1;

	if (plan != NULL)
		for_each_child_slot(plan, [&](Plan **child) { max_id = Max(max_id, plan_max_node_id(*child)); });
	return max_id;
}
