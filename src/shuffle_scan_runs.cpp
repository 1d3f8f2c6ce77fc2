/*
 * shuffle_scan_runs.cpp
 *		SCOPE_WITHIN_RUNS: stream runs of rows equal on the key columns,
 *		buffering one run at a time and permuting it; a run of one row passes
 *		straight through.  Under a LIMIT, a sort below is told how many rows
 *		will do (pass_bound_down).  See shuffle_scan_internal.hpp.
 */
#include "shuffle_scan_internal.hpp"

/* Whether a row belongs to the run that started with state->ties.run_first. */
static bool
same_run(UnorderRowsState *state, TupleTableSlot *slot)
{
	prepare_to_permute(state);

	ExprContext *econtext = state->ties.compare_context;

	econtext->ecxt_innertuple = slot;
	econtext->ecxt_outertuple = state->ties.run_first;
	return ExecQualAndReset(state->ties.keys_equal, econtext);
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
int64
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
void
pass_bound_down(UnorderRowsState *state, PlanState *child)
{
	state->ties.scan.bound_set = true;
	state->ties.scan.bound_passed = 0;
	state->ties.scan.limit_rows = 0;
	if (!bound_reaches_sort(child))
		return;
	state->ties.scan.limit_rows = limit_reads(state);
	if (state->ties.scan.limit_rows <= 0)
		return;
	state->ties.scan.bound_passed = sort_bound_for(state->ties.scan.limit_rows);
	ExecSetTupleBound(state->ties.scan.bound_passed, child);
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
	uint64 emitted = state->ties.scan.run_start - 1;

	row_buffer_reset(state->buffer);
	state->ties.scan.bound_passed = 0;
	state->ties.scan.bound_dropped = true;
	ExecSetTupleBound(-1, child);
	ExecReScan(child);
	for (uint64 i = 0; i < emitted; i++)
		if (TupIsNull(ExecProcNode(child)))
			elog(ERROR, "unorder_rows: rows of a sort changed when read again");
	state->stats.rows_in -= state->ties.scan.scan_rows - emitted;
	state->ties.scan.scan_rows = emitted;
	state->ties.scan.have_lookahead = false;
	state->ties.scan.child_done = false;
}

/*
 * Start the next run with its first row: the row that ended the previous
 * run, or the child's next; false when the child has no more rows.
 */
static bool
start_run(UnorderRowsState *state, PlanState *child)
{
	RunsOfTiesState *ties = &state->ties;

	if (ties->scan.have_lookahead)
	{
		TupleTableSlot *swap = ties->run_first;

		ties->run_first = ties->lookahead;
		ties->lookahead = swap;
		ties->scan.run_first_tid = ties->scan.lookahead_tid;
		ties->scan.have_lookahead = false;
		ties->scan.run_start = ties->scan.scan_rows;
		return true;
	}
	if (ties->scan.child_done)
		return false;

	TupleTableSlot *slot = fetch_child_row(state, child);

	if (TupIsNull(slot))
	{
		ties->scan.child_done = true;
		return false;
	}
	state->stats.rows_in++;
	ties->scan.scan_rows++;
	ExecCopySlot(ties->run_first, slot);
	ties->scan.run_first_tid = state->identity.child_tid;
	ties->scan.run_start = ties->scan.scan_rows;
	return true;
}

/*
 * Read the rest of the run that start_run began, buffering it once it has
 * two rows; the row after it waits in lookahead.  Returns the run's length,
 * or 0 when the bound passed down cut into the run of ties at the LIMIT's
 * last row (drop_bound must then read again).
 */
static uint64
read_run(UnorderRowsState *state, PlanState *child)
{
	RunsOfTiesState *ties = &state->ties;
	uint64 run_length = 1;

	while (!ties->scan.child_done)
	{
		TupleTableSlot *slot = fetch_child_row(state, child);

		if (TupIsNull(slot))
		{
			ties->scan.child_done = true;
			break;
		}
		state->stats.rows_in++;
		ties->scan.scan_rows++;
		if (!same_run(state, slot))
		{
			ExecCopySlot(ties->lookahead, slot);
			ties->scan.lookahead_tid = state->identity.child_tid;
			ties->scan.have_lookahead = true;
			break;
		}
		if (run_length == 1)
		{
			prepare_to_permute(state);
			row_buffer_add(state->buffer, ties->run_first,
						   state->identity.scan != NULL ? &ties->scan.run_first_tid : NULL, state->rng);
		}
		row_buffer_add(state->buffer, slot, child_tid(state), state->rng);
		run_length++;
		if (ties->scan.bound_passed > 0 && ties->scan.scan_rows == (uint64) ties->scan.bound_passed &&
			ties->scan.run_start <= (uint64) ties->scan.limit_rows)
			return 0;
	}
	return run_length;
}

/* SCOPE_WITHIN_RUNS: emit runs of tied rows, each permuted. */
TupleTableSlot *
exec_runs(UnorderRowsState *state, PlanState *child, TupleTableSlot *scan_slot)
{
	TiesScan *scan = &state->ties.scan;

	if (!scan->bound_set && state->limit_exprs != NIL)
		pass_bound_down(state, child);
	for (;;)
	{
		if (scan->emitting)
		{
			if (row_buffer_next(state->buffer, scan_slot))
			{
				label_row_identity(state, scan_slot, NULL);
				return emit(&state->css, scan_slot);
			}
			scan->emitting = false;
			row_buffer_reset(state->buffer);
		}
		if (!start_run(state, child))
			return ExecClearTuple(scan_slot);

		uint64 run_length = read_run(state, child);

		if (run_length == 0)
		{
			drop_bound(state, child);
			continue;
		}
		if (run_length == 1)
		{
			/* a run of one row: nothing to permute */
			copy_slot_to_virtual(state->ties.run_first, scan_slot);
			label_row_identity(state, scan_slot, &scan->run_first_tid);
			return emit(&state->css, scan_slot);
		}
		row_buffer_finish(state->buffer, state->rng);
		note_batch(state);
		scan->emitting = true;
	}
}
