/*
 * report.hpp
 *		Telling users what was perturbed: notices/log lines per statement, and
 *		a cross-session statistics table in shared memory.
 */
#ifndef UNORDER_ROWS_REPORT_HPP
#define UNORDER_ROWS_REPORT_HPP

/* unorder_rows_define_report_settings: report settings; from _PG_init. */
void unorder_rows_define_report_settings(void);

/* unorder_rows_install_report_hooks: executor and shared memory hooks. */
void unorder_rows_install_report_hooks(void);

#endif
