/*
 * block_scan.hpp
 *		The perturbation node as a scan of its own: where the rows it would
 *		perturb come straight from a plain scan of a heap table, it takes that
 *		scan's place and visits the table's blocks and line pointers in a
 *		seeded order (core/block_shuffle.hpp), streaming: a LIMIT above stops
 *		early, memory stays at one block.
 */
#ifndef UNORDER_ROWS_BLOCK_SCAN_HPP
#define UNORDER_ROWS_BLOCK_SCAN_HPP

#include "pg/postgres_includes.hpp"

#include "node.hpp"

/* block_scan_create_state: the executor state of a node that scans its table itself. */
Node *block_scan_create_state(CustomScan *cscan);

/* block_scan_node_report: fill *report if planstate is such a node and it perturbed rows. */
bool block_scan_node_report(PlanState *planstate, PerturbationNodeReport *report);

#endif
