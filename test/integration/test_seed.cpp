/*
 * test_seed.cpp
 *		docs/order-contract.md §5.3: the order of a statement depends only on the seed, the
 *		statement (up to whitespace, comments and literal values) and its
 *		plan; not on the session or on what ran before in it.
 */
#include <catch2/catch.hpp>

#include "fixtures.hpp"

#include <set>

using it::Connection;
using it::insertion_order;
using it::join;
using it::perturbed_session;
using it::sorted_numerically;

namespace
{

const char *const kQuery = "SELECT id FROM t";

/* Rows of a query, checked to be a reordering of t. */
std::vector<std::string>
perturbed_rows(Connection &conn, const std::string &sql)
{
	std::vector<std::string> rows = conn.rows(sql);
	INFO(sql << " returned " << join(rows));
	CHECK(sorted_numerically(rows) == insertion_order());
	CHECK(rows != insertion_order());
	return rows;
}

} // namespace

TEST_CASE("two sessions with the same unorder_rows.seed get the same order", "[seed]")
{
	Connection a = perturbed_session(12345);
	Connection b = perturbed_session(12345);
	std::vector<std::string> rows_a = perturbed_rows(a, kQuery);
	std::vector<std::string> rows_b = perturbed_rows(b, kQuery);
	INFO("session A: " << join(rows_a));
	INFO("session B: " << join(rows_b));
	CHECK(rows_a == rows_b);
	CHECK(a.value("SHOW unorder_rows.seed") == "12345");
}

TEST_CASE("different unorder_rows.seed values give different orders of 50 rows", "[seed]")
{
	std::set<std::vector<std::string>> orders;
	const std::vector<int> seeds = {1, 2, 3, 1000, 2147483647};
	for (int seed : seeds)
	{
		Connection conn = perturbed_session(seed);
		orders.insert(perturbed_rows(conn, kQuery));
	}
	CHECK(orders.size() == seeds.size());
}

TEST_CASE("with unorder_rows.seed = 0 a nonzero session seed is drawn, shown, and replays the order in "
		  "another session",
		  "[seed]")
{
	Connection a = perturbed_session(0);
	std::string drawn = a.value("SHOW unorder_rows.seed");
	INFO("drawn seed " << drawn);
	REQUIRE_FALSE(drawn.empty());
	CHECK(drawn != "0");
	CHECK(std::stoll(drawn) > 0);
	std::vector<std::string> rows_a = perturbed_rows(a, kQuery);
	/* The seed stays the same for the whole session. */
	CHECK(a.value("SHOW unorder_rows.seed") == drawn);
	CHECK(a.rows(kQuery) == rows_a);

	SECTION("setting the shown seed in another session replays the order")
	{
		Connection b = perturbed_session(std::stoi(drawn));
		CHECK(b.value("SHOW unorder_rows.seed") == drawn);
		CHECK(b.rows(kQuery) == rows_a);
	}

	SECTION("another session with seed 0 draws another seed")
	{
		Connection b = perturbed_session(0);
		std::string other = b.value("SHOW unorder_rows.seed");
		CHECK(other != "0");
		CHECK(other != drawn);
	}
}

TEST_CASE("the order of a statement does not depend on the statements run before it in the session", "[seed]")
{
	const std::string statement = "SELECT id FROM t WHERE id > 0";

	Connection a = perturbed_session(4242);
	std::vector<std::string> first = perturbed_rows(a, statement);

	Connection b = perturbed_session(4242);
	b.exec("SELECT id FROM t");
	b.exec("SELECT id, id * 2 FROM t");
	b.exec("SELECT count(*) FROM t");
	b.exec("SELECT id FROM t WHERE id < 25");
	b.exec("SELECT DISTINCT id FROM t");
	b.exec("SELECT k, v FROM u");
	b.exec("SELECT a.id FROM t a JOIN u ON a.id = u.k");
	CHECK(b.error_of("SELECT 1 / 0").has_value());
	b.exec("BEGIN; SELECT id FROM t; COMMIT");
	std::vector<std::string> later = b.rows(statement);
	INFO("session A first statement: " << join(first));
	INFO("session B after others:    " << join(later));
	CHECK(later == first);

	SECTION("running it again in the same session gives the same order")
	{
		CHECK(a.rows(statement) == first);
		CHECK(b.rows(statement) == first);
	}
}

TEST_CASE(
	"a reformatted statement (whitespace, comments, keyword case, other constants) is the same statement",
	"[seed]")
{
	const std::string statement = "SELECT id FROM t WHERE id > 0";
	const std::vector<std::string> variants = {
		"SELECT   id\n\tFROM t\n  WHERE id   >   0",
		"SELECT id /* a comment */ FROM t WHERE id > 0 -- trailing comment",
		"select id from t where id > 0",
		"SELECT id FROM t WHERE id > -5",
		"SELECT id FROM t WHERE id > 0;",
	};

	auto check_variants = [&](Connection &conn)
	{
		std::vector<std::string> reference = perturbed_rows(conn, statement);
		for (const std::string &variant : variants)
		{
			INFO("variant: " << variant);
			INFO("reference order: " << join(reference));
			CHECK(conn.rows(variant) == reference);
		}
		return reference;
	};

	SECTION("library loaded with LOAD, in one session and across sessions")
	{
		Connection a = perturbed_session(777);
		std::vector<std::string> reference = check_variants(a);
		for (const std::string &variant : variants)
		{
			Connection fresh = perturbed_session(777);
			INFO("variant in a fresh session: " << variant);
			CHECK(fresh.rows(variant) == reference);
		}
	}

	SECTION("library loaded with session_preload_libraries")
	{
		it::ConnectOptions opts;
		opts.options = "-c session_preload_libraries=unorder_rows -c unorder_rows.enabled=on "
					   "-c unorder_rows.seed=777";
		Connection conn = it::plain_instance().connect(opts);
		std::vector<std::string> reference = check_variants(conn);
		/* Same seed, same statement: the loading path makes no difference. */
		Connection loaded = perturbed_session(777);
		CHECK(loaded.rows(statement) == reference);
	}
}
