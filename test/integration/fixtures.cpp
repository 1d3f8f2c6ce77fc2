/*
 * fixtures.cpp
 *		Shared servers, the test table and common checks (see fixtures.hpp).
 */
#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <memory>

namespace it
{

const std::vector<std::string> &
insertion_order()
{
	static const std::vector<std::string> rows = sequence(kRows);
	return rows;
}

Instance &
plain_instance()
{
	static std::unique_ptr<Instance> instance;
	if (!instance)
	{
		auto started = std::make_unique<Instance>("plain", 0);
		started->start();
		Connection conn = started->connect();
		create_test_table(conn);
		conn.exec(
			"CREATE TABLE u (k int, v text); INSERT INTO u SELECT g, 'v' || g FROM generate_series(1, 20) g");
		instance = std::move(started);
	}
	return *instance;
}

void
create_test_table(Connection &conn)
{
	/* The dotted name is accepted whether or not the library is loaded. */
	conn.exec("SET unorder_rows.enabled = off");
	conn.exec("CREATE TABLE t (id int)");
	for (int i = 1; i <= kRows; i++)
		conn.exec("INSERT INTO t VALUES (" + std::to_string(i) + ")");
	REQUIRE(conn.rows("SELECT id FROM t") == insertion_order());
	conn.exec("RESET unorder_rows.enabled");
}

Connection
perturbed_session(int seed)
{
	Connection conn = plain_instance().connect();
	conn.exec("LOAD 'unorder_rows'");
	conn.exec("SET unorder_rows = on");
	conn.exec("SET unorder_rows.seed = " + std::to_string(seed));
	return conn;
}

void
check_session_perturbs(Connection &conn)
{
	CHECK(conn.value("SHOW unorder_rows") == "on");
	std::vector<std::string> rows = conn.rows("SELECT id FROM t");
	INFO("SELECT id FROM t returned " << join(rows));
	CHECK(sorted_numerically(rows) == insertion_order());
	CHECK(rows != insertion_order());
	/* docs/order-contract.md §5.2: the first row emitted is not the first row received. */
	if (!rows.empty())
		CHECK(rows.front() != "1");
}

void
check_session_does_not_perturb(Connection &conn)
{
	CHECK(conn.value("SHOW unorder_rows") == "off");
	std::vector<std::string> rows = conn.rows("SELECT id FROM t");
	INFO("SELECT id FROM t returned " << join(rows));
	CHECK(rows == insertion_order());
}

} // namespace it
