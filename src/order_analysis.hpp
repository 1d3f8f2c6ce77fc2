/*
 * order_analysis.hpp
 *		Decisions on the finished plan: which perturbation nodes stay.
 */
#ifndef UNORDER_ROWS_ORDER_ANALYSIS_HPP
#define UNORDER_ROWS_ORDER_ANALYSIS_HPP

#include "pg/postgres_includes.hpp"

/*
 * finalize_perturbation_nodes: settle each perturbation node of a finished
 * plan (keep, widen, or remove it).
 */
void finalize_perturbation_nodes(PlannedStmt *stmt, int cursor_options);

#endif
