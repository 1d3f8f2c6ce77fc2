/*
 * test_report.cpp
 *		Cross-session reporting (unorder_rows_statements) and replay of a
 *		failing statement alone, on a server with the library preloaded.
 */
#include "catch2/catch.hpp"

#include "fixtures.hpp"
#include "pg_harness.hpp"

#include <atomic>
#include <fstream>
#include <thread>

using namespace it;

namespace
{

/* A preloaded server with the statistics table and a 50-row table. */
Instance &
report_instance()
{
	static Instance instance("report", 4,
							 {"shared_preload_libraries=unorder_rows", "unorder_rows.max_statements=100"});
	static bool started = false;
	if (!started)
	{
		instance.start();
		Connection conn = instance.connect();
		conn.exec("CREATE EXTENSION unorder_rows");
		create_test_table(conn);
		started = true;
	}
	return instance;
}

} // namespace

TEST_CASE("unorder_rows_statements counts perturbed statements from concurrent sessions", "[report]")
{
	Instance &instance = report_instance();
	Connection admin = instance.connect();
	admin.exec("SELECT unorder_rows_reset()");

	constexpr int kClients = 4;
	constexpr int kIterations = 25;
	std::atomic<int> failures{0};
	std::vector<std::thread> clients;

	for (int c = 0; c < kClients; c++)
		clients.emplace_back(
			[&instance, &failures, c]
			{
				try
				{
					Connection conn =
						instance.connect({"postgres", "postgres", "-c unorder_rows.enabled=on"});
					for (int i = 0; i < kIterations; i++)
					{
						/* one statement text from every client (constants: see test_seed.cpp) */
						conn.rows("SELECT id FROM t WHERE id > 0 LIMIT 5");
						conn.rows("SELECT array_agg(id) FROM t");
						/* an ORDER BY without ties: never listed */
						conn.rows("SELECT id FROM t ORDER BY id");
					}
				}
				catch (const std::exception &)
				{
					failures++;
				}
			});
	for (auto &client : clients)
		client.join();
	REQUIRE(failures == 0);

	auto rows = admin.rows("SELECT calls, rows_perturbed, array_to_string(open_orders, ';') FROM "
						   "unorder_rows_statements ORDER BY query");
	/* the LIMIT query reads all 50 rows to pick 5; array_agg permutes all 50 */
	CHECK(rows == std::vector<std::string>{"100|5000|aggregate input order",
										   "100|5000|rows picked by LIMIT without ORDER BY"});
	CHECK(admin.value("SELECT count(*) FROM unorder_rows_statements WHERE query LIKE '%ORDER BY id%'") ==
		  "0");

	admin.exec("SELECT unorder_rows_reset()");
	CHECK(admin.value("SELECT count(*) FROM unorder_rows_statements") == "0");
}

TEST_CASE("unorder_rows_statements stays within unorder_rows.max_statements", "[report]")
{
	Instance &instance = report_instance();
	Connection conn = instance.connect({"postgres", "postgres", "-c unorder_rows.enabled=on"});
	conn.exec("SELECT unorder_rows_reset()");
	/* 150 distinct statements (different column aliases change the fingerprint) */
	for (int i = 0; i < 150; i++)
		conn.rows("SELECT id AS c" + std::to_string(i) + " FROM t");
	int kept = std::stoi(conn.value("SELECT count(*) FROM unorder_rows_statements"));
	CHECK(kept <= 100);
	CHECK(kept > 0);
}

TEST_CASE("a failing statement replays alone in a new session with the reported seed", "[report]")
{
	Instance &instance = report_instance();
	Connection first = instance.connect({"postgres", "postgres", "-c unorder_rows.enabled=on"});
	/* the session draws its seed; a test suite runs many statements before the failing one */
	for (int i = 0; i < 5; i++)
		first.rows("SELECT count(*) FROM t WHERE id > " + std::to_string(i));
	first.rows("SELECT array_agg(id) FROM t");
	auto failing = first.rows("SELECT id FROM t LIMIT 3");
	std::string seed = first.value("SHOW unorder_rows.seed");
	REQUIRE(seed != "0");

	Connection replay =
		instance.connect({"postgres", "postgres", "-c unorder_rows.enabled=on -c unorder_rows.seed=" + seed});
	CHECK(replay.rows("SELECT id FROM t LIMIT 3") == failing);
}

TEST_CASE("report = log writes the statement line and the session seed to the server log", "[report]")
{
	Instance &instance = report_instance();
	Connection conn =
		instance.connect({"postgres", "postgres", "-c unorder_rows.enabled=on -c unorder_rows.report=log"});
	std::string seed = conn.value("SHOW unorder_rows.seed");
	/* a marker comment makes this statement's line easy to find */
	conn.rows("SELECT id FROM t /* log-report-marker */ LIMIT 2");
	conn.exec("SELECT pg_sleep(0.2)");

	std::ifstream log(instance.dir() + "/server.log");
	std::string line;
	bool seed_line = false;
	bool statement_line = false;
	while (std::getline(log, line))
	{
		if (line.find("unorder_rows: session seed " + seed) != std::string::npos)
			seed_line = true;
		if (line.find("unorder_rows: perturbed rows picked by LIMIT without ORDER BY (50 rows above Seq Scan "
					  "on t)") != std::string::npos)
			statement_line = true;
	}
	CHECK(seed_line);
	CHECK(statement_line);
}

TEST_CASE("a seed replays the same order after the test database is created anew", "[report]")
{
	Instance &instance = report_instance();
	Connection admin = instance.connect();
	auto order_in_fresh_database = [&instance, &admin]()
	{
		admin.exec("DROP DATABASE IF EXISTS replay_db");
		admin.exec("CREATE DATABASE replay_db");
		Connection conn = instance.connect(
			{"replay_db", "postgres", "-c unorder_rows.enabled=on -c unorder_rows.seed=31337"});
		create_test_table(conn); /* new OIDs every time */
		return conn.rows("SELECT id FROM t WHERE id > 10 LIMIT 20");
	};
	auto first = order_in_fresh_database();
	auto second = order_in_fresh_database();
	CHECK(first == second);
	CHECK(first != std::vector<std::string>(second.size(), ""));
	admin.exec("DROP DATABASE replay_db");
}
