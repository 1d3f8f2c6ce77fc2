/*
 * node.hpp
 *		The identity of a perturbation node in a plan: its CustomScan methods,
 *		how to recognise one, its child, and its copyable plan data
 *		(perturbation_spec.hpp).
 *
 * The planner hook, the order analysis and the reports include this header;
 * only the executor (shuffle_scan*.cpp) knows the node's run-time state.
 *
 * The plan is a tree with one exception: after finalize_perturbation_nodes,
 * a node's child is held both in custom_plans (where the executor and the
 * plan walks read it) and in lefttree (where EXPLAIN's ruleutils looks for an
 * OUTER_VAR's node; see name_columns_after_child).  copyObject copies the
 * two apart, so a copied plan holds two equal copies of the child; only the
 * one in custom_plans is ever executed.  Read the child only through
 * unorder_rows_child(), which checks that the two agree;
 * for_each_child_slot (plan_nodes.hpp) visits it once.
 */
#ifndef UNORDER_ROWS_NODE_HPP
#define UNORDER_ROWS_NODE_HPP

#include "pg/postgres_includes.hpp"

#include "perturbation_spec.hpp"

/* The plan-node methods; custom_name "UnorderRows". */
extern CustomScanMethods unorder_rows_scan_methods;

/* unorder_rows_register_scan: register the node so workers can read plans. */
void unorder_rows_register_scan(void);

/* is_unorder_rows_scan: whether a plan node is one of ours. */
bool is_unorder_rows_scan(const Plan *plan);

/*
 * unorder_rows_is_block_scan: whether one of our nodes scans its heap table
 * itself (block_scan.hpp): then it has no child, and its scanrelid, quals
 * and target list are those of the Seq Scan it replaced.
 */
bool unorder_rows_is_block_scan(const CustomScan *cscan);

/* unorder_rows_child_slot: where one of our nodes holds its child (custom_plans). */
Plan **unorder_rows_child_slot(CustomScan *cscan);

/* unorder_rows_child: one of our nodes' child (asserting that lefttree, if set, is the same). */
Plan *unorder_rows_child(const CustomScan *cscan);

/* What one node did during a statement, for reports. */
struct PerturbationNodeReport
{
	int kind;             /* PerturbationKind */
	bool within_runs;     /* only ties were permuted */
	uint64 rows_permuted; /* rows in batches of two or more */
	uint64 batches;       /* batches (runs) of two or more rows */
	int plan_node_id;
	uint64 fingerprint; /* the statement's */
	const char *input;  /* "Seq Scan on items", "Sort", ... */
};

/*
 * unorder_rows_node_report: fill *report if planstate is one of our nodes
 * that was active; false otherwise (shuffle_scan_explain.cpp).
 */
bool unorder_rows_node_report(PlanState *planstate, PerturbationNodeReport *report);

#endif
