/*
 * sql_functions.cpp
 *		Functions callable from SQL (installed by CREATE EXTENSION).
 */
#include "pg/postgres_includes.hpp"

#define UNORDER_ROWS_VERSION "0.2.0"

extern "C"
{
	PG_FUNCTION_INFO_V1(unorder_rows_version);
}

/* unorder_rows_version: version of the loaded library, for bug reports. */
extern "C" Datum
unorder_rows_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(UNORDER_ROWS_VERSION));
}
