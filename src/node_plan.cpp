/*
 * node_plan.cpp
 *		Changes to a perturbation node in a finished plan: its target list,
 *		switching it off, splicing it out, naming its columns for EXPLAIN; see
 *		node_plan.hpp.
 */
#include "node_plan.hpp"

#include "plan_nodes.hpp"

/*
 * A node that passes its child's columns through must output column i from
 * its scan tuple's column i.  setrefs matched its target list to the scan
 * tuple (custom_scan_tlist) by equal() instead: a column equal to an earlier
 * one points at the earlier one, and a constant stays a constant.  Both are
 * wrong where the child gives equal expressions different values, as
 * grouping sets do when they null a column for some groups, or where two
 * columns differ only by type (same_column_other_type)
 * ("g AS a, g AS b ... GROUP BY a, ROLLUP(b)"; "SELECT 1 AS x ... GROUPING
 * SETS (1, 2)").  NULL constants stay: INSERT requires them at dropped
 * columns, and they are right anyway.
 */
/*
 * setrefs matches Vars by varno and varattno only: two Vars of one column
 * with different types (a view's whole-row Var as its row type and as
 * record, both in an UPDATE's target list) point at the same scan column,
 * and the executor then rejects one of them ("attribute 1 of type record has
 * wrong type").
 */
static bool
same_column_other_type(Expr *matched, Expr *own, Var *var)
{
	return IsA(matched, Var) && IsA(own, Var) && ((Var *) matched)->varno == ((Var *) own)->varno &&
		   ((Var *) matched)->varattno == ((Var *) own)->varattno && ((Var *) own)->vartype == var->vartype;
}

void
point_columns_at_own_position(CustomScan *cscan)
{
	Plan *child = unorder_rows_child(cscan);
	List *scan_tlist = cscan->custom_scan_tlist;
	ListCell *lc;
	int position = 0;

	if (list_length(cscan->scan.plan.targetlist) != list_length(scan_tlist) ||
		list_length(scan_tlist) != list_length(child->targetlist))
		return;
	foreach (lc, cscan->scan.plan.targetlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);
		Expr *own = ((TargetEntry *) list_nth(scan_tlist, position))->expr;
		Expr *childs = ((TargetEntry *) list_nth(child->targetlist, position))->expr;

		position++;
		if (IsA(tle->expr, Var) && ((Var *) tle->expr)->varno == INDEX_VAR)
		{
			Var *var = (Var *) tle->expr;
			Expr *matched = ((TargetEntry *) list_nth(scan_tlist, var->varattno - 1))->expr;

			if (var->varattno != position &&
				(equal(matched, own) || same_column_other_type(matched, own, var)))
			{
				var = (Var *) copyObject(var);
				var->varattno = position;
				tle->expr = (Expr *) var;
			}
		}
		else if (IsA(tle->expr, Const) && !((Const *) tle->expr)->constisnull && !equal(tle->expr, childs))
		{
			Const *constant = (Const *) tle->expr;

			tle->expr = (Expr *) makeVar(INDEX_VAR, position, constant->consttype, constant->consttypmod,
										 constant->constcollid, 0);
		}
	}
}

/*
 * Replace a node by its child if its target list is a plain pass-through;
 * the child inherits the column labels (names, junk markers) and initPlans.
 */
Plan *
splice_out_node(CustomScan *cscan)
{
	Plan *child = unorder_rows_child(cscan);
	List *tlist = cscan->scan.plan.targetlist;

	if (list_length(tlist) != list_length(child->targetlist) ||
		list_length(cscan->custom_scan_tlist) != list_length(child->targetlist))
		return &cscan->scan.plan;

	ListCell *lc1;
	ListCell *lc2;

	forboth(lc1, tlist, lc2, child->targetlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc1);
		TargetEntry *child_tle = (TargetEntry *) lfirst(lc2);
		Var *var = (Var *) tle->expr;
		bool passes_through = IsA(var, Var) && var->varno == INDEX_VAR && var->varattno == tle->resno;

		if (!passes_through && !equal(tle->expr, child_tle->expr))
			return &cscan->scan.plan; /* keep it as an inactive node */
	}
	forboth(lc1, tlist, lc2, child->targetlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc1);
		TargetEntry *child_tle = (TargetEntry *) lfirst(lc2);

		child_tle->resname = tle->resname;
		child_tle->resjunk = tle->resjunk;
		child_tle->ressortgroupref = tle->ressortgroupref;
		child_tle->resorigtbl = tle->resorigtbl;
		child_tle->resorigcol = tle->resorigcol;
	}
	/*
	 * The node's initPlans (it was the top of its query level) move to the
	 * child, and with them:
	 * - the Params they depend on: a rescan marks a node's initPlans for
	 *   re-evaluation only for changed Params in the node's allParam
	 *   (SS_finalize_plan counted them in the node's, not in the child's),
	 *   or a correlated initPlan keeps a stale value;
	 * - parallel unsafety: workers are not sent parallel-unsafe subplans, so
	 *   a child that initializes one would fail ("subplan ... was not
	 *   initialized").  The planner marked the level's top path, our node,
	 *   as such (SS_charge_for_initplans), not the child.
	 */
	if (cscan->scan.plan.initPlan != NIL)
	{
		child->initPlan = list_concat(child->initPlan, cscan->scan.plan.initPlan);
		child->extParam = bms_union(child->extParam, cscan->scan.plan.extParam);
		child->allParam = bms_union(child->allParam, cscan->scan.plan.allParam);
		child->parallel_safe = false;
	}
	return child;
}

/* Deactivate a node: it will pass rows through, or be spliced out. */
Plan *
deactivate_node(CustomScan *cscan, PerturbationSpec *spec)
{
	spec->scope = SCOPE_NONE;
	perturbation_spec_write(cscan, spec);
	return splice_out_node(cscan);
}

bool
become_block_scan(CustomScan *cscan)
{
	Plan *child = unorder_rows_child(cscan);
	List *tlist = NIL;
	ListCell *lc;

	if (!IsA(child, SeqScan))
		return false;
	foreach (lc, cscan->scan.plan.targetlist)
	{
		TargetEntry *tle = flatCopyTargetEntry((TargetEntry *) lfirst(lc));

		if (IsA(tle->expr, Var) && ((Var *) tle->expr)->varno == INDEX_VAR &&
			((Var *) tle->expr)->varattno >= 1 &&
			((Var *) tle->expr)->varattno <= list_length(child->targetlist))
			tle->expr = (Expr *) copyObject(
				((TargetEntry *) list_nth(child->targetlist, ((Var *) tle->expr)->varattno - 1))->expr);
		else if (!IsA(tle->expr, Const))
			return false;
		tlist = lappend(tlist, tle);
	}
	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = child->qual;
	cscan->scan.scanrelid = ((Scan *) child)->scanrelid;
	cscan->scan.plan.extParam = bms_union(cscan->scan.plan.extParam, child->extParam);
	cscan->scan.plan.allParam = bms_union(cscan->scan.plan.allParam, child->allParam);
	cscan->scan.plan.parallel_safe = false;
	cscan->scan.plan.lefttree = NULL;
	cscan->custom_plans = NIL;
	cscan->custom_scan_tlist = NIL;
	cscan->custom_exprs = NIL;
	cscan->custom_relids = bms_make_singleton(cscan->scan.scanrelid);
	cscan->flags = 0;
	return true;
}

/*
 * EXPLAIN names a node's columns (Output, Tie Keys) from custom_scan_tlist,
 * a copy of the child's target list made before setrefs, as if its Vars were
 * table columns.  Some are not: a set operation's output columns (varno 0)
 * end up naming whatever table the range table offset points at, or fail
 * ("bogus varno").  Once setrefs is done, point each column at the child's
 * output instead (OUTER_VAR, with the child as lefttree, where ruleutils
 * looks for it), as for any node that reads a child: EXPLAIN then prints the
 * child's expressions.  The executor uses custom_scan_tlist only for the
 * scan tuple's types, which stay the same, and ignores lefttree.
 */
void
name_columns_after_child(Plan *plan)
{
	if (plan == NULL)
		return;
	for_each_child_slot(plan, [&](Plan **child) { name_columns_after_child(*child); });
	if (!is_unorder_rows_scan(plan) || unorder_rows_is_block_scan((CustomScan *) plan))
		return;

	CustomScan *cscan = (CustomScan *) plan;
	ListCell *lc;

	foreach (lc, cscan->custom_scan_tlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		tle->expr = (Expr *) makeVar(OUTER_VAR, tle->resno, exprType((Node *) tle->expr),
									 exprTypmod((Node *) tle->expr), exprCollation((Node *) tle->expr), 0);
	}
	/* the one place the child is named twice: see node.hpp */
	cscan->scan.plan.lefttree = unorder_rows_child(cscan);
}
