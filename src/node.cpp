/*
 * node.cpp
 *		The perturbation node's plan-level identity; see node.hpp.
 */
#include "node.hpp"

#include "shuffle_scan.hpp"

CustomScanMethods unorder_rows_scan_methods = {
	"UnorderRows",
	unorder_rows_create_state,
};

void
unorder_rows_register_scan(void)
{
	RegisterCustomScanMethods(&unorder_rows_scan_methods);
}

bool
is_unorder_rows_scan(const Plan *plan)
{
	return plan != NULL && IsA(plan, CustomScan) &&
		   ((const CustomScan *) plan)->methods == &unorder_rows_scan_methods;
}

bool
unorder_rows_is_block_scan(const CustomScan *cscan)
{
	return cscan->custom_plans == NIL && cscan->scan.scanrelid > 0;
}

Plan **
unorder_rows_child_slot(CustomScan *cscan)
{
	Assert(is_unorder_rows_scan(&cscan->scan.plan) && list_length(cscan->custom_plans) == 1);
	return (Plan **) &linitial(cscan->custom_plans);
}

Plan *
unorder_rows_child(const CustomScan *cscan)
{
	Plan *child = (Plan *) linitial(cscan->custom_plans);

	Assert(is_unorder_rows_scan(&cscan->scan.plan) && list_length(cscan->custom_plans) == 1);
	/*
	 * lefttree is set only for EXPLAIN, and then to the same child (node.hpp).  copyObject
	 * (the plan cache, SPI, plans sent to parallel workers) copies the two pointers apart, so
	 * after a copy lefttree is an equal copy: the same node, known by its plan_node_id.
	 */
	Assert(cscan->scan.plan.lefttree == NULL || cscan->scan.plan.lefttree == child ||
		   (nodeTag(cscan->scan.plan.lefttree) == nodeTag(child) &&
			cscan->scan.plan.lefttree->plan_node_id == child->plan_node_id));
	return child;
}
