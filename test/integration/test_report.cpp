/*
 * test_report.cpp
 *		Cross-session reporting (unorder_rows_statements) and replay of a
 *		failing statement alone, on a server with the library preloaded; who
 *		sees which statement text and who may reset (issue 14), which need the
 *		shared statistics and so cannot be checked by pg_regress here.
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
	/*
	 * array_agg permutes all 50 rows; the LIMIT query scans t block-shuffled
	 * and stops after its 5 rows (6 in a session whose first row looked like
	 * the plain scan's first and was held back: block_scan.cpp)
	 */
	REQUIRE(rows.size() == 2);
	CHECK(rows[0] == "100|5000|aggregate input order");

	std::string limit_row = rows[1];
	int limit_rows = std::stoi(limit_row.substr(limit_row.find('|') + 1));

	CHECK(limit_row.substr(0, 4) == "100|");
	CHECK(limit_row.substr(limit_row.rfind('|')) == "|rows picked by LIMIT without ORDER BY");
	CHECK(limit_rows >= 500);
	CHECK(limit_rows <= 600);
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

TEST_CASE("statements differing only in literals, case, spacing and comments share a fingerprint", "[report]")
{
	Instance &instance = report_instance();
	Connection conn = instance.connect({"postgres", "postgres", "-c unorder_rows.enabled=on"});
	conn.exec("SELECT unorder_rows_reset()");
	/* the fingerprint a statement was counted under (the last one run) */
	auto fingerprint_of = [&conn](const std::string &sql)
	{
		conn.rows(sql);
		return conn.value(
			"SELECT fingerprint FROM unorder_rows_statements ORDER BY calls DESC, fingerprint LIMIT 1");
	};
	auto same = [&](const std::string &a, const std::string &b)
	{
		conn.exec("SELECT unorder_rows_reset()");
		std::string first = fingerprint_of(a);
		conn.exec("SELECT unorder_rows_reset()");
		return first == fingerprint_of(b);
	};

	CHECK(same("SELECT id FROM t WHERE id > 3", "select  ID\nfrom T /* c */ where id > 17 -- x"));
	CHECK(same("SELECT id, 'a' FROM t", "SELECT id, E'b\\n' FROM t"));
	/* a sign after a keyword or a comma is part of the literal: -1 is a constant like 2 */
	CHECK(same("SELECT id, -1 FROM t", "SELECT id, 2 FROM t"));
	CHECK(same("SELECT CASE WHEN id > 1 THEN -1 ELSE 0 END FROM t",
			   "SELECT CASE WHEN id > 1 THEN +5 ELSE 0 END FROM t"));
	/* after a column name it is an operator */
	CHECK_FALSE(same("SELECT id -1 FROM t", "SELECT id +1 FROM t"));
	CHECK(same("SELECT id -1 FROM t", "SELECT id - 7 FROM t"));
	/* what the statement does still tells statements apart */
	CHECK_FALSE(same("SELECT id FROM t WHERE id > 3", "SELECT id FROM t WHERE id < 3"));
	CHECK_FALSE(same("SELECT id FROM t", "SELECT id AS x FROM t"));
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
		/* 2 rows, or 3 when the first looked like the plain scan's first (block_scan.cpp) */
		if (line.find("unorder_rows: perturbed rows picked by LIMIT without ORDER BY (") !=
				std::string::npos &&
			line.find(" rows above block-shuffled scan of t)") != std::string::npos)
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

namespace
{

/*
 * Roles alice and bob, each able to read only its own table, and reader, a
 * member of pg_read_all_stats; the statistics reset.  The setup of issue 14.
 */
void
set_up_two_roles(Connection &admin)
{
	admin.exec("DROP TABLE IF EXISTS secret_t, bob_t");
	admin.exec("DROP ROLE IF EXISTS alice");
	admin.exec("DROP ROLE IF EXISTS bob");
	admin.exec("DROP ROLE IF EXISTS reader");
	admin.exec(
		"CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE reader LOGIN IN ROLE pg_read_all_stats");
	admin.exec("CREATE TABLE secret_t (id int, note text); GRANT SELECT ON secret_t TO alice");
	admin.exec("INSERT INTO secret_t SELECT g, 'note ' || g FROM generate_series(1, 10) g");
	admin.exec(
		"CREATE TABLE bob_t AS SELECT g AS id FROM generate_series(1, 10) g; GRANT SELECT ON bob_t TO bob");
	admin.exec("SELECT unorder_rows_reset()");
}

/* A second database, other_db, with a table o that alice reads. */
void
create_other_database(Instance &instance, Connection &admin)
{
	admin.exec("DROP DATABASE IF EXISTS other_db WITH (FORCE)");
	admin.exec("CREATE DATABASE other_db");
	instance.connect({"other_db", "postgres", ""})
		.exec("CREATE TABLE o AS SELECT g FROM generate_series(1, 5) g; GRANT SELECT ON o TO alice");
}

/* A session of role with unorder_rows on. */
Connection
session_of(Instance &instance, const std::string &role, const std::string &dbname = "postgres")
{
	return instance.connect({dbname, role, "-c unorder_rows.enabled=on"});
}

/* What a role reads from the view: role, whether the fingerprint shows, text, calls; ordered by role. */
const char *const kVisibleRows = "SELECT userid::regrole, fingerprint IS NOT NULL, query, calls "
								 "FROM unorder_rows_statements ORDER BY userid::regrole::text, query";

} // namespace

TEST_CASE("unorder_rows_statements shows other roles' text only to pg_read_all_stats, without literals",
		  "[report][privileges]")
{
	Instance &instance = report_instance();
	Connection admin = instance.connect();
	set_up_two_roles(admin);

	session_of(instance, "alice").rows("select id from secret_t where note <> 'hunter2-password';");
	session_of(instance, "bob").rows("SELECT id FROM bob_t WHERE id <= 7 AND id > -1.5e1 LIMIT 5");

	/* each role its own text, normalized, and for the other role's statement only the counters */
	CHECK(session_of(instance, "alice").rows(kVisibleRows) ==
		  std::vector<std::string>{"alice|t|select id from secret_t where note <> $1|1",
								   "bob|f|<insufficient privilege>|1"});
	CHECK(session_of(instance, "bob").rows(kVisibleRows) ==
		  std::vector<std::string>{"alice|f|<insufficient privilege>|1",
								   "bob|t|SELECT id FROM bob_t WHERE id <= $1 AND id > $2 LIMIT $3|1"});
	/* pg_read_all_stats and superusers see every text */
	const std::vector<std::string> everything{
		"alice|t|select id from secret_t where note <> $1|1",
		"bob|t|SELECT id FROM bob_t WHERE id <= $1 AND id > $2 LIMIT $3|1"};
	CHECK(session_of(instance, "reader").rows(kVisibleRows) == everything);
	CHECK(admin.rows(kVisibleRows) == everything);
	/* the literal is nowhere in shared memory: not even the superuser finds it */
	CHECK(admin.value("SELECT count(*) FROM unorder_rows_statements WHERE query LIKE '%hunter2%'") == "0");
	/* the function behind the view hides the same (bob calls it directly) */
	CHECK(
		session_of(instance, "bob")
			.value(
				"SELECT count(*) FROM unorder_rows_statements() WHERE query = '<insufficient privilege>'") ==
		"1");
}

TEST_CASE("unorder_rows_statements lists every database, with userid and dbid", "[report][privileges]")
{
	Instance &instance = report_instance();
	Connection admin = instance.connect();
	set_up_two_roles(admin);
	create_other_database(instance, admin);
	session_of(instance, "alice", "other_db").rows("SELECT g FROM o WHERE g > 1");
	session_of(instance, "alice").rows("select id from secret_t where note <> 'x'");

	CHECK(session_of(instance, "alice")
			  .rows("SELECT d.datname, s.query FROM unorder_rows_statements s JOIN pg_database d ON d.oid = "
					"s.dbid WHERE s.userid = 'alice'::regrole ORDER BY d.datname") ==
		  std::vector<std::string>{"other_db|SELECT g FROM o WHERE g > $1",
								   "postgres|select id from secret_t where note <> $1"});
	admin.exec("DROP DATABASE other_db WITH (FORCE)");
}

TEST_CASE("only superusers and granted roles reset, per role, database or fingerprint",
		  "[report][privileges]")
{
	Instance &instance = report_instance();
	Connection admin = instance.connect();
	set_up_two_roles(admin);
	create_other_database(instance, admin);
	auto run_statements = [&instance]()
	{
		session_of(instance, "alice").rows("select id from secret_t where note <> 'a'");
		session_of(instance, "alice", "other_db").rows("SELECT g FROM o WHERE g > 1");
		Connection bob = session_of(instance, "bob");
		bob.rows("SELECT id FROM bob_t LIMIT 3");
		bob.rows("SELECT id FROM bob_t LIMIT 4 OFFSET 1");
	};
	auto remaining = [&admin]()
	{
		return admin.rows(
			"SELECT userid::regrole, d.datname, query FROM unorder_rows_statements s "
			"JOIN pg_database d ON d.oid = s.dbid ORDER BY userid::regrole::text, d.datname, query");
	};
	const std::string alice_postgres = "alice|postgres|select id from secret_t where note <> $1";
	const std::string alice_other = "alice|other_db|SELECT g FROM o WHERE g > $1";
	const std::string bob_limit = "bob|postgres|SELECT id FROM bob_t LIMIT $1";
	const std::string bob_offset = "bob|postgres|SELECT id FROM bob_t LIMIT $1 OFFSET $2";
	run_statements();
	REQUIRE(remaining() == std::vector<std::string>{alice_other, alice_postgres, bob_limit, bob_offset});

	/* bob may not reset, not even his own statements */
	for (const char *reset : {"SELECT unorder_rows_reset()", "SELECT unorder_rows_reset('bob'::regrole)"})
	{
		auto error = session_of(instance, "bob").error_of(reset);
		REQUIRE(error.has_value());
		CHECK(error->find("permission denied for function unorder_rows_reset") != std::string::npos);
	}

	/* per role */
	admin.exec("SELECT unorder_rows_reset(userid => 'alice'::regrole)");
	CHECK(remaining() == std::vector<std::string>{bob_limit, bob_offset});
	/* per fingerprint, which bob reads from his own row */
	std::string fingerprint =
		session_of(instance, "bob")
			.value("SELECT fingerprint FROM unorder_rows_statements WHERE query LIKE '%OFFSET%'");
	admin.exec("SELECT unorder_rows_reset(fingerprint => " + fingerprint + ")");
	CHECK(remaining() == std::vector<std::string>{bob_limit});

	/* per database, by a role granted EXECUTE */
	admin.exec("SELECT unorder_rows_reset()");
	run_statements();
	admin.exec("GRANT EXECUTE ON FUNCTION unorder_rows_reset(oid, oid, bigint) TO reader");
	session_of(instance, "reader")
		.exec("SELECT unorder_rows_reset(dbid => (SELECT oid FROM pg_database WHERE "
			  "datname = 'postgres'))");
	CHECK(remaining() == std::vector<std::string>{alice_other});
	admin.exec("REVOKE EXECUTE ON FUNCTION unorder_rows_reset(oid, oid, bigint) FROM reader");
	admin.exec("DROP DATABASE other_db WITH (FORCE)");
}

TEST_CASE("a database still at extension version 0.1 hides other roles' text too", "[report][privileges]")
{
	Instance &instance = report_instance();
	Connection admin = instance.connect();
	set_up_two_roles(admin);
	admin.exec("DROP DATABASE IF EXISTS legacy_db");
	admin.exec("CREATE DATABASE legacy_db");
	{
		Connection legacy_admin = instance.connect({"legacy_db", "postgres", ""});
		legacy_admin.exec("CREATE EXTENSION unorder_rows VERSION '0.1'");
		legacy_admin.exec(
			"CREATE TABLE secret_t AS SELECT g AS id, 'note' AS note FROM generate_series(1, 10) g");
		legacy_admin.exec("GRANT SELECT ON secret_t TO alice");
	}
	session_of(instance, "alice", "legacy_db")
		.rows("select id from secret_t where note <> 'hunter2-password'");

	/* 0.1's function: five columns, this database only, executable by every role */
	const char *legacy_rows = "SELECT fingerprint IS NOT NULL, query, calls FROM unorder_rows_statements()";
	CHECK(session_of(instance, "bob", "legacy_db").rows(legacy_rows) ==
		  std::vector<std::string>{"f|<insufficient privilege>|1"});
	CHECK(session_of(instance, "alice", "legacy_db").rows(legacy_rows) ==
		  std::vector<std::string>{"t|select id from secret_t where note <> $1|1"});
	admin.exec("DROP DATABASE legacy_db WITH (FORCE)");
}
