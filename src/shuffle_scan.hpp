/*
 * shuffle_scan.hpp
 *		The executor node that permutes rows (a CustomScan named UnorderRows).
 */
#ifndef UNORDER_ROWS_SHUFFLE_SCAN_HPP
#define UNORDER_ROWS_SHUFFLE_SCAN_HPP

#include "pg/postgres_includes.hpp"

/* The plan-node methods; custom_name "UnorderRows". */
extern CustomScanMethods unorder_rows_scan_methods;

/* unorder_rows_register_scan: register the node so workers can read plans. */
void unorder_rows_register_scan(void);

/* is_unorder_rows_scan: whether a plan node is one of ours. */
bool is_unorder_rows_scan(const Plan *plan);

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
 * that was active; false otherwise.
 */
bool unorder_rows_node_report(PlanState *planstate, PerturbationNodeReport *report);

#endif
