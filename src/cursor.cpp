/*
 * cursor.cpp
 *		What a cursor needs of the perturbation nodes: WHERE CURRENT OF must
 *		find the row just fetched (docs/order-contract.md §5.1), and a node
 *		must not take away the backward fetches the cursor would have had
 *		(§5.5); see cursor.hpp.
 */
#include "cursor.hpp"

#include "node_plan.hpp"
#include "plan_nodes.hpp"

/*
 * Whether WHERE CURRENT OF could address rows of this subtree through a scan
 * (what execCurrentOf's search_plan_tree accepts): a chain of Result and
 * Limit nodes over a scan of a table or an Append of such scans.
 */
bool
cursor_rows_addressable(Plan *plan)
{
	while (plan != NULL && (IsA(plan, Result) || IsA(plan, Limit) || IsA(plan, SubqueryScan)))
		plan = IsA(plan, SubqueryScan) ? ((SubqueryScan *) plan)->subplan : plan->lefttree;
	if (plan == NULL)
		return false;
	if (plan_node_is_heap_scan(plan))
		return true;
	switch (nodeTag(plan))
	{
		case T_ForeignScan:
			return true;
		case T_Append:
		{
			ListCell *lc;

			foreach (lc, ((Append *) plan)->appendplans)
				if (cursor_rows_addressable((Plan *) lfirst(lc)))
					return true;
			return false;
		}
		default:
			return false;
	}
}

/*
 * The scan a cursor's WHERE CURRENT OF would address through this subtree,
 * if it is a single heap scan under Result/Limit nodes; NULL otherwise.
 */
Plan *
cursor_scan_below(Plan *plan)
{
	plan = skip_result_and_limit(plan);
	return plan != NULL && plan_node_is_heap_scan(plan) ? plan : NULL;
}

/* Whether a LockRows node sits on top of the subtree (below Limit/Result). */
bool
cursor_lock_rows_on_top(Plan *plan)
{
	plan = skip_result_and_limit(plan);
	return plan != NULL && IsA(plan, LockRows);
}

/*
 * Whether a node can fetch backward itself: a cursor's node standing in for
 * a plain scan that permutes all its rows (shuffle_scan.cpp steps back
 * through the permutation it holds), or a cursor's block scan (it walks its
 * table backward, block_scan.cpp).  WHERE CURRENT OF needs such a node to be
 * the cursor's top, so a Material cannot give scrolling there.
 */
static bool
fetches_backward(CustomScan *cscan)
{
	PerturbationSpec spec;

	perturbation_spec_read(cscan, &spec);
	return (spec.level_flags & NODE_TRACKS_ROW_IDENTITY) && spec.scope == SCOPE_ALL;
}

/*
 * Whether a node would scan backward if it were not there: its child would,
 * or, for a block scan, the Seq Scan it replaced would.
 */
static bool
child_fetches_backward(CustomScan *cscan)
{
	return unorder_rows_is_block_scan(cscan) || ExecSupportsBackwardScan(unorder_rows_child(cscan));
}

/*
 * Whether the plan could scan backward if the perturbation nodes were not
 * there: each node is briefly marked as able to iff its child is, and
 * PostgreSQL's own test is asked.
 */
static void
mark_nodes_transparent(Plan *plan, bool on)
{
	if (plan == NULL)
		return;
	for_each_child_slot(plan, [&](Plan **child) { mark_nodes_transparent(*child, on); });
	if (is_unorder_rows_scan(plan))
	{
		CustomScan *cscan = (CustomScan *) plan;

		if (on ? child_fetches_backward(cscan) : fetches_backward(cscan))
			cscan->flags |= CUSTOMPATH_SUPPORT_BACKWARD_SCAN;
		else
			cscan->flags &= ~CUSTOMPATH_SUPPORT_BACKWARD_SCAN;
	}
}

/* Mark each node as able to scan backward iff it fetches backward itself. */
static void
flag_backward_capable_nodes(Plan *plan)
{
	mark_nodes_transparent(plan, false);
}

/* Whether the plan could scan backward without the perturbation nodes. */
static bool
backward_scan_without_nodes(Plan *plan)
{
	mark_nodes_transparent(plan, true);
	bool result = ExecSupportsBackwardScan(plan);

	flag_backward_capable_nodes(plan);
	return result;
}

/*
 * Whether a node stands in for a scan towards WHERE CURRENT OF and buffers
 * its child's rows (a block scan, which scans backward, never needs to go).
 */
static bool
buffering_row_identity_node(Plan *plan)
{
	if (!is_unorder_rows_scan(plan) || unorder_rows_is_block_scan((CustomScan *) plan))
		return false;

	PerturbationSpec spec;

	perturbation_spec_read((CustomScan *) plan, &spec);
	return (spec.level_flags & NODE_TRACKS_ROW_IDENTITY) != 0;
}

/* Switch off and splice out the buffering nodes that stand in for a scan towards WHERE CURRENT OF. */
static void
remove_row_identity_nodes(Plan **slot)
{
	Plan *plan = *slot;

	if (plan == NULL)
		return;
	for_each_child_slot(plan, [&](Plan **child) { remove_row_identity_nodes(child); });
	if (buffering_row_identity_node(plan))
	{
		PerturbationSpec spec;

		perturbation_spec_read((CustomScan *) plan, &spec);
		spec.level_flags &= ~NODE_TRACKS_ROW_IDENTITY;
		*slot = deactivate_node((CustomScan *) plan, &spec);
	}
}

/* Whether a buffering node of the tree stands in for a scan towards WHERE CURRENT OF. */
static bool
has_row_identity_node(Plan *plan)
{
	if (plan == NULL)
		return false;

	bool found = buffering_row_identity_node(plan);

	for_each_child_slot(plan, [&](Plan **child) { found = found || has_row_identity_node(*child); });
	return found;
}

/* A Material on top of the plan (what standard_planner adds for SCROLL cursors), after setrefs. */
static void
add_top_material(PlannedStmt *stmt)
{
	Plan *child = stmt->planTree;
	Material *material = makeNode(Material);
	Plan *plan = &material->plan;
	ListCell *lc;
	int max_id = plan_max_node_id(child);

	foreach (lc, stmt->subplans)
		max_id = Max(max_id, plan_max_node_id((Plan *) lfirst(lc)));
	/* references to the child's columns, as set_dummy_tlist_references makes them */
	foreach (lc, child->targetlist)
	{
		TargetEntry *tle = flatCopyTargetEntry((TargetEntry *) lfirst(lc));

		if (!IsA(tle->expr, Const))
			tle->expr =
				(Expr *) makeVar(OUTER_VAR, tle->resno, exprType((Node *) tle->expr),
								 exprTypmod((Node *) tle->expr), exprCollation((Node *) tle->expr), 0);
		plan->targetlist = lappend(plan->targetlist, tle);
	}
	plan->lefttree = child;
	plan->startup_cost = child->startup_cost;
	plan->total_cost = child->total_cost;
	plan->plan_rows = child->plan_rows;
	plan->plan_width = child->plan_width;
	plan->parallel_aware = false;
	plan->parallel_safe = child->parallel_safe;
	plan->plan_node_id = max_id + 1;
	plan->extParam = bms_copy(child->extParam);
	plan->allParam = bms_copy(child->allParam);
	stmt->planTree = plan;
}

/*
 * A perturbation node cannot scan backward, so it must not take away what a
 * cursor could do without it (§5.5):
 *	- SCROLL: standard_planner put a Material on top of the node.  If the
 *	  plan could scan backward without the nodes, the Material is there only
 *	  because of them; WHERE CURRENT OF cannot see through it, so a node
 *	  standing in for the cursor's scan goes (the cursor keeps the plan it
 *	  would have had), and the Material goes once it is not needed.
 *	- neither SCROLL nor NO SCROLL: PostgreSQL lets the cursor fetch backward
 *	  when the plan can (PerformCursorOpen, SPI_cursor_open).  A Material on
 *	  top keeps it so, except above a node standing in for a scan, which
 *	  WHERE CURRENT OF must see (MOVE BACKWARD on such a cursor needs the
 *	  node itself to scan backward).
 */
void
keep_cursor_scrollable(PlannedStmt *stmt, int cursor_options)
{
	flag_backward_capable_nodes(stmt->planTree);
	if (cursor_options & CURSOR_OPT_SCROLL)
	{
		Plan *top = stmt->planTree;

		if (!IsA(top, Material))
			return;
		if (!ExecSupportsBackwardScan(top->lefttree) && backward_scan_without_nodes(top->lefttree))
			remove_row_identity_nodes(&top->lefttree);
		if (ExecSupportsBackwardScan(top->lefttree))
		{
			Plan *below = top->lefttree;

			/* materialize_finished_plan moved the initPlans up: back, with their Params (see splice_out_node)
			 */
			below->initPlan = list_concat(top->initPlan, below->initPlan);
			below->extParam = bms_union(below->extParam, top->extParam);
			below->allParam = bms_union(below->allParam, top->allParam);
			stmt->planTree = below;
		}
		return;
	}
	if ((cursor_options & CURSOR_OPT_NO_SCROLL) || stmt->rowMarks != NIL)
		return;
	if (!ExecSupportsBackwardScan(stmt->planTree) && backward_scan_without_nodes(stmt->planTree))
	{
		/*
		 * WHERE CURRENT OF cannot see through a Material: a node standing in
		 * for the cursor's scan that cannot fetch backward itself (one that
		 * permutes within ties) goes instead, and the cursor keeps the plan
		 * it would have had.
		 */
		if (has_row_identity_node(stmt->planTree))
			remove_row_identity_nodes(&stmt->planTree);
		if (!ExecSupportsBackwardScan(stmt->planTree))
			add_top_material(stmt);
	}
}
