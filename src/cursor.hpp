/*
 * cursor.hpp
 *		The perturbation nodes of a cursor's plan (docs/order-contract.md §5.1,
 *		§5.5).
 */
#ifndef UNORDER_ROWS_CURSOR_HPP
#define UNORDER_ROWS_CURSOR_HPP

#include "pg/postgres_includes.hpp"

/*
 * cursor_rows_addressable: whether WHERE CURRENT OF could address rows of
 * this subtree through a scan (what execCurrentOf's search_plan_tree
 * accepts): a chain of Result, Limit and SubqueryScan nodes over a scan of a
 * table or an Append of such scans.
 */
bool cursor_rows_addressable(Plan *plan);

/*
 * cursor_scan_below: the scan a cursor's WHERE CURRENT OF would address
 * through this subtree, if it is a single heap scan under Result/Limit
 * nodes; NULL otherwise.
 */
Plan *cursor_scan_below(Plan *plan);

/* cursor_lock_rows_on_top: whether a LockRows node sits on top of the subtree (below Limit/Result). */
bool cursor_lock_rows_on_top(Plan *plan);

/*
 * keep_cursor_scrollable: let a cursor fetch backward wherever it could
 * without the perturbation nodes, keeping WHERE CURRENT OF working.
 */
void keep_cursor_scrollable(PlannedStmt *stmt, int cursor_options);

#endif
