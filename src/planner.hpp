/*
 * planner.hpp
 *		Planner hooks: plan as PostgreSQL would, then add perturbation nodes.
 */
#ifndef UNORDER_ROWS_PLANNER_HPP
#define UNORDER_ROWS_PLANNER_HPP

/* unorder_rows_install_planner_hooks: chain our planner hooks; from _PG_init. */
void unorder_rows_install_planner_hooks(void);

#endif
