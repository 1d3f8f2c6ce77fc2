/*
 * fixtures.hpp
 *		Shared servers, the test table and the checks used by several
 *		integration test files.
 *
 * The test table is t(id int) with the 50 rows 1..50 inserted in that order,
 * so with the extension off `SELECT id FROM t` returns 1..50.
 */
#ifndef UNORDER_ROWS_FIXTURES_HPP
#define UNORDER_ROWS_FIXTURES_HPP

#include "pg_harness.hpp"

#include <string>
#include <vector>

namespace it
{

/* Number of rows of the test table t. */
constexpr int kRows = 50;

/* The rows of `SELECT id FROM t` with the extension off: 1..kRows. */
const std::vector<std::string> &insertion_order();

/*
 * A server without unorder_rows in any preload setting (slot 0), started on
 * first use and shared by the tests that load the library per session; its
 * postgres database holds t.
 */
Instance &plain_instance();

/* Creates t in the connection's database with the extension off, and checks its order. */
void create_test_table(Connection &conn);

/* A session of plain_instance() with LOAD 'unorder_rows', SET unorder_rows = on and the seed (0: drawn). */
Connection perturbed_session(int seed);

/* Checks that the session perturbs: SHOW unorder_rows is on and `SELECT id FROM t` is reordered. */
void check_session_perturbs(Connection &conn);

/* Checks that the session does not: SHOW unorder_rows is off and `SELECT id FROM t` is 1..kRows. */
void check_session_does_not_perturb(Connection &conn);

} // namespace it

#endif /* UNORDER_ROWS_FIXTURES_HPP */
