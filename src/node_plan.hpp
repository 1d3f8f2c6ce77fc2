/*
 * node_plan.hpp
 *		Changes to a perturbation node in a finished plan, shared by the order
 *		analysis and the cursor pass.
 */
#ifndef UNORDER_ROWS_NODE_PLAN_HPP
#define UNORDER_ROWS_NODE_PLAN_HPP

#include "node.hpp"

/*
 * point_columns_at_own_position: make a node that passes its child's columns
 * through output column i from its scan tuple's column i (setrefs may have
 * matched equal expressions to the first of them).
 */
void point_columns_at_own_position(CustomScan *cscan);

/*
 * splice_out_node: the node's child, which takes its place, if the node's
 * target list is a plain pass-through (the child inherits the column labels
 * and initPlans); else the node itself, kept inactive.
 */
Plan *splice_out_node(CustomScan *cscan);

/* deactivate_node: switch a node off (scope none) and splice it out where possible. */
Plan *deactivate_node(CustomScan *cscan, PerturbationSpec *spec);

/*
 * become_block_scan: make a node whose child is a Seq Scan scan that table
 * itself (block_scan.hpp), taking over the scan's quals and computing the
 * scan's output columns; false (nothing changed) if its target list is not
 * a plain selection of the child's columns and constants.
 */
bool become_block_scan(CustomScan *cscan);

/*
 * name_columns_after_child: point each node's columns at its child's output,
 * for EXPLAIN; the last step of finalize_perturbation_nodes.
 */
void name_columns_after_child(Plan *plan);

#endif
