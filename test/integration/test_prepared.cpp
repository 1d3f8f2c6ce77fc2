/*
 * test_prepared.cpp
 *		docs/order-contract.md §2: toggling takes effect at once, for prepared statements (SQL
 *		PREPARE and protocol-level, custom and generic plans) and for cached
 *		PL/pgSQL plans.
 */
#include <catch2/catch.hpp>

#include "fixtures.hpp"

using it::Connection;
using it::insertion_order;
using it::join;
using it::sorted_numerically;

namespace
{

/* Checks that rows are a reordering of t. */
void
check_perturbed(const std::vector<std::string> &rows)
{
	INFO("returned " << join(rows));
	CHECK(sorted_numerically(rows) == insertion_order());
	CHECK(rows != insertion_order());
}

/* Checks that rows are t in insertion order. */
void
check_insertion_order(const std::vector<std::string> &rows)
{
	INFO("returned " << join(rows));
	CHECK(rows == insertion_order());
}

/* Splits "1,2,3" into its elements. */
std::vector<std::string>
split(const std::string &text)
{
	std::vector<std::string> out;
	size_t start = 0;
	while (start <= text.size())
	{
		size_t comma = text.find(',', start);
		if (comma == std::string::npos)
			comma = text.size();
		out.push_back(text.substr(start, comma - start));
		start = comma + 1;
	}
	return out;
}

} // namespace

TEST_CASE("toggling unorder_rows applies at once to prepared statements", "[prepared]")
{
	Connection conn = it::perturbed_session(31337);

	SECTION("SQL PREPARE made while on, EXECUTE after SET unorder_rows = off and back on")
	{
		conn.exec("PREPARE p AS SELECT id FROM t");
		check_perturbed(conn.rows("EXECUTE p"));
		conn.exec("SET unorder_rows = off");
		check_insertion_order(conn.rows("EXECUTE p"));
		conn.exec("SET unorder_rows = on");
		check_perturbed(conn.rows("EXECUTE p"));
	}

	SECTION("SQL PREPARE made while off, EXECUTE after SET unorder_rows = on")
	{
		conn.exec("SET unorder_rows = off");
		conn.exec("PREPARE p AS SELECT id FROM t");
		check_insertion_order(conn.rows("EXECUTE p"));
		conn.exec("SET unorder_rows = on");
		check_perturbed(conn.rows("EXECUTE p"));
	}

	SECTION("generic plan of a parameterised statement")
	{
		conn.exec("SET plan_cache_mode = force_generic_plan");
		conn.exec("PREPARE q(int) AS SELECT id FROM t WHERE id > $1");
		for (int i = 0; i < 6; i++)
			check_perturbed(conn.rows("EXECUTE q(0)"));
		conn.exec("SET unorder_rows = off");
		for (int i = 0; i < 6; i++)
			check_insertion_order(conn.rows("EXECUTE q(0)"));
		conn.exec("SET unorder_rows = on");
		check_perturbed(conn.rows("EXECUTE q(-1)"));
	}

	SECTION("protocol-level prepared statement (PQprepare / PQexecPrepared)")
	{
		conn.prepare("proto", "SELECT id FROM t WHERE id > $1");
		for (int i = 0; i < 6; i++)
			check_perturbed(conn.exec_prepared("proto", {"0"}));
		conn.exec("SET unorder_rows = off");
		for (int i = 0; i < 6; i++)
			check_insertion_order(conn.exec_prepared("proto", {"0"}));
		conn.exec("SET unorder_rows = on");
		check_perturbed(conn.exec_prepared("proto", {"0"}));
	}

	SECTION("toggled through the dotted name, with the short name falling back to it on RESET")
	{
		conn.exec("PREPARE p AS SELECT id FROM t");
		conn.exec("RESET unorder_rows");
		conn.exec("SET unorder_rows.enabled = on");
		CHECK(conn.value("SHOW unorder_rows") == "on");
		check_perturbed(conn.rows("EXECUTE p"));
		conn.exec("SET unorder_rows.enabled = off");
		CHECK(conn.value("SHOW unorder_rows") == "off");
		check_insertion_order(conn.rows("EXECUTE p"));
		conn.exec("SET unorder_rows = on");
		check_perturbed(conn.rows("EXECUTE p"));
		conn.exec("RESET unorder_rows");
		CHECK(conn.value("SHOW unorder_rows") == "off");
		check_insertion_order(conn.rows("EXECUTE p"));
	}

	SECTION("cached plan of a PL/pgSQL function")
	{
		conn.exec("SET unorder_rows = off");
		conn.exec(
			"CREATE OR REPLACE FUNCTION pg_temp.ids_in_loop_order() RETURNS text LANGUAGE plpgsql AS $$ "
			"DECLARE r record; out text := ''; "
			"BEGIN FOR r IN SELECT id FROM t LOOP "
			"out := out || CASE WHEN out = '' THEN '' ELSE ',' END || r.id; END LOOP; "
			"RETURN out; END $$");
		const std::string call = "SELECT pg_temp.ids_in_loop_order()";
		for (int i = 0; i < 3; i++)
			check_insertion_order(split(conn.value(call)));
		conn.exec("SET unorder_rows = on");
		for (int i = 0; i < 3; i++)
			check_perturbed(split(conn.value(call)));
		conn.exec("SET unorder_rows = off");
		check_insertion_order(split(conn.value(call)));
	}
}
