/*
 * test_main.cpp
 *		Catch2 entry point of the integration tests: checks the environment,
 *		runs the tests and stops every server they started, whatever happened.
 *
 *   UNORDER_ROWS_TEST_DIR=/tmp/it UNORDER_ROWS_TEST_PORT=56100 \
 *   UNORDER_ROWS_PG_INSTANCE=$PWD/test/pg_instance.sh build/cmake/integration_tests
 */
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "pg_harness.hpp"

#include <exception>
#include <iostream>

namespace
{

/* Stops the servers when the run ends and when Catch2 catches a fatal signal. */
class InstanceCleanupListener : public Catch::TestEventListenerBase
{
public:
	using Catch::TestEventListenerBase::TestEventListenerBase;

	void fatalErrorEncountered(Catch::StringRef) override { it::stop_all_instances(); }

	void testRunEnded(const Catch::TestRunStats &stats) override
	{
		it::stop_all_instances();
		Catch::TestEventListenerBase::testRunEnded(stats);
	}
};

} // namespace

CATCH_REGISTER_LISTENER(InstanceCleanupListener)

int
main(int argc, char *argv[])
{
	Catch::Session session;
	int status = session.applyCommandLine(argc, argv);
	if (status != 0)
		return status;

	const Catch::ConfigData &config = session.configData();
	bool only_listing = config.showHelp || config.listTests || config.listTestNamesOnly || config.listTags ||
						config.listReporters;
	if (!only_listing)
	{
		try
		{
			it::harness_config();
		}
		catch (const std::exception &e)
		{
			std::cerr << "integration_tests: " << e.what() << "\n";
			return 2;
		}
	}

	try
	{
		status = session.run();
	}
	catch (...)
	{
		it::stop_all_instances();
		throw;
	}
	it::stop_all_instances();
	return status;
}
