/*
 * shuffle_scan.hpp
 *		The executor node that permutes rows (a CustomScan named UnorderRows).
 *
 * Plans refer to it through node.hpp; this header is the executor's one
 * entry point, for the plan-node methods.
 */
#ifndef UNORDER_ROWS_SHUFFLE_SCAN_HPP
#define UNORDER_ROWS_SHUFFLE_SCAN_HPP

#include "pg/postgres_includes.hpp"

/* unorder_rows_create_state: CreateCustomScanState of the node's plan methods. */
Node *unorder_rows_create_state(CustomScan *cscan);

#endif
