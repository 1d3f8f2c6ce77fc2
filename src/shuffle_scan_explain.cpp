/*
 * shuffle_scan_explain.cpp
 *		What the UnorderRows node tells: EXPLAIN (what is perturbed and how;
 *		with ANALYZE, how much) and the per-statement reports (report.cpp).
 */
#include "shuffle_scan_internal.hpp"

#include "block_scan.hpp"
#include "plan_nodes.hpp"
#include "settings.hpp"

namespace core = unorder_rows::core;

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
	if (block_scan_node_report(planstate, report))
		return true;
	if (!IsA(planstate, CustomScanState) ||
		((CustomScanState *) planstate)->methods != &unorder_rows_exec_methods)
		return false;

	UnorderRowsState *state = (UnorderRowsState *) planstate;

	if (!state->active || state->stats.rows_permuted == 0)
		return false;
	report->kind = state->spec.kind;
	report->within_runs = state->spec.scope == SCOPE_WITHIN_RUNS;
	report->rows_permuted = state->stats.rows_permuted;
	report->batches = state->stats.batches_permuted;
	report->plan_node_id = planstate->plan->plan_node_id;
	report->fingerprint = state->fingerprint;
	report->input = input_description((PlanState *) linitial(state->css.custom_ps));
	return true;
}

/*
 * The processing order of DML that locks rows: by the key of the target's
 * rows as its scan returns them, or through a join, of the target row each
 * names (fetched by TID); an INSERT's, by its unique key's values or its
 * own columns.
 */
static const char *
keyed_order_label(UnorderRowsState *state)
{
	if (state->keyed.insert != NULL)
		return state->spec.insert_order == INSERT_ORDER_UNIQUE_KEY ? "by hash of the unique key"
																   : "by hash of the source row";

	bool primary_key = row_key_uses_primary_key(state->keyed.key);

	if (state->keyed.scan != NULL)
		return primary_key ? "by hash of the primary key" : "by hash of the row";
	return primary_key ? "by hash of the target row's primary key" : "by hash of the target row";
}

/* EXPLAIN: what is perturbed and how; with ANALYZE, how much. */
void
explain_unorder_rows(CustomScanState *node, List *ancestors, ExplainState *es)
{
	UnorderRowsState *state = (UnorderRowsState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	bool within_runs = state->spec.scope == SCOPE_WITHIN_RUNS;

	ExplainPropertyText("Perturbs", perturbation_kind_label(state->spec.kind, within_runs), es);
	if (state->keyed.on)
		ExplainPropertyText("Permutation", keyed_order_label(state), es);
	else
		ExplainPropertyText("Permutation",
							state->mode == core::Mode::Reverse
								? (within_runs ? "reverse within ties" : "reverse")
								: (within_runs ? "shuffle within ties" : "shuffle"),
							es);
	if (state->keyed.insert != NULL && OidIsValid(state->spec.key_index))
	{
		char *index = get_rel_name(state->spec.key_index);

		if (index != NULL)
			ExplainPropertyText("Unique Key", index, es);
	}
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
		ExplainPropertyUInteger("Rows Perturbed", NULL, state->stats.rows_in, es);
		if (within_runs && state->ties.scan.limit_rows > 0)
		{
			ExplainPropertyInteger("Sort Bound for LIMIT", NULL, sort_bound_for(state->ties.scan.limit_rows),
								   es);
			ExplainPropertyBool("Sort Bound Dropped", state->ties.scan.bound_dropped, es);
		}
		if (within_runs)
		{
			ExplainPropertyUInteger("Runs Permuted", NULL, state->stats.batches_permuted, es);
			ExplainPropertyUInteger("Largest Run", NULL, state->stats.largest_batch, es);
		}
		if (state->limit_sample.sampling)
			ExplainPropertyInteger("Rows Sampled for LIMIT", NULL, state->limit_sample.size, es);
		ExplainPropertyText("Storage", state->stats.spilled ? "Disk" : "Memory", es);
		int64 peak_kb = state->buffer != NULL ? row_buffer_peak_memory_kb(state->buffer) : 0;

		if (state->keyed.rows != NULL)
			peak_kb = keyed_rows_peak_memory_kb(state->keyed.rows);

		if (state->limit_sample.sample != NULL)
			peak_kb = Max(peak_kb, row_sample_peak_memory_kb(state->limit_sample.sample));
		ExplainPropertyInteger("Peak Memory", "kB", peak_kb, es);
		if (state->stats.spilled)
			ExplainPropertyInteger("Peak Disk", "kB",
								   state->keyed.rows != NULL ? keyed_rows_peak_disk_kb(state->keyed.rows)
															 : row_buffer_peak_disk_kb(state->buffer),
								   es);
	}
	if (!state->active && state->spec.scope != SCOPE_NONE)
		ExplainPropertyText("Status", "inactive (unorder_rows is off)", es);
}
