/*
 * compat.hpp
 *		Version shims: every PG_VERSION_NUM difference lives here.
 *
 * unorder_rows targets PostgreSQL 13 to 18 from one source tree.  Code
 * elsewhere calls the helpers below instead of testing PG_VERSION_NUM.
 */
#ifndef UNORDER_ROWS_PG_COMPAT_HPP
#define UNORDER_ROWS_PG_COMPAT_HPP

#if PG_VERSION_NUM < 130000
#error "unorder_rows requires PostgreSQL 13 or later"
#endif

#if PG_VERSION_NUM >= 180000
extern "C"
{
#include "commands/explain_format.h"
}
#endif

/* The OID of pg_read_all_stats (PostgreSQL 14 renamed the symbol). */
#if PG_VERSION_NUM < 140000
#define ROLE_PG_READ_ALL_STATS DEFAULT_ROLE_READ_ALL_STATS
#endif

/* Whether a command is a MERGE (PostgreSQL 15 added it). */
static inline bool
compat_is_merge(CmdType command)
{
#if PG_VERSION_NUM >= 150000
	return command == CMD_MERGE;
#else
	(void) command;
	return false;
#endif
}

/* Whether a node is a TID range scan (PostgreSQL 14 added them). */
static inline bool
compat_is_tid_range_scan(const Node *node)
{
#if PG_VERSION_NUM >= 140000
	return IsA(node, TidRangeScan) || IsA(node, TidRangeScanState);
#else
	(void) node;
	return false;
#endif
}

/*
 * Call fn on the address of each source path of a ModifyTable path: one
 * since PostgreSQL 14, one per result relation before.
 */
template <typename Fn>
static inline void
compat_for_each_modify_source(ModifyTablePath *mt, Fn fn)
{
#if PG_VERSION_NUM >= 140000
	fn(&mt->subpath);
#else
	ListCell *lc;

	foreach (lc, mt->subpaths)
		fn((Path **) &lfirst(lc));
#endif
}

/* Call fn on the address of each child a ModifyTable plan keeps outside lefttree. */
template <typename Fn>
static inline void
compat_for_each_modify_table_plan(Plan *plan, Fn fn)
{
#if PG_VERSION_NUM < 140000
	ListCell *lc;

	foreach (lc, ((ModifyTable *) plan)->plans)
		fn((Plan **) &lfirst(lc));
#else
	(void) plan;
	(void) fn;
#endif
}

/* expression_tree_mutator with a typed callback (PostgreSQL 16 typed it too). */
typedef Node *(*compat_tree_mutator)(Node *node, void *context);

static inline Node *
compat_expression_tree_mutator(Node *node, compat_tree_mutator mutator, void *context)
{
#if PG_VERSION_NUM >= 160000
	return expression_tree_mutator(node, mutator, context);
#else
	return expression_tree_mutator(
		node, reinterpret_cast<Node *(*) ()>(reinterpret_cast<void (*)(void)>(mutator)), context);
#endif
}

/*
 * Whether an expression holds a row identity Var of an inherited UPDATE/DELETE/MERGE target
 * (varno ROWID_VAR, PostgreSQL 14+): setrefs resolves those only in nodes that read a child's
 * output, so they must not reach a scan-level target list such as custom_scan_tlist.
 */
static inline bool
compat_has_row_identity_vars(Node *expr)
{
#if PG_VERSION_NUM >= 140000
	List *vars =
		pull_var_clause(expr, PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS | PVC_RECURSE_PLACEHOLDERS);
	ListCell *lc;

	foreach (lc, vars)
		if (((Var *) lfirst(lc))->varno == ROWID_VAR)
			return true;
#else
	(void) expr;
#endif
	return false;
}

/*
 * The CustomPath flag that lets the planner fold a projection into the node instead of adding
 * a Result above it: PostgreSQL 15 made custom scans opt in; before, they always could.
 */
static inline uint32
compat_custom_path_projection_flag(void)
{
#ifdef CUSTOMPATH_SUPPORT_PROJECTION
	return CUSTOMPATH_SUPPORT_PROJECTION;
#else
	return 0;
#endif
}

/*
 * Copy a path's count of disabled nodes (enable_* off; PostgreSQL 18 compares
 * it before costs) to a path that wraps it.
 */
static inline void
compat_copy_disabled_nodes(Path *to, const Path *from)
{
#if PG_VERSION_NUM >= 180000
	to->disabled_nodes = from->disabled_nodes;
#else
	(void) to;
	(void) from;
#endif
}

/* Set up a set-returning function's result tuplestore (InitMaterializedSRF). */
static inline void
compat_init_materialized_srf(FunctionCallInfo fcinfo)
{
#if PG_VERSION_NUM >= 150000
	InitMaterializedSRF(fcinfo, 0);
#else
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(desc);
	MemoryContextSwitchTo(old);
#endif
}

/* Begin a heap tuplesort that is read once, forward. */
static inline Tuplesortstate *
compat_tuplesort_begin_heap(TupleDesc desc, int nkeys, AttrNumber *cols, Oid *ops, Oid *collations,
							bool *nulls_first, int work_mem_kb, bool random_access)
{
#if PG_VERSION_NUM >= 150000
	return tuplesort_begin_heap(desc, nkeys, cols, ops, collations, nulls_first, work_mem_kb, NULL,
								random_access ? TUPLESORT_RANDOMACCESS : TUPLESORT_NONE);
#else
	return tuplesort_begin_heap(desc, nkeys, cols, ops, collations, nulls_first, work_mem_kb, NULL,
								random_access);
#endif
}

/* Claim the "unorder_rows." prefix: unknown names under it become errors. */
static inline void
compat_mark_guc_prefix_reserved(const char *prefix)
{
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved(prefix);
#else
	EmitWarningsOnPlaceholders(prefix);
#endif
}

/*
 * Whether an Agg of this level may rely on presorted input for aggregates
 * with ORDER BY or DISTINCT (PostgreSQL 16 sorts their input in the plan).
 */
static inline bool
compat_aggregates_may_use_input_order(PlannerInfo *root)
{
#if PG_VERSION_NUM >= 160000
	return root->numOrderedAggs > 0;
#else
	(void) root;
	return false;
#endif
}

/* planstate_tree_walker with a typed callback (PostgreSQL 16 typed it too). */
typedef bool (*compat_planstate_walker)(PlanState *planstate, void *context);

static inline bool
compat_planstate_tree_walker(PlanState *planstate, compat_planstate_walker walker, void *context)
{
#if PG_VERSION_NUM >= 160000
	return planstate_tree_walker(planstate, walker, context);
#else
	return planstate_tree_walker(
		planstate, reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)(void)>(walker)), context);
#endif
}

/* expression_tree_walker with a typed callback (PostgreSQL 16 typed it too). */
typedef bool (*compat_tree_walker)(Node *node, void *context);

static inline bool
compat_expression_tree_walker(Node *node, compat_tree_walker walker, void *context)
{
#if PG_VERSION_NUM >= 160000
	return expression_tree_walker(node, walker, context);
#else
	/* via void (*)(void), the generic function pointer type */
	return expression_tree_walker(
		node, reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)(void)>(walker)), context);
#endif
}

/*
 * BufFileWrite: PostgreSQL 13 returns the bytes written and leaves errors to
 * the caller; later versions raise them themselves.
 */
static inline void
compat_buffile_write(BufFile *file, const void *data, size_t size)
{
#if PG_VERSION_NUM < 140000
	if (BufFileWrite(file, const_cast<void *>(data), size) != size)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not write to temporary file: %m")));
#else
	BufFileWrite(file, const_cast<void *>(data), size);
#endif
}

/*
 * A LogicalTapeSet's tapes: LogicalTape pointers since PostgreSQL 15,
 * numbers into a set that grows with LogicalTapeSetExtend before.  A
 * CompatTapeSet is one temporary file whose blocks are recycled as they are
 * read, as tuplesort's merges do.
 */
#if PG_VERSION_NUM >= 150000
typedef LogicalTape *CompatTape;
#else
typedef int CompatTape;
#endif

struct CompatTapeSet
{
	LogicalTapeSet *lts;
	int ntapes; /* tapes made so far (numbers, before PostgreSQL 15) */
};

static inline void
compat_tapeset_create(CompatTapeSet *set)
{
#if PG_VERSION_NUM >= 150000
	set->lts = LogicalTapeSetCreate(false, NULL, -1);
#else
	set->lts = LogicalTapeSetCreate(1, false, NULL, NULL, -1);
#endif
	set->ntapes = 0;
}

/* A new tape, open for writing. */
static inline CompatTape
compat_tape_create(CompatTapeSet *set)
{
#if PG_VERSION_NUM >= 150000
	set->ntapes++;
	return LogicalTapeCreate(set->lts);
#else
	if (set->ntapes > 0)
		LogicalTapeSetExtend(set->lts, 1);
	return set->ntapes++;
#endif
}

static inline void
compat_tape_write(CompatTapeSet *set, CompatTape tape, const void *data, size_t size)
{
#if PG_VERSION_NUM >= 150000
	(void) set;
	LogicalTapeWrite(tape, const_cast<void *>(data), size);
#else
	LogicalTapeWrite(set->lts, tape, const_cast<void *>(data), size);
#endif
}

static inline size_t
compat_tape_read(CompatTapeSet *set, CompatTape tape, void *data, size_t size)
{
#if PG_VERSION_NUM >= 150000
	(void) set;
	return LogicalTapeRead(tape, data, size);
#else
	return LogicalTapeRead(set->lts, tape, data, size);
#endif
}

/* Done writing: read from the start, through a buffer of buffer_size bytes. */
static inline void
compat_tape_rewind_for_read(CompatTapeSet *set, CompatTape tape, size_t buffer_size)
{
#if PG_VERSION_NUM >= 150000
	(void) set;
	LogicalTapeRewindForRead(tape, buffer_size);
#else
	LogicalTapeRewindForRead(set->lts, tape, buffer_size);
#endif
}

/*
 * Done with a tape that was read to its end (its blocks are free already):
 * release its buffer.  Before PostgreSQL 15 a tape stays in the set,
 * rewound for writing, which frees the buffer the same way.
 */
static inline void
compat_tape_close(CompatTapeSet *set, CompatTape tape)
{
#if PG_VERSION_NUM >= 150000
	(void) set;
	LogicalTapeClose(tape);
#else
	LogicalTapeRewindForWrite(set->lts, tape);
#endif
}

/*
 * Shared memory is requested from shmem_request_hook since PostgreSQL 15,
 * from _PG_init before.  compat_request_shmem(request) runs request at the
 * right time (installing it as the hook, the previous one saved first);
 * request calls compat_prev_shmem_request() before anything else.
 */
#if PG_VERSION_NUM >= 150000
inline shmem_request_hook_type compat_saved_shmem_request_hook = NULL;
#endif

static inline void
compat_request_shmem(void (*request)(void))
{
#if PG_VERSION_NUM >= 150000
	compat_saved_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = request;
#else
	request();
#endif
}

static inline void
compat_prev_shmem_request(void)
{
#if PG_VERSION_NUM >= 150000
	if (compat_saved_shmem_request_hook)
		compat_saved_shmem_request_hook();
#endif
}

/*
 * The visible rows of the page a heap scan in page mode is on (what
 * heap_prepare_pagescan / heapgetpage found), in offset order: *count of
 * them; NULL when the scan is not in page mode.  PostgreSQL 18 made the
 * count unsigned.
 */
static inline const OffsetNumber *
compat_heap_page_visible_rows(TableScanDesc scan, uint32 *count)
{
	HeapScanDesc heap = (HeapScanDesc) scan;

	if ((scan->rs_flags & SO_ALLOW_PAGEMODE) == 0)
		return NULL;
	*count = (uint32) heap->rs_ntuples;
	return heap->rs_vistuples;
}

/*
 * Whether a column of a planned table is NOT NULL for every row.  From
 * PostgreSQL 17 the planner keeps the set itself (RelOptInfo.notnullattnums,
 * which 18 fills only from valid constraints: a NOT VALID one may still have
 * NULLs); before, pg_attribute.attnotnull says it.
 */
static inline bool
compat_column_not_null(RelOptInfo *rel, Oid relid, AttrNumber attno)
{
#if PG_VERSION_NUM >= 170000
	(void) relid;
	return bms_is_member(attno, rel->notnullattnums);
#else
	HeapTuple tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attno));

	(void) rel;
	if (!HeapTupleIsValid(tuple))
		return false;

	bool not_null = ((Form_pg_attribute) GETSTRUCT(tuple))->attnotnull;

	ReleaseSysCache(tuple);
	return not_null;
#endif
}

/* The page a heap scan is on (its buffer is pinned). */
static inline Page
compat_heap_scan_page(TableScanDesc scan)
{
	return BufferGetPage(((HeapScanDesc) scan)->rs_cbuf);
}

#endif
