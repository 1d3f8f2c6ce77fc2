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

#endif
