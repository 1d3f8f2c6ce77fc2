/*
 * pg_harness.hpp
 *		Throwaway PostgreSQL servers and libpq connections for the integration
 *		tests of unorder_rows.
 *
 * Configuration comes from the environment:
 *   UNORDER_ROWS_TEST_DIR      scratch directory; each server lives in a
 *                              subdirectory of it (data directory and socket)
 *   UNORDER_ROWS_TEST_PORT     base port; server number n listens on base + n
 *   UNORDER_ROWS_PG_INSTANCE   path of test/pg_instance.sh
 *   PG_CONFIG                  optional, passed on to pg_instance.sh
 *
 * Every server started is recorded in a process-wide list; an Instance stops
 * its server when destroyed, and stop_all_instances() (called from main and
 * from the Catch2 listener on a fatal error) stops whatever is still running.
 * Query failures throw QueryError, which Catch2 reports as a failed test.
 */
#ifndef UNORDER_ROWS_PG_HARNESS_HPP
#define UNORDER_ROWS_PG_HARNESS_HPP

#include <libpq-fe.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace it
{

/* The environment the harness runs in (read once). */
struct HarnessConfig
{
	std::string scratch_dir;
	int base_port = 0;
	std::string instance_script;
	std::string pg_config; /* empty: pg_instance.sh uses pg_config on PATH */
};

/* The harness configuration; throws std::runtime_error naming a missing variable. */
const HarnessConfig &harness_config();

/* Stops every server started by this process that is still running. */
void stop_all_instances() noexcept;

/* A failed connection attempt or query, with libpq's message. */
class QueryError : public std::runtime_error
{
public:
	using std::runtime_error::runtime_error;
};

/* Connection parameters beyond host and port. */
struct ConnectOptions
{
	std::string dbname = "postgres";
	std::string user = "postgres";
	std::string options; /* the libpq "options" keyword, e.g. "-c x=y" */
};

/* One libpq connection; move-only, closed on destruction. */
class Connection
{
public:
	explicit Connection(PGconn *conn) : conn_(conn) {}
	Connection(Connection &&other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
	Connection &operator=(Connection &&other) noexcept;
	Connection(const Connection &) = delete;
	Connection &operator=(const Connection &) = delete;
	~Connection();

	/* Runs a statement (or several separated by ';'); throws QueryError on failure. */
	void exec(const std::string &sql);

	/* Runs a query; one string per row, fields joined by '|', NULL as "NULL". */
	std::vector<std::string> rows(const std::string &sql);

	/* Runs a query that returns exactly one value. */
	std::string value(const std::string &sql);

	/* Runs a statement expected to fail: its error message, or nullopt if it succeeded. */
	std::optional<std::string> error_of(const std::string &sql);

	/* Protocol-level prepared statements (PQprepare / PQexecPrepared). */
	void prepare(const std::string &name, const std::string &sql);
	std::vector<std::string> exec_prepared(const std::string &name, const std::vector<std::string> &params);

	PGconn *raw() const { return conn_; }

private:
	PGconn *conn_;
};

/* Rows of a result as strings; throws QueryError unless the result is OK. */
std::vector<std::string> result_rows(PGresult *res, PGconn *conn, const std::string &what);

/*
 * One server in UNORDER_ROWS_TEST_DIR/<name>, listening on base port + slot.
 * start() wipes any previous data directory, so each start is a fresh cluster.
 */
class Instance
{
public:
	Instance(std::string name, int slot, std::vector<std::string> server_settings = {});
	Instance(const Instance &) = delete;
	Instance &operator=(const Instance &) = delete;
	~Instance();

	void start();
	void stop() noexcept;

	const std::string &dir() const { return dir_; }
	int port() const { return port_; }

	/* Opens a connection; throws QueryError if it fails. */
	Connection connect(const ConnectOptions &opts = {}) const;

	/* Tries to open a connection: the connection, or the error message. */
	std::pair<std::optional<Connection>, std::string> try_connect(const ConnectOptions &opts = {}) const;

private:
	std::string dir_;
	int port_;
	std::vector<std::string> server_settings_;
	bool running_ = false;
};

/* "1,2,...,n": the expected rows of a one-column query over 1..n in order. */
std::vector<std::string> sequence(int n);

/* The rows sorted numerically (for multiset comparisons of integer columns). */
std::vector<std::string> sorted_numerically(std::vector<std::string> rows);

/* Rows joined by ',' for readable failure messages. */
std::string join(const std::vector<std::string> &rows);

} // namespace it

#endif /* UNORDER_ROWS_PG_HARNESS_HPP */
