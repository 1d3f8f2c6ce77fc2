/*
 * shuffle_scan.cpp
 *		Executor side of the UnorderRows node: begin, dispatch, rescan, end,
 *		and what every scope needs (the child's rows, their identity, the seed).
 *
 * SCOPE_ALL reads its whole input, then emits it permuted
 * (shuffle_scan_all.cpp).  SCOPE_WITHIN_RUNS streams: it buffers one run of
 * rows equal on the key columns at a time and permutes it
 * (shuffle_scan_runs.cpp).  The node never
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
#include "shuffle_scan_internal.hpp"

#include "block_scan.hpp"
#include "core/seed.hpp"
#include "fingerprint.hpp"
#include "plan_nodes.hpp"
#include "settings.hpp"

extern "C"
{
#include "utils/snapmgr.h"
}

#include <new>

namespace core = unorder_rows::core;
using unorder_rows::core::Rng;

static void begin_unorder_rows(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *exec_unorder_rows(CustomScanState *node);
static void end_unorder_rows(CustomScanState *node);
static void rescan_unorder_rows(CustomScanState *node);

extern const CustomExecMethods unorder_rows_exec_methods = {
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
	if (unorder_rows_is_block_scan(cscan))
		return block_scan_create_state(cscan);

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
TupleTableSlot *
fetch_child_row(UnorderRowsState *state, PlanState *child)
{
	TupleTableSlot *slot = ExecProcNode(child);

	if (state->identity.scan != NULL && !TupIsNull(slot))
	{
		ScanState *scan = state->identity.scan;

		/* where execCurrentOf itself would look */
		if (IsA(scan, IndexOnlyScanState))
			state->identity.child_tid = ((IndexOnlyScanState *) scan)->ioss_ScanDesc->xs_heaptid;
		else
			state->identity.child_tid = scan->ss_ScanTupleSlot->tts_tid;
	}
	/* (an EvalPlanQual recheck returns its one row from elsewhere: no key needed) */
	if (state->keyed.scan != NULL && !TupIsNull(slot) && !TupIsNull(state->keyed.scan->ss_ScanTupleSlot))
	{
		TupleTableSlot *row = state->keyed.scan->ss_ScanTupleSlot;

		state->keyed.child_key.hash = row_key_hash(state->keyed.key, row);
		state->keyed.child_key.tid = row->tts_tid;
	}
	return slot;
}

/*
 * Through a join: the key of the target row an input row names, fetched by
 * the TID the join saw.  Under SnapshotAny, as ModifyTable fetches the old
 * row itself: the TID is that of a version the statement's snapshot sees,
 * which stays in place while the snapshot lives.  A row that names no
 * target row (a NULL TID: MERGE's NOT MATCHED) is keyed on its own columns,
 * so that sessions inserting the same new rows insert them in one order
 * (an insert waits for another session's insert of the same unique key).
 * Computed only as rows are buffered, never for a lone row (an EvalPlanQual
 * recheck's): the fetch is the cost of the keyed order through a join.
 */
RowOrderKey
target_row_key(UnorderRowsState *state, TupleTableSlot *row)
{
	KeyedOrder *keyed = &state->keyed;
	RowOrderKey key;
	bool isnull;
	Datum tid = slot_getattr(row, state->spec.target_tid_column, &isnull);

	if (!isnull)
	{
		key.tid = *(ItemPointer) DatumGetPointer(tid);
		if (table_tuple_fetch_row_version(keyed->target, &key.tid, SnapshotAny, keyed->target_row))
		{
			key.hash = row_key_hash(keyed->key, keyed->target_row);
			ExecClearTuple(keyed->target_row); /* no buffer pin kept */
			return key;
		}
	}
	ItemPointerSetInvalid(&key.tid);
	key.hash = row_key_hash(keyed->row_key, row);
	return key;
}

/* The TID to keep with the row just fetched, or NULL when none is kept. */
const ItemPointerData *
child_tid(UnorderRowsState *state)
{
	return state->identity.scan != NULL ? &state->identity.child_tid : NULL;
}

/* Mark an emitted row as a row of the cursor's table. */
void
label_row_identity(UnorderRowsState *state, TupleTableSlot *scan_slot, const ItemPointerData *tid)
{
	if (state->identity.scan == NULL)
		return;
	if (tid != NULL)
		scan_slot->tts_tid = *tid;
	scan_slot->tts_tableOid = state->identity.table;
}

/*
 * Through a join: open the target table (ModifyTable holds its lock) to
 * fetch each row's target row by TID (target_row_key).
 */
static void
key_through_join(UnorderRowsState *state)
{
	KeyedOrder *keyed = &state->keyed;
	Relation target = table_open(state->spec.target_relation, NoLock);

	if (target->rd_tableam == NULL)
	{
		table_close(target, NoLock);
		return;
	}
	keyed->on = true;
	keyed->target = target;
	keyed->target_row = table_slot_create(target, &state->css.ss.ps.state->es_tupleTable);
	keyed->key = row_key_create(target);
	keyed->row_key = row_key_of_columns(state->spec.row_columns);
}

/*
 * The rows of an UPDATE, DELETE or MERGE are processed in the order of a key
 * that every session computes alike (row_key.hpp, keyed_rows.hpp), so that
 * concurrent runs of a statement lock rows in one order: the key of the
 * target row each names, as the target's scan returned it or, where a join
 * stands between, as fetched by its TID.  Where neither can be had (a view
 * or foreign table as target, an order kept within ties), the rows are
 * processed in reverse instead.  The rows of an INSERT that may wait on
 * other sessions' unique keys are keyed on their values (insert_key.hpp).
 */
static void
set_up_processing_order(UnorderRowsState *state, PlanState *child)
{
	state->mode = unorder_rows_mode();
	if (state->spec.kind == KIND_DML && state->spec.insert_order != INSERT_ORDER_SHUFFLE)
	{
		/* an order kept within ties (§4.2): reversed, as for UPDATE below */
		if (state->spec.scope != SCOPE_ALL)
		{
			state->mode = core::Mode::Reverse;
			return;
		}
		state->keyed.on = true;
		state->keyed.insert = insert_key_begin(&state->spec, &state->css.ss.ps,
											   state->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor);
		return;
	}
	if (state->spec.kind != KIND_DML || !(state->spec.level_flags & LEVEL_LOCKS_ROWS))
		return;
	state->mode = core::Mode::Reverse;
	if (state->spec.scope != SCOPE_ALL)
		return;
	/* the scan's own slot must hold the table's row: not an index-only scan's */
	ScanState *scan = find_identity_scan(child);

	if (scan != NULL && !IsA(scan, IndexOnlyScanState))
	{
		state->keyed.on = true;
		state->keyed.scan = scan;
		state->keyed.key = row_key_create(scan->ss_currentRelation);
	}
	else if (OidIsValid(state->spec.target_relation))
		key_through_join(state);
}

/* The table whose rows a keyed order orders (InvalidOid: none). */
static Oid
keyed_table_of(const UnorderRowsState *state)
{
	if (state->keyed.scan != NULL)
		return RelationGetRelid(state->keyed.scan->ss_currentRelation);
	if (state->keyed.target != NULL)
		return RelationGetRelid(state->keyed.target);
	return state->keyed.on ? state->spec.target_relation : InvalidOid;
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
		state->identity.scan = find_identity_scan(child);
		if (state->identity.scan == NULL)
			elog(ERROR, "unorder_rows: no scan below a cursor node");
		/* execCurrentOf matches the cursor's table against this relation */
		node->ss.ss_currentRelation = state->identity.scan->ss_currentRelation;
		state->identity.table = RelationGetRelid(node->ss.ss_currentRelation);
	}
	if (cscan->custom_exprs != NIL && state->identity.scan == NULL)
		state->limit_exprs = ExecInitExprList(cscan->custom_exprs, &node->ss.ps);

	if (state->spec.scope == SCOPE_WITHIN_RUNS)
	{
		state->ties.run_first = ExecInitExtraTupleSlot(estate, desc, &TTSOpsMinimalTuple);
		state->ties.lookahead = ExecInitExtraTupleSlot(estate, desc, &TTSOpsMinimalTuple);
	}
}

/*
 * Set up what permuting takes, at the second row of a batch: the node's
 * seed (base seed, statement fingerprint, place in the plan) and buffer.
 */
void
prepare_to_permute(UnorderRowsState *state)
{
	if (state->ready_to_permute)
		return;

	EState *estate = state->css.ss.ps.state;
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);

	state->node_seed = executing_node_seed(estate, state->css.ss.ps.plan->plan_node_id, &state->fingerprint);
	new (&state->rng) Rng(state->node_seed);
	/*
	 * not the session's drawn seed: every session must agree, and every
	 * statement over the table (row_key.hpp, insert_key.hpp)
	 */
	Oid keyed_table = keyed_table_of(state);

	state->keyed.seed = unorder_rows::core::derive_node_seed(
		unorder_rows_configured_seed(),
		OidIsValid(keyed_table) ? row_key_table_seed(keyed_table) : state->fingerprint, 0);
	if (state->keyed.on)
		state->keyed.rows = keyed_rows_create(state->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor, work_mem);
	else
		state->buffer = row_buffer_create(state->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor, state->mode,
										  work_mem, state->identity.scan != NULL, fetches_backward(state));
	if (state->spec.scope == SCOPE_WITHIN_RUNS)
	{
		state->ties.keys_equal = execTuplesMatchPrepare(
			state->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor, state->spec.nkeys, state->spec.key_columns,
			state->spec.key_equality_ops, state->spec.key_collations, &state->css.ss.ps);
		state->ties.compare_context = CreateExprContext(estate);
	}
	MemoryContextSwitchTo(old);
	state->ready_to_permute = true;
}

/* Apply the node's target list to a row in the scan slot. */
TupleTableSlot *
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

/* Count a permuted batch (buffered or sampled) for EXPLAIN ANALYZE. */
void
note_batch_of(UnorderRowsState *state, uint64 rows, bool spilled)
{
	if (rows < 2)
		return;
	state->stats.rows_permuted += rows;
	state->stats.batches_permuted++;
	if (rows > state->stats.largest_batch)
		state->stats.largest_batch = rows;
	if (spilled)
		state->stats.spilled = true;
}

/* Count the buffered batch. */
void
note_batch(UnorderRowsState *state)
{
	if (state->keyed.rows != NULL)
		note_batch_of(state, keyed_rows_count(state->keyed.rows), keyed_rows_spilled(state->keyed.rows));
	else
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
int64
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

/* Release temporary files early and shut the child down. */
static void
end_unorder_rows(CustomScanState *node)
{
	UnorderRowsState *state = (UnorderRowsState *) node;

	if (state->buffer != NULL)
		row_buffer_reset(state->buffer);
	if (state->keyed.rows != NULL)
		keyed_rows_reset(state->keyed.rows);
	if (state->keyed.target != NULL)
		table_close(state->keyed.target, NoLock);
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
	if (state->keyed.rows != NULL)
		keyed_rows_reset(state->keyed.rows);
	/* each scope's per-scan state starts anew; what a scan set up for the next stays */
	state->all = AllRowsState();
	state->limit_sample.sampling = false;
	state->limit_sample.size = 0;
	state->ties.scan = TiesScan();
	if (state->ties.run_first != NULL)
	{
		ExecClearTuple(state->ties.run_first);
		ExecClearTuple(state->ties.lookahead);
	}
	ExecClearTuple(node->ss.ss_ScanTupleSlot);
	/* like Limit: the bound first, for the sort to see it on rescan */
	if (state->spec.scope == SCOPE_WITHIN_RUNS && state->limit_exprs != NIL && state->active)
		pass_bound_down(state, child);
	/* with changed parameters the child is rescanned on its next fetch */
	if (child->chgParam == NULL)
		ExecReScan(child);
}
