/*
 * shuffle_scan.cpp
 *		Executor side of the UnorderRows node: buffer, permute, emit.
 *
 * SCOPE_ALL reads its whole input, then emits it permuted.  SCOPE_WITHIN_RUNS
 * streams: it buffers one run of rows equal on the key columns at a time and
 * permutes it; a run of one row passes straight through.  The node never
 * supports backward scans or mark/restore, so the planner materializes above
 * it where those are needed (SCROLL cursors, merge joins).
 *
 * When the switch is off at execution time (a plan made while it was on),
 * the node passes rows through unchanged.
 *
 * Most statements of a test suite return zero or one row.  The machinery to
 * permute (statement fingerprint and seed, buffer, key comparison) is set up
 * only when a second row arrives, so such statements pay next to nothing.
 *
 * In a cursor over a plain scan of one table, the node stands in for that
 * scan towards WHERE CURRENT OF: it carries each row's TID and presents the
 * scan's relation, so execCurrentOf finds the row just fetched.
 */
#include "shuffle_scan.hpp"

#include "core/seed.hpp"
#include "fingerprint.hpp"
#include "node.hpp"
#include "plan_nodes.hpp"
#include "row_buffer.hpp"
#include "row_key.hpp"
#include "row_sample.hpp"
#include "settings.hpp"

#include <new>

namespace core = unorder_rows::core;
using unorder_rows::core::Rng;

struct UnorderRowsState
{
	CustomScanState css; /* must be first */
	PerturbationSpec spec;
	bool active;
	core::Mode mode;
	bool ready_to_permute; /* rng, fingerprint and buffer set up */
	uint64 fingerprint;    /* of the statement, for its seed and reports */
	uint64 node_seed;      /* the generator's seed: every scan starts from it */
	Rng rng;
	RowBuffer *buffer;

	/* cursor rows: the scan whose row identity (TID) travels with each row */
	ScanState *identity_scan;
	Oid identity_table;
	ItemPointerData child_tid; /* TID of the row the child just returned */
	ItemPointerData run_first_tid;
	ItemPointerData lookahead_tid;

	/* DML that locks rows: processed in the order of each row's key (row_key.hpp) */
	ScanState *row_key_scan; /* the scan of the target table; NULL: not keyed */
	RowKey *row_key;
	uint64 child_key; /* key of the row the child just returned */
	uint64 key_seed;  /* the statement's, the same in every session */

	/* SCOPE_ALL */
	bool filled;
	bool exhausted; /* zero or one row, already emitted */

	/* SCOPE_ALL under a LIMIT: its OFFSET and count, to sample that many rows */
	List *limit_exprs; /* ExprStates: offset, count; NIL when not under a LIMIT */
	RowSample *sample; /* created at the first sampled scan */
	bool sampling;     /* the current scan emits from the sample */
	int64 sample_size;

	/* SCOPE_WITHIN_RUNS */
	ExprState *keys_equal;
	ExprContext *compare_context;
	TupleTableSlot *run_first;
	TupleTableSlot *lookahead;
	bool have_lookahead;
	bool child_done;
	bool emitting;
	uint64 scan_rows;   /* rows read from the child in this scan */
	uint64 run_start;   /* position of the current run's first row, from 1 */
	int64 limit_rows;   /* rows the LIMIT above reads; 0: no bound passed */
	int64 bound_passed; /* the bound the child was told; 0: none */
	bool bound_set;     /* the bound of this scan was passed down */
	bool bound_dropped; /* ties at the LIMIT reached past the bound: reread */

	/* for EXPLAIN ANALYZE and reports */
	uint64 rows_in;
	uint64 rows_permuted; /* rows in batches of two or more */
	uint64 batches_permuted;
	uint64 largest_batch;
	bool spilled;
};

static void begin_unorder_rows(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *exec_unorder_rows(CustomScanState *node);
static void end_unorder_rows(CustomScanState *node);
static void rescan_unorder_rows(CustomScanState *node);
static void explain_unorder_rows(CustomScanState *node, List *ancestors, ExplainState *es);

static const CustomExecMethods unorder_rows_exec_methods = {
	"UnorderRows",
	begin_unorder_rows,
	exec_unorder_rows,
	end_unorder_rows,
	rescan_unorder_rows,
	NULL, /* MarkPosCustomScan: never requested, no flag set */
	NULL, /* RestrPosCustomScan */
	NULL, /* EstimateDSMCustomScan: never parallel aware */
	NULL, /* InitializeDSMCustomScan */
	NULL, /* ReInitializeDSMCustomScan */
	NULL, /* InitializeWorkerCustomScan */
	NULL, /* ShutdownCustomScan */
	explain_unorder_rows,
};

Node *
unorder_rows_create_state(CustomScan *cscan)
{
	UnorderRowsState *state = (UnorderRowsState *) palloc0(sizeof(UnorderRowsState));

	NodeSetTag(state, T_CustomScanState);
	state->css.methods = &unorder_rows_exec_methods;
	return (Node *) state;
}

/* The heap scan under Result/Limit nodes that WHERE CURRENT OF would address. */
static ScanState *
find_identity_scan(PlanState *planstate)
{
	planstate = skip_result_and_limit_state(planstate);
	if (planstate == NULL || heap_scan_relation(planstate) == NULL)
		return NULL;
	return (ScanState *) planstate;
}

/* Fetch the child's next row, noting its TID when cursor rows need it. */
static TupleTableSlot *
fetch_child_row(UnorderRowsState *state, PlanState *child)
{
	TupleTableSlot *slot = ExecProcNode(child);

	if (state->identity_scan != NULL && !TupIsNull(slot))
	{
		ScanState *scan = state->identity_scan;

		/* where execCurrentOf itself would look */
		if (IsA(scan, IndexOnlyScanState))
			state->child_tid = ((IndexOnlyScanState *) scan)->ioss_ScanDesc->xs_heaptid;
		else
			state->child_tid = scan->ss_ScanTupleSlot->tts_tid;
	}
	/* (an EvalPlanQual recheck returns its one row from elsewhere: no key needed) */
	if (state->row_key_scan != NULL && !TupIsNull(slot) && !TupIsNull(state->row_key_scan->ss_ScanTupleSlot))
		state->child_key = row_key_hash(state->row_key, state->row_key_scan->ss_ScanTupleSlot);
	return slot;
}

/* The TID to keep with the row just fetched, or NULL when none is kept. */
static const ItemPointerData *
child_tid(UnorderRowsState *state)
{
	return state->identity_scan != NULL ? &state->child_tid : NULL;
}

/* Mark an emitted row as a row of the cursor's table. */
static void
label_row_identity(UnorderRowsState *state, TupleTableSlot *scan_slot, const ItemPointerData *tid)
{
	if (state->identity_scan == NULL)
		return;
	if (tid != NULL)
		scan_slot->tts_tid = *tid;
	scan_slot->tts_tableOid = state->identity_table;
}

/*
 * The rows of an UPDATE, DELETE or MERGE are processed in the order of a key
 * that every session computes alike (row_key.hpp), so that concurrent runs
 * of a statement lock rows in one order.  That needs the target table's own
 * row as its scan returned it; where a join or other node stands between,
 * the rows are processed in reverse instead (README, known limits).
 */
static void
set_up_processing_order(UnorderRowsState *state, PlanState *child)
{
	state->mode = unorder_rows_mode();
	if (state->spec.kind != KIND_DML || !(state->spec.level_flags & LEVEL_LOCKS_ROWS))
		return;
	state->mode = core::Mode::Reverse;
	if (state->spec.scope != SCOPE_ALL)
		return;
	/* the scan's own slot must hold the table's row: not an index-only scan's */
	ScanState *scan = find_identity_scan(child);

	if (scan != NULL && !IsA(scan, IndexOnlyScanState))
	{
		state->row_key_scan = scan;
		state->row_key = row_key_create(scan->ss_currentRelation);
	}
}

/* The child node and the permutation machinery. */
static void
begin_unorder_rows(CustomScanState *node, EState *estate, int eflags)
{
	UnorderRowsState *state = (UnorderRowsState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	Plan *child_plan = unorder_rows_child(cscan);
	TupleDesc desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;

	/* rows are buffered here, so the child never needs to go backward */
	PlanState *child = ExecInitNode(child_plan, estate, eflags & ~(EXEC_FLAG_BACKWARD | EXEC_FLAG_MARK));

	node->custom_ps = list_make1(child);
	perturbation_spec_read(cscan, &state->spec);
	state->active = unorder_rows_active() && state->spec.scope != SCOPE_NONE;
	set_up_processing_order(state, child);

	if (state->spec.level_flags & NODE_TRACKS_ROW_IDENTITY)
	{
		state->identity_scan = find_identity_scan(child);
		if (state->identity_scan == NULL)
			elog(ERROR, "unorder_rows: no scan below a cursor node");
		/* execCurrentOf matches the cursor's table against this relation */
		node->ss.ss_currentRelation = state->identity_scan->ss_currentRelation;
		state->identity_table = RelationGetRelid(node->ss.ss_currentRelation);
	}
	if (cscan->custom_exprs != NIL && state->identity_scan == NULL)
		state->limit_exprs = ExecInitExprList(cscan->custom_exprs, &node->ss.ps);

	if (state->spec.scope == SCOPE_WITHIN_RUNS)
	{
		state->run_first = ExecInitExtraTupleSlot(estate, desc, &TTSOpsMinimalTuple);
		state->lookahead = ExecInitExtraTupleSlot(estate, desc, &TTSOpsMinimalTuple);
	}
}

/*
 * Set up what permuting takes, at the second row of a batch: the node's
 * seed (base seed, statement fingerprint, place in the plan) and buffer.
 */
static void
prepare_to_permute(UnorderRowsState *state)
{
	if (state->ready_to_permute)
		return;

	EState *estate = state->css.ss.ps.state;
	PlannedStmt *stmt = estate->es_plannedstmt;
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);

	state->fingerprint = statement_fingerprint(estate->es_sourceText, stmt->stmt_location, stmt->stmt_len);
	state->node_seed = unorder_rows::core::derive_node_seed(unorder_rows_effective_seed(), state->fingerprint,
															(uint64) state->css.ss.ps.plan->plan_node_id);
	new (&state->rng) Rng(state->node_seed);
	/* not the session's drawn seed: every session must agree (row_key.hpp) */
	state->key_seed =
		unorder_rows::core::derive_node_seed(unorder_rows_configured_seed(), state->fingerprint, 0);
	state->buffer = row_buffer_create(state->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor, state->mode,
									  work_mem, state->identity_scan != NULL);
	if (state->spec.scope == SCOPE_WITHIN_RUNS)
	{
		state->keys_equal = execTuplesMatchPrepare(
			state->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor, state->spec.nkeys, state->spec.key_columns,
			state->spec.key_equality_ops, state->spec.key_collations, &state->css.ss.ps);
		state->compare_context = CreateExprContext(estate);
	}
	MemoryContextSwitchTo(old);
	state->ready_to_permute = true;
}

/* Apply the node's target list to a row in the scan slot. */
static TupleTableSlot *
emit(CustomScanState *node, TupleTableSlot *scan_slot)
{
	ProjectionInfo *projection = node->ss.ps.ps_ProjInfo;

	if (projection == NULL)
		return scan_slot;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	ResetExprContext(econtext);
	econtext->ecxt_scantuple = scan_slot;
	return ExecProject(projection);
}

/* Whether a row belongs to the run that started with state->run_first. */
static bool
same_run(UnorderRowsState *state, TupleTableSlot *slot)
{
	prepare_to_permute(state);

	ExprContext *econtext = state->compare_context;

	econtext->ecxt_innertuple = slot;
	econtext->ecxt_outertuple = state->run_first;
	return ExecQualAndReset(state->keys_equal, econtext);
}

/* Count a permuted batch (buffered or sampled) for EXPLAIN ANALYZE. */
static void
note_batch_of(UnorderRowsState *state, uint64 rows, bool spilled)
{
	if (rows < 2)
		return;
	state->rows_permuted += rows;
	state->batches_permuted++;
	if (rows > state->largest_batch)
		state->largest_batch = rows;
	if (spilled)
		state->spilled = true;
}

/* Count the buffered batch. */
static void
note_batch(UnorderRowsState *state)
{
	note_batch_of(state, row_buffer_rows(state->buffer), row_buffer_spilled(state->buffer));
}

/* An int8 LIMIT/OFFSET value; NULL (no limit / no offset) and negatives give -1. */
static int64
eval_limit_value(ExprState *expr, ExprContext *econtext)
{
	bool isnull;
	Datum value = ExecEvalExprSwitchContext(expr, econtext, &isnull);

	if (isnull)
		return -1;
	return DatumGetInt64(value);
}

/*
 * How many rows the LIMIT above will read (OFFSET + count), when a sample of
 * that many suffices; 0 to buffer every row.  The LIMIT evaluates the same
 * non-volatile expressions itself (and raises the errors for bad values).
 */
static int64
limit_reads(UnorderRowsState *state)
{
	if (state->limit_exprs == NIL)
		return 0;

	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	int64 offset = eval_limit_value((ExprState *) linitial(state->limit_exprs), econtext);
	int64 count = eval_limit_value((ExprState *) lsecond(state->limit_exprs), econtext);

	if (offset < 0)
		offset = 0;
	if (count <= 0 || count > ROW_SAMPLE_MAX_ROWS || offset > ROW_SAMPLE_MAX_ROWS - count)
		return 0;
	return offset + count;
}

/* The sample size for SCOPE_ALL under a LIMIT; 0 to buffer every row. */
static int64
rows_limit_reads(UnorderRowsState *state)
{
	if (state->mode != core::Mode::Shuffle)
		return 0;

	int64 rows = limit_reads(state);

	return row_sample_worthwhile(rows, work_mem) ? rows : 0;
}

/*
 * Whether ExecSetTupleBound on this node reaches a sort that uses it (so a
 * bound makes a difference; any other child would be read again for
 * nothing when ties reach past the bound).
 */
static bool
bound_reaches_sort(PlanState *planstate)
{
	for (;;)
	{
		switch (nodeTag(planstate))
		{
			case T_SortState:
			case T_IncrementalSortState:
			case T_MergeAppendState:
				return true;
			case T_GatherMergeState:
				planstate = outerPlanState(planstate);
				break;
			case T_ResultState:
				if (planstate->qual != NULL || outerPlanState(planstate) == NULL)
					return false;
				planstate = outerPlanState(planstate);
				break;
			default:
				return false;
		}
	}
}

/* The bound passed down for a LIMIT reading limit_rows: room for the ties at its last row. */
static int64
sort_bound_for(int64 limit_rows)
{
	return limit_rows * 2 + 16;
}

/*
 * SCOPE_WITHIN_RUNS under a LIMIT: tell the child (a sort, typically) how
 * many rows will do, as the LIMIT would have without us, so that a top-N
 * sort stays one.  Twice the LIMIT's rows and some: the run of ties at the
 * LIMIT's last row must be read whole, and a bound cutting into it makes the
 * node read everything again without a bound (see exec_runs).  Must come
 * before the child's first row or its rescan.
 */
static void
pass_bound_down(UnorderRowsState *state, PlanState *child)
{
	state->bound_set = true;
	state->bound_passed = 0;
	state->limit_rows = 0;
	if (!bound_reaches_sort(child))
		return;
	state->limit_rows = limit_reads(state);
	if (state->limit_rows <= 0)
		return;
	state->bound_passed = sort_bound_for(state->limit_rows);
	ExecSetTupleBound(state->bound_passed, child);
}

/*
 * The child's rows stopped at the bound inside the run of ties at the
 * LIMIT's last row: which of those ties the bound kept is not ours to know.
 * Read the child again without a bound, skip the runs already emitted (the
 * same rows: every row with a lower key), and start the current run again.
 */
static void
drop_bound(UnorderRowsState *state, PlanState *child)
{
	uint64 emitted = state->run_start - 1;

	row_buffer_reset(state->buffer);
	state->bound_passed = 0;
	state->bound_dropped = true;
	ExecSetTupleBound(-1, child);
	ExecReScan(child);
	for (uint64 i = 0; i < emitted; i++)
		if (TupIsNull(ExecProcNode(child)))
			elog(ERROR, "unorder_rows: rows of a sort changed when read again");
	state->rows_in -= state->scan_rows - emitted;
	state->scan_rows = emitted;
	state->have_lookahead = false;
	state->child_done = false;
}

/* Add one row of a batch to the sample or the buffer. */
static void
add_row(UnorderRowsState *state, TupleTableSlot *slot, const ItemPointerData *tid, uint64 key)
{
	if (state->row_key_scan != NULL)
		row_buffer_add_keyed(state->buffer, slot, core::mix_seed(state->key_seed, key));
	else if (!state->sampling)
		row_buffer_add(state->buffer, slot, tid, state->rng);
	else if (!row_sample_add(state->sample, slot, state->rng))
	{
		/* the rows the LIMIT reads do not fit in work_mem: buffer all, spilling */
		row_sample_drain(state->sample, state->buffer, state->rng);
		state->sampling = false;
	}
}

/* Whether the planner let this node fetch backward (cursors, order_analysis.cpp). */
static bool
fetches_backward(UnorderRowsState *state)
{
	return (((CustomScan *) state->css.ss.ps.plan)->flags & CUSTOMPATH_SUPPORT_BACKWARD_SCAN) != 0;
}

/*
 * SCOPE_ALL: read everything on the first call, then emit permuted; under a
 * LIMIT, keep only a sample of the rows it will read.  Zero or one row is
 * passed on as it comes (unless the node may have to fetch backward).
 */
static TupleTableSlot *
exec_all(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot)
{
	if (state->exhausted)
		return ExecClearTuple(scan_slot);
	if (!state->filled)
	{
		state->filled = true;

		TupleTableSlot *slot = fetch_child_row(state, child);

		if (TupIsNull(slot))
		{
			state->exhausted = true;
			return ExecClearTuple(scan_slot);
		}
		state->rows_in++;
		ExecCopySlot(scan_slot, slot); /* a copy: the child may reuse its slot */

		ItemPointerData first_tid = state->child_tid;
		uint64 first_key = state->child_key;

		slot = fetch_child_row(state, child);
		if (TupIsNull(slot) && !fetches_backward(state))
		{
			state->exhausted = true;
			label_row_identity(state, scan_slot, &first_tid);
			return emit(&state->css, scan_slot);
		}

		prepare_to_permute(state);
		state->sample_size = rows_limit_reads(state);
		state->sampling = state->sample_size > 0;
		if (state->sampling)
		{
			if (state->sample == NULL)
				state->sample = row_sample_create(scan_slot->tts_tupleDescriptor, work_mem);
			row_sample_start(state->sample, state->sample_size);
		}
		add_row(state, scan_slot, state->identity_scan != NULL ? &first_tid : NULL, first_key);
		ExecClearTuple(scan_slot);
		while (!TupIsNull(slot))
		{
			state->rows_in++;
			add_row(state, slot, child_tid(state), state->child_key);
			slot = fetch_child_row(state, child);
		}
		if (state->sampling)
		{
			row_sample_finish(state->sample, state->rng);
			note_batch_of(state, row_sample_rows(state->sample), false);
		}
		else
		{
			row_buffer_finish(state->buffer, state->rng);
			note_batch(state);
		}
	}
	if (state->sampling ? row_sample_next(state->sample, scan_slot)
						: row_buffer_next(state->buffer, scan_slot))
	{
		label_row_identity(state, scan_slot, NULL);
		return emit(&state->css, scan_slot);
	}
	return ExecClearTuple(scan_slot);
}

/* SCOPE_ALL, a cursor fetching backward: step back through the permutation. */
static TupleTableSlot *
exec_all_backward(UnorderRowsState *state, TupleTableSlot *scan_slot)
{
	if (!fetches_backward(state))
		elog(ERROR, "unorder_rows: node cannot fetch backward");
	if (!state->filled || state->exhausted || state->buffer == NULL)
		return ExecClearTuple(scan_slot);
	if (row_buffer_prev(state->buffer, scan_slot))
	{
		label_row_identity(state, scan_slot, NULL);
		return emit(&state->css, scan_slot);
	}
	return ExecClearTuple(scan_slot);
}

/* SCOPE_WITHIN_RUNS: emit runs of tied rows, each permuted. */
static TupleTableSlot *
exec_runs(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot)
{
	if (!state->bound_set && state->limit_exprs != NIL)
		pass_bound_down(state, child);
	for (;;)
	{
		if (state->emitting)
		{
			if (row_buffer_next(state->buffer, scan_slot))
			{
				label_row_identity(state, scan_slot, NULL);
				return emit(&state->css, scan_slot);
			}
			state->emitting = false;
			row_buffer_reset(state->buffer);
		}

		/* the run starts with the row that ended the previous one */
		if (state->have_lookahead)
		{
			TupleTableSlot *swap = state->run_first;

			state->run_first = state->lookahead;
			state->lookahead = swap;
			state->run_first_tid = state->lookahead_tid;
			state->have_lookahead = false;
			state->run_start = state->scan_rows;
		}
		else
		{
			if (state->child_done)
				return ExecClearTuple(scan_slot);
			TupleTableSlot *slot = fetch_child_row(state, child);

			if (TupIsNull(slot))
			{
				state->child_done = true;
				return ExecClearTuple(scan_slot);
			}
			state->rows_in++;
			state->scan_rows++;
			ExecCopySlot(state->run_first, slot);
			state->run_first_tid = state->child_tid;
			state->run_start = state->scan_rows;
		}

		uint64 run_length = 1;
		bool cut_by_bound = false;

		while (!state->child_done)
		{
			TupleTableSlot *slot = fetch_child_row(state, child);

			if (TupIsNull(slot))
			{
				state->child_done = true;
				break;
			}
			state->rows_in++;
			state->scan_rows++;
			if (!same_run(state, slot))
			{
				ExecCopySlot(state->lookahead, slot);
				state->lookahead_tid = state->child_tid;
				state->have_lookahead = true;
				break;
			}
			if (run_length == 1)
			{
				prepare_to_permute(state);
				row_buffer_add(state->buffer, state->run_first,
							   state->identity_scan != NULL ? &state->run_first_tid : NULL, state->rng);
			}
			row_buffer_add(state->buffer, slot, child_tid(state), state->rng);
			run_length++;
			if (state->bound_passed > 0 && state->scan_rows == (uint64) state->bound_passed &&
				state->run_start <= (uint64) state->limit_rows)
			{
				cut_by_bound = true;
				break;
			}
		}

		if (cut_by_bound)
		{
			drop_bound(state, child);
			continue;
		}

		if (run_length == 1)
		{
			/* a run of one row: nothing to permute */
			copy_slot_to_virtual(state->run_first, scan_slot);
			label_row_identity(state, scan_slot, &state->run_first_tid);
			return emit(&state->css, scan_slot);
		}
		row_buffer_finish(state->buffer, state->rng);
		note_batch(state);
		state->emitting = true;
	}
}

/* Pass rows through: the switch went off after this plan was made. */
static TupleTableSlot *
exec_passthrough(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot)
{
	TupleTableSlot *slot = fetch_child_row(state, child);

	if (TupIsNull(slot))
		return ExecClearTuple(scan_slot);
	copy_slot_to_virtual(slot, scan_slot);
	label_row_identity(state, scan_slot, child_tid(state));
	return emit(&state->css, scan_slot);
}

static TupleTableSlot *
exec_unorder_rows(CustomScanState *node)
{
	UnorderRowsState *state = (UnorderRowsState *) node;
	PlanState *child = (PlanState *) linitial(node->custom_ps);
	TupleTableSlot *scan_slot = node->ss.ss_ScanTupleSlot;

	if (!state->active)
		return exec_passthrough(state, child, scan_slot);
	if (state->spec.scope == SCOPE_WITHIN_RUNS)
		return exec_runs(state, child, scan_slot);
	if (ScanDirectionIsBackward(node->ss.ps.state->es_direction))
		return exec_all_backward(state, scan_slot);
	return exec_all(state, child, scan_slot);
}

/* A short name for the node that feeds ours, as EXPLAIN would name it; scans name their table. */
static const char *
input_description(PlanState *child)
{
	const char *name = plan_node_properties(child->plan).explain_name;
	Relation rel = heap_scan_relation(child);

	if (name == NULL)
		name = "plan node";
	if (rel == NULL)
		return name;
	return psprintf("%s on %s", name, RelationGetRelationName(rel));
}

bool
unorder_rows_node_report(PlanState *planstate, PerturbationNodeReport *report)
{
	if (!IsA(planstate, CustomScanState) ||
		((CustomScanState *) planstate)->methods != &unorder_rows_exec_methods)
		return false;

	UnorderRowsState *state = (UnorderRowsState *) planstate;

	if (!state->active || state->rows_permuted == 0)
		return false;
	report->kind = state->spec.kind;
	report->within_runs = state->spec.scope == SCOPE_WITHIN_RUNS;
	report->rows_permuted = state->rows_permuted;
	report->batches = state->batches_permuted;
	report->plan_node_id = planstate->plan->plan_node_id;
	report->fingerprint = state->fingerprint;
	report->input = input_description((PlanState *) linitial(state->css.custom_ps));
	return true;
}

/* Release temporary files early and shut the child down. */
static void
end_unorder_rows(CustomScanState *node)
{
	UnorderRowsState *state = (UnorderRowsState *) node;

	if (state->buffer != NULL)
		row_buffer_reset(state->buffer);
	ExecEndNode((PlanState *) linitial(node->custom_ps));
}

/*
 * Start over, following the rules of PostgreSQL's own nodes:
 * - changed parameters go down to the child, which rebuilds from them on its
 *   next fetch.  ExecReScan hands them only to a PlanState's lefttree and
 *   righttree, and our child is neither: it is ours to tell, or a Hash or
 *   HashAggregate below keeps what it built for the first outer row;
 * - the generator starts again from the node's seed, so that a rescan
 *   reading the same rows returns them in the same order and a LIMIT above
 *   picks the same rows: a nested loop's inner side, an uncorrelated subplan
 *   run again, a rewound cursor (as a heap scan keeps its start block).
 */
static void
rescan_unorder_rows(CustomScanState *node)
{
	UnorderRowsState *state = (UnorderRowsState *) node;
	PlanState *child = (PlanState *) linitial(node->custom_ps);

	if (node->ss.ps.chgParam != NULL)
		UpdateChangedParamSet(child, node->ss.ps.chgParam);
	if (state->ready_to_permute)
		new (&state->rng) Rng(state->node_seed);
	if (state->buffer != NULL)
		row_buffer_reset(state->buffer);
	state->filled = false;
	state->exhausted = false;
	state->sampling = false;
	state->bound_dropped = false;
	state->bound_set = false;
	state->scan_rows = 0;
	state->emitting = false;
	state->have_lookahead = false;
	state->child_done = false;
	if (state->run_first != NULL)
	{
		ExecClearTuple(state->run_first);
		ExecClearTuple(state->lookahead);
	}
	ExecClearTuple(node->ss.ss_ScanTupleSlot);
	/* like Limit: the bound first, for the sort to see it on rescan */
	if (state->spec.scope == SCOPE_WITHIN_RUNS && state->limit_exprs != NIL && state->active)
		pass_bound_down(state, child);
	/* with changed parameters the child is rescanned on its next fetch */
	if (child->chgParam == NULL)
		ExecReScan(child);
}

/* EXPLAIN: what is perturbed and how; with ANALYZE, how much. */
static void
explain_unorder_rows(CustomScanState *node, List *ancestors, ExplainState *es)
{
	UnorderRowsState *state = (UnorderRowsState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	bool within_runs = state->spec.scope == SCOPE_WITHIN_RUNS;

	ExplainPropertyText("Perturbs", perturbation_kind_label(state->spec.kind, within_runs), es);
	if (state->row_key_scan != NULL)
		ExplainPropertyText("Permutation",
							row_key_uses_primary_key(state->row_key) ? "by hash of the primary key"
																	 : "by hash of the row",
							es);
	else
		ExplainPropertyText("Permutation",
							state->mode == core::Mode::Reverse
								? (within_runs ? "reverse within ties" : "reverse")
								: (within_runs ? "shuffle within ties" : "shuffle"),
							es);
	if (within_runs)
	{
		List *context = set_deparse_context_plan(es->deparse_cxt, &cscan->scan.plan, ancestors);
		List *keys = NIL;
		bool useprefix = list_length(es->rtable) > 1 || es->verbose;

		for (int i = 0; i < state->spec.nkeys; i++)
		{
			TargetEntry *tle =
				(TargetEntry *) list_nth(cscan->custom_scan_tlist, state->spec.key_columns[i] - 1);

			keys = lappend(keys, deparse_expression((Node *) tle->expr, context, useprefix, false));
		}
		ExplainPropertyList("Tie Keys", keys, es);
	}
	if (es->verbose)
		ExplainPropertyUInteger("Seed", NULL, unorder_rows_effective_seed(), es);
	if (es->analyze)
	{
		ExplainPropertyUInteger("Rows Perturbed", NULL, state->rows_in, es);
		if (within_runs && state->limit_rows > 0)
		{
			ExplainPropertyInteger("Sort Bound for LIMIT", NULL, sort_bound_for(state->limit_rows), es);
			ExplainPropertyBool("Sort Bound Dropped", state->bound_dropped, es);
		}
		if (within_runs)
		{
			ExplainPropertyUInteger("Runs Permuted", NULL, state->batches_permuted, es);
			ExplainPropertyUInteger("Largest Run", NULL, state->largest_batch, es);
		}
		if (state->sampling)
			ExplainPropertyInteger("Rows Sampled for LIMIT", NULL, state->sample_size, es);
		ExplainPropertyText("Storage", state->spilled ? "Disk" : "Memory", es);
		int64 peak_kb = state->buffer != NULL ? row_buffer_peak_memory_kb(state->buffer) : 0;

		if (state->sample != NULL)
			peak_kb = Max(peak_kb, row_sample_peak_memory_kb(state->sample));
		ExplainPropertyInteger("Peak Memory", "kB", peak_kb, es);
		if (state->spilled)
			ExplainPropertyInteger("Peak Disk", "kB", row_buffer_peak_disk_kb(state->buffer), es);
	}
	if (!state->active && state->spec.scope != SCOPE_NONE)
		ExplainPropertyText("Status", "inactive (unorder_rows is off)", es);
}
