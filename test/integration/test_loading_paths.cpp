/*
 * test_loading_paths.cpp
 *		docs/order-contract.md §2: every way of loading the library and switching it on.
 *
 * Each path is checked the same way: SHOW unorder_rows says on and
 * `SELECT id FROM t` (rows 1..50 inserted in order) comes back reordered;
 * where the path leaves it off, SHOW says off and the order is 1..50.
 */
#include <catch2/catch.hpp>

#include "fixtures.hpp"

#include <chrono>
#include <thread>

using it::check_session_does_not_perturb;
using it::check_session_perturbs;
using it::Connection;
using it::ConnectOptions;
using it::Instance;
using it::plain_instance;

TEST_CASE("shared_preload_libraries with unorder_rows.enabled=on in the server config perturbs every session",
		  "[loading]")
{
	Instance server("spl_on", 1, {"shared_preload_libraries=unorder_rows", "unorder_rows.enabled=on"});
	server.start();
	{
		Connection setup = server.connect();
		it::create_test_table(setup);
	}

	Connection conn = server.connect();
	check_session_perturbs(conn);

	SECTION("SET unorder_rows = off overrides the server setting and RESET falls back to it")
	{
		conn.exec("SET unorder_rows = off");
		check_session_does_not_perturb(conn);
		conn.exec("RESET unorder_rows");
		check_session_perturbs(conn);
	}

	SECTION("a session can switch it off with the dotted name")
	{
		conn.exec("SET unorder_rows.enabled = off");
		check_session_does_not_perturb(conn);
	}
}

TEST_CASE("ALTER DATABASE SET session_preload_libraries and unorder_rows.enabled perturb new sessions of "
		  "that database",
		  "[loading]")
{
	Connection admin = plain_instance().connect();
	admin.exec("CREATE DATABASE d_alter_db");
	ConnectOptions to_d;
	to_d.dbname = "d_alter_db";
	{
		Connection setup = plain_instance().connect(to_d);
		it::create_test_table(setup);
	}

	admin.exec("ALTER DATABASE d_alter_db SET session_preload_libraries = 'unorder_rows'");
	admin.exec("ALTER DATABASE d_alter_db SET unorder_rows.enabled = on");

	Connection conn = plain_instance().connect(to_d);
	check_session_perturbs(conn);

	/* Other databases are untouched: the library is not even loaded there. */
	Connection other = plain_instance().connect();
	CHECK(other.rows("SELECT id FROM t") == it::insertion_order());
	CHECK(other.value("SHOW session_preload_libraries").empty());
}

TEST_CASE("the connection option -c session_preload_libraries=unorder_rows -c unorder_rows.enabled=on "
		  "(PGOPTIONS style) perturbs that session",
		  "[loading]")
{
	ConnectOptions opts;
	opts.options = "-c session_preload_libraries=unorder_rows -c unorder_rows.enabled=on";
	Connection conn = plain_instance().connect(opts);
	check_session_perturbs(conn);

	SECTION("RESET unorder_rows falls back to the dotted setting given at connection")
	{
		conn.exec("SET unorder_rows = off");
		check_session_does_not_perturb(conn);
		conn.exec("RESET unorder_rows");
		check_session_perturbs(conn);
	}
}

TEST_CASE("LOAD 'unorder_rows' followed by SET unorder_rows = on perturbs the session", "[loading]")
{
	Connection conn = plain_instance().connect();
	CHECK(conn.rows("SELECT id FROM t") == it::insertion_order());
	conn.exec("LOAD 'unorder_rows'");
	check_session_does_not_perturb(conn);
	conn.exec("SET unorder_rows = on");
	check_session_perturbs(conn);
}

TEST_CASE("before the library is loaded, SET unorder_rows fails with 'unrecognized configuration parameter' "
		  "(PostgreSQL refuses undotted unknown names) while SET unorder_rows.enabled is accepted as a "
		  "placeholder that LOAD then honours",
		  "[loading]")
{
	Connection conn = plain_instance().connect();

	auto error = conn.error_of("SET unorder_rows = on");
	REQUIRE(error.has_value());
	CHECK_THAT(*error, Catch::Contains("unrecognized configuration parameter"));

	CHECK_FALSE(conn.error_of("SET unorder_rows.enabled = on").has_value());
	CHECK(conn.value("SHOW unorder_rows.enabled") == "on");
	/* A placeholder alone changes nothing: the library is not loaded. */
	CHECK(conn.rows("SELECT id FROM t") == it::insertion_order());

	conn.exec("LOAD 'unorder_rows'");
	check_session_perturbs(conn);
}

TEST_CASE("ALTER ROLE r SET unorder_rows.enabled = on with the library preloaded perturbs sessions of r only",
		  "[loading]")
{
	Instance server("spl_role", 2, {"shared_preload_libraries=unorder_rows"});
	server.start();
	{
		Connection setup = server.connect();
		it::create_test_table(setup);
		setup.exec("CREATE ROLE r LOGIN");
		setup.exec("CREATE ROLE other LOGIN");
		setup.exec("GRANT SELECT ON t TO r, other");
		setup.exec("ALTER ROLE r SET unorder_rows.enabled = on");
	}

	ConnectOptions as_r;
	as_r.user = "r";
	Connection r = server.connect(as_r);
	CHECK(r.value("SELECT current_user") == "r");
	check_session_perturbs(r);

	ConnectOptions as_other;
	as_other.user = "other";
	Connection other = server.connect(as_other);
	CHECK(other.value("SELECT current_user") == "other");
	check_session_does_not_perturb(other);

	Connection superuser = server.connect();
	check_session_does_not_perturb(superuser);
}

TEST_CASE("ALTER SYSTEM SET unorder_rows.enabled = on and pg_reload_conf() with the library preloaded "
		  "perturb new sessions",
		  "[loading]")
{
	Instance server("spl_sys", 3, {"shared_preload_libraries=unorder_rows"});
	server.start();
	Connection admin = server.connect();
	it::create_test_table(admin);
	{
		Connection before = server.connect();
		check_session_does_not_perturb(before);
	}

	admin.exec("ALTER SYSTEM SET unorder_rows.enabled = on");
	CHECK(admin.value("SELECT pg_reload_conf()") == "t");

	/* The reload is asynchronous: wait until the postmaster has processed it. */
	std::string state;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
	do
	{
		Connection probe = server.connect();
		state = probe.value("SHOW unorder_rows");
		if (state != "on")
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
	} while (state != "on" && std::chrono::steady_clock::now() < deadline);
	REQUIRE(state == "on");

	Connection after = server.connect();
	check_session_perturbs(after);
	CHECK(after.value("SHOW unorder_rows.enabled") == "on");
}
