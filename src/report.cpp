/*
 * report.cpp
 *		What was perturbed, per statement and across sessions.
 *
 * At the end of each statement (ExecutorEnd) the plan's perturbation nodes
 * are read.  With unorder_rows.report = notice or log, one line says which
 * open orders were perturbed, where, how many rows, and the seed to replay.
 * The first perturbation of a session with a drawn seed always logs the seed
 * to the server log, so a CI log can replay a failure.
 *
 * When the library is in shared_preload_libraries, the statistics table
 * (one entry per role, database and statement fingerprint: query text,
 * calls, rows perturbed, kinds of open order) lives in shared memory, bounded
 * by unorder_rows.max_statements; when it is full, the least-called 5% make
 * room for new ones.  Locking: the LWLock protects the hash table; shared mode to update
 * an existing entry (counters under the entry's spinlock), exclusive mode to
 * insert, evict or reset.
 *
 * Visibility follows pg_stat_statements: the text is stored normalized
 * (constants replaced by $n), and a role sees the text and fingerprint of
 * another role's statements only with the privileges of pg_read_all_stats
 * (superusers have them); everyone sees the counters.
 */
#include "pg/postgres_includes.hpp"

extern "C"
{
#include "catalog/pg_authid.h"
#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/hsearch.h"
}

#include "fingerprint.hpp"
#include "node.hpp"
#include "report.hpp"
#include "settings.hpp"

/* ---- settings ---- */

enum ReportMode
{
	REPORT_OFF,
	REPORT_NOTICE,
	REPORT_LOG
};

static const struct config_enum_entry report_options[] = {{"off", REPORT_OFF, false},
														  {"notice", REPORT_NOTICE, false},
														  {"log", REPORT_LOG, false},
														  {NULL, 0, false}};

static int report_mode = REPORT_OFF;
static int max_statements = 1000;

/* ---- shared statistics ---- */

#define STATEMENT_TEXT_LEN 1024
#define KIND_COUNT (KIND_DML + 1)

struct StatisticsKey
{
	Oid userid; /* the role that ran the statement (GetUserId, as pg_stat_statements) */
	Oid dbid;
	uint64 fingerprint;
};

struct StatisticsEntry
{
	StatisticsKey key; /* hash key, must be first */
	slock_t mutex;     /* protects the counters */
	int64 calls;
	int64 rows_perturbed;
	int32 kinds; /* bit per PerturbationKind */
	char query[STATEMENT_TEXT_LEN];
};

struct SharedStatistics
{
	LWLock *lock;
};

static SharedStatistics *shared = NULL;
static HTAB *statistics = NULL;

/* ---- saved hooks and local state ---- */

static ExecutorEnd_hook_type prev_executor_end = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;
/* (the previous shmem_request_hook: compat_request_shmem) */
static bool preloaded = false;
static bool seed_logged = false;

/* ---- shared memory ---- */

/* Bytes of shared memory the statistics need. */
static Size
statistics_memsize(void)
{
	return add_size(MAXALIGN(sizeof(SharedStatistics)),
					hash_estimate_size(max_statements, sizeof(StatisticsEntry)));
}

/* Ask for shared memory and a lock (at postmaster start). */
static void
request_shared_memory(void)
{
	compat_prev_shmem_request();
	RequestAddinShmemSpace(statistics_memsize());
	RequestNamedLWLockTranche("unorder_rows", 1);
}

/* Attach to (or create) the shared statistics. */
static void
startup_shared_memory(void)
{
	bool found;
	HASHCTL info;

	if (prev_shmem_startup)
		prev_shmem_startup();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = (SharedStatistics *) ShmemInitStruct("unorder_rows", sizeof(SharedStatistics), &found);
	if (!found)
		shared->lock = &(GetNamedLWLockTranche("unorder_rows"))->lock;
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(StatisticsKey);
	info.entrysize = sizeof(StatisticsEntry);
	statistics = ShmemInitHash("unorder_rows statements", max_statements, max_statements, &info,
							   HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/* Share of the entries evicted at once when the table is full (pg_stat_statements' USAGE_DEALLOC_PERCENT). */
#define EVICT_PERCENT 5

/* qsort comparator: fewer calls first. */
static int
compare_calls(const void *a, const void *b)
{
	int64 calls_a = (*(StatisticsEntry *const *) a)->calls;
	int64 calls_b = (*(StatisticsEntry *const *) b)->calls;

	return calls_a < calls_b ? -1 : calls_a > calls_b ? 1 : 0;
}

/*
 * Make room for new entries: drop the least-called 5% (at least 10), as
 * pg_stat_statements does, so that the whole table is scanned under the
 * exclusive lock once per batch of new entries rather than for each.
 * Caller holds the lock exclusively.
 */
static void
evict_least_called(void)
{
	HASH_SEQ_STATUS scan;
	StatisticsEntry *entry;
	long count = hash_get_num_entries(statistics);
	StatisticsEntry **entries = (StatisticsEntry **) palloc(Max(count, 1) * sizeof(StatisticsEntry *));
	long n = 0;

	hash_seq_init(&scan, statistics);
	while ((entry = (StatisticsEntry *) hash_seq_search(&scan)) != NULL)
		entries[n++] = entry; /* no entry comes or goes: the lock is held exclusively */
	qsort(entries, n, sizeof(StatisticsEntry *), compare_calls);

	long victims = Min(n, Max(10, n * EVICT_PERCENT / 100));

	for (long i = 0; i < victims; i++)
		hash_search(statistics, &entries[i]->key, HASH_REMOVE, NULL);
	pfree(entries);
}

/* Count one perturbed execution of a statement (text: its own text, not yet normalized). */
static void
record_statement(uint64 fingerprint, const char *text, int text_len, int64 rows, int32 kinds)
{
	StatisticsKey key;
	StatisticsEntry *entry;

	memset(&key, 0, sizeof(key));
	key.userid = GetUserId();
	key.dbid = MyDatabaseId;
	key.fingerprint = fingerprint;

	LWLockAcquire(shared->lock, LW_SHARED);
	entry = (StatisticsEntry *) hash_search(statistics, &key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		LWLockRelease(shared->lock);
		/* normalize outside the lock, as pg_stat_statements does: only new entries need it */
		char *query = normalized_statement_text(text, 0, text_len);

		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		entry = (StatisticsEntry *) hash_search(statistics, &key, HASH_FIND, NULL);
		if (entry == NULL)
		{
			bool found;

			if (hash_get_num_entries(statistics) >= max_statements)
				evict_least_called();
			entry = (StatisticsEntry *) hash_search(statistics, &key, HASH_ENTER, &found);
			SpinLockInit(&entry->mutex);
			entry->calls = 0;
			entry->rows_perturbed = 0;
			entry->kinds = 0;
			int len = Min((int) strlen(query), STATEMENT_TEXT_LEN - 1);

			len = pg_mbcliplen(query, len, len);
			memcpy(entry->query, query, len);
			entry->query[len] = '\0';
		}
		pfree(query);
	}
	SpinLockAcquire(&entry->mutex);
	entry->calls++;
	entry->rows_perturbed += rows;
	entry->kinds |= kinds;
	SpinLockRelease(&entry->mutex);
	LWLockRelease(shared->lock);
}

/* ---- per statement ---- */

struct StatementReport
{
	StringInfoData text;
	int nodes;
	int64 rows;
	int32 kinds;
	uint64 fingerprint;
};

/* planstate_tree_walker callback: collect every active perturbation node. */
static bool
collect_node_reports(PlanState *planstate, void *context)
{
	StatementReport *report = (StatementReport *) context;
	PerturbationNodeReport node;

	if (planstate == NULL)
		return false;
	if (unorder_rows_node_report(planstate, &node))
	{
		appendStringInfo(&report->text, "%s%s (" UINT64_FORMAT " %s above %s)", report->nodes > 0 ? ", " : "",
						 perturbation_kind_label((PerturbationKind) node.kind, node.within_runs),
						 node.rows_permuted, node.rows_permuted == 1 ? "row" : "rows", node.input);
		report->nodes++;
		report->rows += node.rows_permuted;
		report->kinds |= 1 << node.kind;
		report->fingerprint = node.fingerprint;
	}
	return compat_planstate_tree_walker(planstate, collect_node_reports, context);
}

/* The statement's own text within the source string (as pg_stat_statements cuts it). */
static const char *
statement_text(QueryDesc *query_desc, int *len)
{
	const char *text = query_desc->sourceText != NULL ? query_desc->sourceText : "";
	int location = query_desc->plannedstmt->stmt_location;
	int length = query_desc->plannedstmt->stmt_len;

	/* the parser's location lies within the text (fingerprint.cpp, statement_copy) */
	if (location >= 0)
	{
		Assert(location <= (int) strlen(text));
		text += location;
	}
	if (length <= 0)
		length = strlen(text);
	else
		length = (int) strnlen(text, length);
	while (length > 0 && isspace((unsigned char) *text))
	{
		text++;
		length--;
	}
	*len = length;
	return text;
}

/* First perturbation of a session with a drawn seed: log it for replay. */
static void
log_session_seed_once(void)
{
	if (seed_logged)
		return;
	seed_logged = true;
	ereport(LOG, (errmsg("unorder_rows: session seed " UINT64_FORMAT, unorder_rows_effective_seed()),
				  errhint("Replay this session's orders with SET unorder_rows.seed = " UINT64_FORMAT ".",
						  unorder_rows_effective_seed())));
}

/* Longest statement text a report line carries, in bytes. */
#define REPORT_STATEMENT_MAX 1024

/* Report one finished statement, if anything in it was perturbed. */
static void
report_statement(QueryDesc *query_desc)
{
	StatementReport report;

	report.nodes = 0;
	report.rows = 0;
	report.kinds = 0;
	report.fingerprint = 0;
	initStringInfo(&report.text);
	collect_node_reports(query_desc->planstate, &report);
	if (report.nodes == 0)
		return;

	log_session_seed_once();
	int len;
	const char *text = statement_text(query_desc, &len);

	if (report_mode != REPORT_OFF)
	{
		/*
		 * The statement's text goes with the line, so that a client collecting notices (the
		 * pytest plugin, a driver's notice log) can show which query relied on an order, also
		 * for statements run inside functions.  Clipped like a log line should be.
		 */
		int whole = len;

		/* a utility statement's text runs to the end of the string, ";" included */
		while (whole > 0 && (text[whole - 1] == ';' || isspace((unsigned char) text[whole - 1])))
			whole--;

		int shown = pg_mbcliplen(text, whole, Min(whole, REPORT_STATEMENT_MAX));

		ereport(report_mode == REPORT_LOG ? LOG : NOTICE,
				(errmsg("unorder_rows: perturbed %s", report.text.data),
				 errdetail("Replay with SET unorder_rows.seed = " UINT64_FORMAT ".\nStatement: %.*s%s",
						   unorder_rows_effective_seed(), shown, text, shown < whole ? " ..." : "")));
	}
	if (shared != NULL && statistics != NULL)
	{
		uint64 fingerprint = report.fingerprint;

		if (fingerprint == 0)
			fingerprint = hash_bytes_extended((const unsigned char *) text, len, 0);
		record_statement(fingerprint, text, len, report.rows, report.kinds);
	}
}

/* ExecutorEnd hook: report, then end as usual. */
static void
unorder_rows_executor_end(QueryDesc *query_desc)
{
	if (unorder_rows_active() && query_desc->planstate != NULL)
		report_statement(query_desc);
	if (prev_executor_end)
		prev_executor_end(query_desc);
	else
		standard_ExecutorEnd(query_desc);
}

void
unorder_rows_define_report_settings(void)
{
	DefineCustomEnumVariable("unorder_rows.report", "Reports each statement whose row order was perturbed.",
							 "off, notice (to the client) or log (to the server log).", &report_mode,
							 REPORT_OFF, report_options, PGC_USERSET, 0, NULL, NULL, NULL);
	preloaded = process_shared_preload_libraries_in_progress;
	if (preloaded)
		DefineCustomIntVariable("unorder_rows.max_statements",
								"Sets the number of statements unorder_rows_statements keeps.", NULL,
								&max_statements, 1000, 100, 1000000, PGC_POSTMASTER, 0, NULL, NULL, NULL);
}

void
unorder_rows_install_report_hooks(void)
{
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = unorder_rows_executor_end;
	if (!preloaded)
		return;
	compat_request_shmem(request_shared_memory);
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = startup_shared_memory;
}

/* ---- SQL-callable functions ---- */

extern "C"
{
	PG_FUNCTION_INFO_V1(unorder_rows_statements);
	PG_FUNCTION_INFO_V1(unorder_rows_statements_0_2);
	PG_FUNCTION_INFO_V1(unorder_rows_reset);
	PG_FUNCTION_INFO_V1(unorder_rows_reset_0_2);
}

/* The SQL-level signatures of unorder_rows_statements, by their number of columns. */
enum StatementsApi
{
	STATEMENTS_API_0_1 = 5, /* fingerprint, query, calls, rows_perturbed, open_orders; this database */
	STATEMENTS_API_0_2 = 7  /* userid and dbid first; every database, as pg_stat_statements */
};

/* Raise the usual error when the library was not preloaded. */
static void
require_shared_statistics(void)
{
	if (shared == NULL || statistics == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("unorder_rows statement statistics are not available"),
						errdetail("They are kept only when the library is loaded at server start."),
						errhint("Add unorder_rows to shared_preload_libraries and restart the server.")));
}

/*
 * One row per perturbed statement, in the columns of the installed extension
 * version (an older SQL definition may run against a newer library).
 */
static void
statements_internal(FunctionCallInfo fcinfo, StatementsApi api)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid userid = GetUserId();
	/* pg_stat_statements' rule: superusers and roles with pg_read_all_stats's privileges see all */
	bool is_allowed_role = has_privs_of_role(userid, ROLE_PG_READ_ALL_STATS);
	HASH_SEQ_STATUS scan;
	StatisticsEntry *entry;

	require_shared_statistics();
	compat_init_materialized_srf(fcinfo);
	if (rsinfo->setDesc->natts != (int) api)
		elog(ERROR, "incorrect number of output arguments");

	LWLockAcquire(shared->lock, LW_SHARED);
	hash_seq_init(&scan, statistics);
	while ((entry = (StatisticsEntry *) hash_seq_search(&scan)) != NULL)
	{
		Datum values[STATEMENTS_API_0_2];
		bool nulls[STATEMENTS_API_0_2] = {false, false, false, false, false, false, false};
		Datum kinds[KIND_COUNT];
		int nkinds = 0;
		int i = 0;
		int64 calls;
		int64 rows;
		int32 kind_bits;

		if (api == STATEMENTS_API_0_1 && entry->key.dbid != MyDatabaseId)
			continue;
		SpinLockAcquire(&entry->mutex);
		calls = entry->calls;
		rows = entry->rows_perturbed;
		kind_bits = entry->kinds;
		SpinLockRelease(&entry->mutex);

		for (int kind = 0; kind < KIND_COUNT; kind++)
			if (kind_bits & (1 << kind))
				kinds[nkinds++] =
					CStringGetTextDatum(perturbation_kind_label((PerturbationKind) kind, false));
		if (api == STATEMENTS_API_0_2)
		{
			values[i++] = ObjectIdGetDatum(entry->key.userid);
			values[i++] = ObjectIdGetDatum(entry->key.dbid);
		}
		if (is_allowed_role || entry->key.userid == userid)
		{
			values[i++] = Int64GetDatum((int64) entry->key.fingerprint);
			values[i++] = CStringGetTextDatum(entry->query);
		}
		else
		{
			/* like pg_stat_statements' queryid, the fingerprint would tell statements apart */
			nulls[i++] = true;
			values[i++] = CStringGetTextDatum("<insufficient privilege>");
		}
		values[i++] = Int64GetDatum(calls);
		values[i++] = Int64GetDatum(rows);
		values[i++] = PointerGetDatum(construct_array(kinds, nkinds, TEXTOID, -1, false, TYPALIGN_INT));
		Assert(i == (int) api);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(shared->lock);
}

/* unorder_rows_statements as extension version 0.1 declares it (5 columns, this database). */
extern "C" Datum
unorder_rows_statements(PG_FUNCTION_ARGS)
{
	statements_internal(fcinfo, STATEMENTS_API_0_1);
	return (Datum) 0;
}

/* unorder_rows_statements since version 0.2: with userid and dbid, every database. */
extern "C" Datum
unorder_rows_statements_0_2(PG_FUNCTION_ARGS)
{
	statements_internal(fcinfo, STATEMENTS_API_0_2);
	return (Datum) 0;
}

/* Forget the statements of a role, a database and a fingerprint; 0 matches any. */
static void
reset_statements(Oid userid, Oid dbid, uint64 fingerprint)
{
	HASH_SEQ_STATUS scan;
	StatisticsEntry *entry;

	require_shared_statistics();
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&scan, statistics);
	while ((entry = (StatisticsEntry *) hash_seq_search(&scan)) != NULL)
		if ((userid == InvalidOid || entry->key.userid == userid) &&
			(dbid == InvalidOid || entry->key.dbid == dbid) &&
			(fingerprint == 0 || entry->key.fingerprint == fingerprint))
			hash_search(statistics, &entry->key, HASH_REMOVE, NULL);
	LWLockRelease(shared->lock);
}

/* unorder_rows_reset() as version 0.1 declares it: forget every statement. */
extern "C" Datum
unorder_rows_reset(PG_FUNCTION_ARGS)
{
	reset_statements(InvalidOid, InvalidOid, 0);
	PG_RETURN_VOID();
}

/* unorder_rows_reset(userid, dbid, fingerprint) since 0.2: 0 for any, as pg_stat_statements_reset. */
extern "C" Datum
unorder_rows_reset_0_2(PG_FUNCTION_ARGS)
{
	reset_statements(PG_GETARG_OID(0), PG_GETARG_OID(1), (uint64) PG_GETARG_INT64(2));
	PG_RETURN_VOID();
}
