/*
 * module.cpp
 *		Entry point of the unorder_rows library.
 *
 * unorder_rows makes every row order that SQL leaves unspecified come back
 * changed, so that tests depending on such an order fail at once.  Load it
 * with shared_preload_libraries, session_preload_libraries or LOAD, then
 * `SET unorder_rows = on` (or set unorder_rows.enabled anywhere).
 */
#include "pg/postgres_includes.hpp"

#include "planner.hpp"
#include "report.hpp"
#include "settings.hpp"
#include "node.hpp"

extern "C"
{
	PG_MODULE_MAGIC;

	void _PG_init(void);
}

/* _PG_init: settings, then the executor node, then the hooks. */
void
_PG_init(void)
{
	unorder_rows_define_settings();
	unorder_rows_define_report_settings();
	compat_mark_guc_prefix_reserved("unorder_rows");
	unorder_rows_register_scan();
	unorder_rows_install_planner_hooks();
	unorder_rows_install_report_hooks();
}
