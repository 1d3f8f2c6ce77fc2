/*
 * pg_harness.cpp
 *		Implementation of the integration-test harness (see pg_harness.hpp).
 */
#include "pg_harness.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>

namespace it
{

namespace
{

/* Directories of the servers this process started and has not stopped yet. */
std::mutex registry_mutex;
std::set<std::string> running_dirs;

/* The value of an environment variable that must be set. */
std::string
required_env(const char *name)
{
	const char *value = std::getenv(name);
	if (value == nullptr || *value == '\0')
		throw std::runtime_error(std::string("environment variable ") + name +
								 " is not set (see test/integration/pg_harness.hpp)");
	return value;
}

/* The argument quoted for /bin/sh. */
std::string
shell_quote(const std::string &arg)
{
	std::string quoted = "'";
	for (char c : arg)
	{
		if (c == '\'')
			quoted += "'\\''";
		else
			quoted += c;
	}
	return quoted + "'";
}

/* Runs pg_instance.sh with the given arguments; returns its exit status. */
int
run_instance_script(const std::vector<std::string> &args)
{
	const HarnessConfig &config = harness_config();
	std::string command;
	if (!config.pg_config.empty())
		command += "PG_CONFIG=" + shell_quote(config.pg_config) + " ";
	command += shell_quote(config.instance_script);
	for (const std::string &arg : args)
		command += " " + shell_quote(arg);
	return std::system(command.c_str());
}

/* First line of a command's standard output, without the newline. */
std::string
command_output(const std::string &command)
{
	std::string output;
	FILE *pipe = popen(command.c_str(), "r");
	if (pipe == nullptr)
		return output;
	char buf[4096];
	if (std::fgets(buf, sizeof(buf), pipe) != nullptr)
		output = buf;
	pclose(pipe);
	while (!output.empty() && (output.back() == '\n' || output.back() == '\r'))
		output.pop_back();
	return output;
}

/* Reads and checks the environment. */
HarnessConfig
load_config()
{
	HarnessConfig config;
	config.scratch_dir = required_env("UNORDER_ROWS_TEST_DIR");
	config.instance_script = required_env("UNORDER_ROWS_PG_INSTANCE");
	std::string port = required_env("UNORDER_ROWS_TEST_PORT");
	try
	{
		config.base_port = std::stoi(port);
	}
	catch (const std::exception &)
	{
		throw std::runtime_error("UNORDER_ROWS_TEST_PORT is not a number: " + port);
	}
	if (config.base_port <= 0 || config.base_port > 65500)
		throw std::runtime_error("UNORDER_ROWS_TEST_PORT out of range: " + port);
	if (const char *pg_config = std::getenv("PG_CONFIG"))
		config.pg_config = pg_config;

	namespace fs = std::filesystem;
	if (!fs::exists(config.instance_script))
		throw std::runtime_error("UNORDER_ROWS_PG_INSTANCE does not exist: " + config.instance_script);
	fs::create_directories(config.scratch_dir);
	config.scratch_dir = fs::canonical(config.scratch_dir).string();
	/* As root the servers run as "postgres", which must reach its subdirectories. */
	if (geteuid() == 0)
		fs::permissions(config.scratch_dir, fs::perms::group_exec | fs::perms::others_exec,
						fs::perm_options::add);

	std::string pg_config = config.pg_config.empty() ? "pg_config" : config.pg_config;
	std::string libdir = command_output(shell_quote(pg_config) + " --pkglibdir 2>/dev/null");
	if (libdir.empty() || !fs::exists(libdir + "/unorder_rows.so"))
		throw std::runtime_error("unorder_rows.so is not installed in '" + libdir + "' of " + pg_config +
								 " (run make && make install)");
	return config;
}

/* Fields of one row joined by '|'. */
std::string
row_string(PGresult *res, int row)
{
	std::string out;
	for (int col = 0; col < PQnfields(res); col++)
	{
		if (col > 0)
			out += '|';
		out += PQgetisnull(res, row, col) ? std::string("NULL") : std::string(PQgetvalue(res, row, col));
	}
	return out;
}

/* libpq's message without the trailing newline. */
std::string
trimmed(const char *message)
{
	std::string out = message ? message : "";
	while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
		out.pop_back();
	return out;
}

} // namespace

const HarnessConfig &
harness_config()
{
	static const HarnessConfig config = load_config();
	return config;
}

void
stop_all_instances() noexcept
{
	std::set<std::string> dirs;
	{
		std::lock_guard<std::mutex> lock(registry_mutex);
		dirs.swap(running_dirs);
	}
	for (const std::string &dir : dirs)
	{
		try
		{
			run_instance_script({"stop", dir});
		}
		catch (...)
		{
			/* Nothing more to do while shutting down. */
		}
	}
}

/* ---- Connection ---- */

Connection &
Connection::operator=(Connection &&other) noexcept
{
	if (this != &other)
	{
		if (conn_ != nullptr)
			PQfinish(conn_);
		conn_ = std::exchange(other.conn_, nullptr);
	}
	return *this;
}

Connection::~Connection()
{
	if (conn_ != nullptr)
		PQfinish(conn_);
}

std::vector<std::string>
result_rows(PGresult *res, PGconn *conn, const std::string &what)
{
	ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
	{
		std::string message = trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
		PQclear(res);
		throw QueryError(what + ": " + message);
	}
	std::vector<std::string> rows;
	for (int row = 0; row < PQntuples(res); row++)
		rows.push_back(row_string(res, row));
	PQclear(res);
	return rows;
}

void
Connection::exec(const std::string &sql)
{
	result_rows(PQexec(conn_, sql.c_str()), conn_, sql);
}

std::vector<std::string>
Connection::rows(const std::string &sql)
{
	return result_rows(PQexec(conn_, sql.c_str()), conn_, sql);
}

std::string
Connection::value(const std::string &sql)
{
	std::vector<std::string> result = rows(sql);
	if (result.size() != 1)
		throw QueryError(sql + ": expected one row, got " + std::to_string(result.size()));
	return result.front();
}

std::optional<std::string>
Connection::error_of(const std::string &sql)
{
	try
	{
		exec(sql);
	}
	catch (const QueryError &e)
	{
		return std::string(e.what());
	}
	return std::nullopt;
}

void
Connection::prepare(const std::string &name, const std::string &sql)
{
	result_rows(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), conn_, "prepare " + sql);
}

std::vector<std::string>
Connection::exec_prepared(const std::string &name, const std::vector<std::string> &params)
{
	std::vector<const char *> values;
	for (const std::string &param : params)
		values.push_back(param.c_str());
	return result_rows(PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
									  nullptr, nullptr, 0),
					   conn_, "execute " + name);
}

/* ---- Instance ---- */

Instance::Instance(std::string name, int slot, std::vector<std::string> server_settings)
	: dir_(harness_config().scratch_dir + "/" + name), port_(harness_config().base_port + slot),
	  server_settings_(std::move(server_settings))
{
}

Instance::~Instance()
{
	stop();
}

void
Instance::start()
{
	stop();
	/* A server left behind by an aborted run, then its old cluster. */
	run_instance_script({"stop", dir_});
	std::filesystem::remove_all(dir_);

	std::vector<std::string> args = {"start", dir_, std::to_string(port_)};
	args.insert(args.end(), server_settings_.begin(), server_settings_.end());
	{
		/* Registered before starting, so a half-started server is stopped too. */
		std::lock_guard<std::mutex> lock(registry_mutex);
		running_dirs.insert(dir_);
	}
	running_ = true;
	int status = run_instance_script(args);
	if (status != 0)
		throw std::runtime_error("pg_instance.sh start " + dir_ + " failed (status " +
								 std::to_string(status) + "); see " + dir_ + "/server.log");
}

void
Instance::stop() noexcept
{
	if (!running_)
		return;
	running_ = false;
	bool registered;
	{
		std::lock_guard<std::mutex> lock(registry_mutex);
		registered = running_dirs.erase(dir_) > 0;
	}
	if (registered)
	{
		try
		{
			run_instance_script({"stop", dir_});
		}
		catch (...)
		{
			/* stop_all_instances() swapped the list out and stops it. */
		}
	}
}

std::pair<std::optional<Connection>, std::string>
Instance::try_connect(const ConnectOptions &opts) const
{
	std::string port = std::to_string(port_);
	std::vector<const char *> keywords = {"host", "port", "dbname", "user"};
	std::vector<const char *> values = {dir_.c_str(), port.c_str(), opts.dbname.c_str(), opts.user.c_str()};
	if (!opts.options.empty())
	{
		keywords.push_back("options");
		values.push_back(opts.options.c_str());
	}
	keywords.push_back(nullptr);
	values.push_back(nullptr);

	PGconn *conn = PQconnectdbParams(keywords.data(), values.data(), 0);
	if (conn == nullptr)
		return {std::nullopt, "out of memory"};
	if (PQstatus(conn) != CONNECTION_OK)
	{
		std::string message = trimmed(PQerrorMessage(conn));
		PQfinish(conn);
		return {std::nullopt, message};
	}
	return {Connection(conn), ""};
}

Connection
Instance::connect(const ConnectOptions &opts) const
{
	auto [conn, message] = try_connect(opts);
	if (!conn)
		throw QueryError("connection to " + dir_ + " port " + std::to_string(port_) + " db " + opts.dbname +
						 " as " + opts.user + " failed: " + message);
	return std::move(*conn);
}

/* ---- helpers ---- */

std::vector<std::string>
sequence(int n)
{
	std::vector<std::string> rows;
	for (int i = 1; i <= n; i++)
		rows.push_back(std::to_string(i));
	return rows;
}

std::vector<std::string>
sorted_numerically(std::vector<std::string> rows)
{
	std::sort(rows.begin(), rows.end(),
			  [](const std::string &a, const std::string &b)
			  {
				  if (a.size() != b.size())
					  return a.size() < b.size();
				  return a < b;
			  });
	return rows;
}

std::string
join(const std::vector<std::string> &rows)
{
	std::ostringstream out;
	for (size_t i = 0; i < rows.size(); i++)
		out << (i ? "," : "") << rows[i];
	return out.str();
}

} // namespace it
