/*
 * plan_nodes.hpp
 *		What the passes over a finished plan need to know of PostgreSQL's plan
 *		node types, in one table, and the walks built on it.
 *
 * Every question "which node types ...?" that the planner hook, the order
 * analysis, the cursor pass and the executor ask is answered here, so that a
 * node type is described once (plan_nodes.cpp) rather than listed by hand in
 * each pass.
 */
#ifndef UNORDER_ROWS_PLAN_NODES_HPP
#define UNORDER_ROWS_PLAN_NODES_HPP

#include "pg/postgres_includes.hpp"

#include "node.hpp"

/* What one plan node type is, as far as order is concerned. */
struct PlanNodeProperties
{
	const char *explain_name; /* as EXPLAIN names it ("Seq Scan"); NULL: "plan node" */
	bool heap_scan;           /* scans a heap table: WHERE CURRENT OF can address its rows */
	bool reads_rows;          /* a row source of its own: a table, a foreign or custom scan */
	bool keeps_order;         /* emits its one input's rows in the order received */
	bool maybe_endless;       /* may never end by itself (docs/order-contract.md §4.6) */
	bool repeatable;          /* no side effects: a rescan gives the same rows, if its expressions do */
};

/* plan_node_properties: the properties of a plan node's type (all false for unknown types). */
const PlanNodeProperties &plan_node_properties(const Plan *plan);

/* plan_node_is_heap_scan: whether a plan node scans a heap table. */
bool plan_node_is_heap_scan(const Plan *plan);

/*
 * plan_order_input_slot: where the one input of an order-keeping node is
 * held (lefttree, or a SubqueryScan's subplan); NULL for any other node.
 */
Plan **plan_order_input_slot(Plan *plan);

/*
 * skip_result_and_limit: the first node below a chain of Result and Limit
 * nodes (each reading its lefttree); NULL if the chain ends without one.
 */
Plan *skip_result_and_limit(Plan *plan);

/* skip_result_and_limit_state: the same for executor state nodes. */
PlanState *skip_result_and_limit_state(PlanState *planstate);

/* heap_scan_relation: the table a heap scan node reads, or NULL for any other node. */
Relation heap_scan_relation(PlanState *planstate);

/*
 * for_each_child_slot: call fn on the address of every direct child of a
 * plan node, each once: our own node's child once, though the finished plan
 * names it twice (see unorder_rows_child in node.hpp).
 */
template <typename Fn>
void
for_each_child_slot(Plan *plan, Fn fn)
{
	ListCell *lc;

	if (plan->lefttree != NULL && !is_unorder_rows_scan(plan))
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

/* plan_reads_tables: whether any row of the subtree comes from a table (or a foreign/custom source). */
bool plan_reads_tables(PlannedStmt *stmt, Plan *plan);

/* plan_surely_finite: whether reading the whole subtree surely ends (docs/order-contract.md §4.6). */
bool plan_surely_finite(PlannedStmt *stmt, Plan *plan);

/*
 * plan_repeatable: whether reading a subtree a second time (a rescan) yields
 * the same rows: only node types without side effects, no volatile function,
 * no subplan, and no perturbation node (it would permute differently).
 */
bool plan_repeatable(Plan *plan);

/*
 * plan_output_constant: whether every output column of a plan node (junk
 * columns included) is a constant, directly or through the one input of a
 * node that passes its input's columns up (Limit, Result, Sort, ...): then
 * no two of its rows can be told apart.
 */
bool plan_output_constant(Plan *plan);

/* plan_max_node_id: the largest plan_node_id in a tree. */
int plan_max_node_id(Plan *plan);

#endif
