/*
 * order_analysis.cpp
 *		Settle the perturbation nodes once the whole plan is known.
 *
 * The nodes were added during planning wherever an open order might become
 * visible; only the finished plan shows whether it does.  What each node
 * does is decided by the ordered list of rules of its kind (settle_rules
 * below), each citing the part of docs/order-contract.md it implements.
 * Removed nodes are spliced out (their child takes their place), so a
 * statement that needs no perturbation runs exactly the plan it had.
 *
 * A node that stays and whose rows come straight from a plain heap Seq Scan
 * takes that scan's place and scans the table itself, streaming
 * (rows_come_straight_from_heap_scan, block_scan.cpp); in a cursor that is
 * not SCROLL it is a navigable scan (cursor_block_scan), which WHERE CURRENT
 * OF and backward fetches can use; SCROLL cursors keep the buffering node.
 */
#include "order_analysis.hpp"

#include "aggregates.hpp"
#include "cursor.hpp"
#include "insert_key.hpp"
#include "node_plan.hpp"
#include "plan_nodes.hpp"
#include "settings.hpp"

struct FinalizeContext
{
	PlannedStmt *stmt;
	bool is_cursor;
	int cursor_options;
	Bitmapset *array_sublink_plans; /* plan_ids of ARRAY(subquery) subplans */
	int current_plan_id;            /* 0 for the main tree */
};

/* ---- ARRAY(subquery) ---- */

/* expression_tree_walker callback: records ARRAY sublink subplans. */
static bool
collect_array_sublinks(Node *node, void *context)
{
	FinalizeContext *ctx = (FinalizeContext *) context;

	if (node == NULL)
		return false;
	if (IsA(node, SubPlan) && ((SubPlan *) node)->subLinkType == ARRAY_SUBLINK)
		ctx->array_sublink_plans = bms_add_member(ctx->array_sublink_plans, ((SubPlan *) node)->plan_id);
	return compat_expression_tree_walker(node, collect_array_sublinks, context);
}

/* Record the ARRAY sublinks used anywhere in a plan tree's expressions. */
static void
collect_array_sublinks_in_plan(FinalizeContext *ctx, Plan *plan)
{
	if (plan == NULL)
		return;
	collect_array_sublinks((Node *) plan->targetlist, ctx);
	collect_array_sublinks((Node *) plan->qual, ctx);
	collect_array_sublinks((Node *) plan->initPlan, ctx);
	switch (nodeTag(plan))
	{
		case T_Result:
			collect_array_sublinks(((Result *) plan)->resconstantqual, ctx);
			break;
		case T_NestLoop:
		case T_MergeJoin:
		case T_HashJoin:
			collect_array_sublinks((Node *) ((Join *) plan)->joinqual, ctx);
			break;
		case T_FunctionScan:
			collect_array_sublinks((Node *) ((FunctionScan *) plan)->functions, ctx);
			break;
		case T_ValuesScan:
			collect_array_sublinks((Node *) ((ValuesScan *) plan)->values_lists, ctx);
			break;
		case T_ModifyTable:
			collect_array_sublinks((Node *) ((ModifyTable *) plan)->returningLists, ctx);
			break;
		default:
			break;
	}
	for_each_child_slot(plan, [&](Plan **child) { collect_array_sublinks_in_plan(ctx, *child); });
}

/* Whether a subtree returns at most one row, whatever the data. */
static bool
at_most_one_row(Plan *plan)
{
	while (plan != NULL && (IsA(plan, Result) || IsA(plan, Limit)) && plan->lefttree != NULL)
	{
		if (IsA(plan, Limit))
		{
			Node *count = ((Limit *) plan)->limitCount;

			if (count != NULL && IsA(count, Const) && !((Const *) count)->constisnull &&
				DatumGetInt64(((Const *) count)->constvalue) <= 1)
				return true;
		}
		plan = plan->lefttree;
	}
	if (plan == NULL)
		return true;
	if (IsA(plan, Result))
		return plan->lefttree == NULL;
	return IsA(plan, Agg) && ((Agg *) plan)->aggstrategy == AGG_PLAIN && ((Agg *) plan)->groupingSets == NIL;
}

/*
 * The LIMIT's OFFSET and count, for a node right below it to sample only the
 * rows the LIMIT reads (shuffle_scan.cpp); NIL when the node cannot know them
 * in advance.  The node evaluates the expressions a second time, so they must
 * give the LIMIT's values: nothing volatile, no subplan (an initPlan's Param
 * is fine: it is computed once).
 */
static List *
limit_sample_exprs(Limit *limit)
{
	if (limit->limitCount == NULL || limit->limitOption != LIMIT_OPTION_COUNT)
		return NIL;

	Node *offset = limit->limitOffset != NULL ? (Node *) copyObject(limit->limitOffset)
											  : (Node *) makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
																   Int64GetDatum(0), false, FLOAT8PASSBYVAL);
	Node *count = (Node *) copyObject(limit->limitCount);

	if (contain_volatile_functions(offset) || contain_volatile_functions(count) || contain_subplans(offset) ||
		contain_subplans(count))
		return NIL;
	return list_make2(offset, count);
}

/* ---- stacking ---- */

/*
 * The nearest active perturbation node whose rows reach this subtree's
 * output unchanged in order (through nodes that keep order), or NULL.
 * *through_limit tells whether a LIMIT lies in between.
 */
static CustomScan *
stacked_node_below(Plan *plan, bool *through_limit)
{
	*through_limit = false;
	while (plan != NULL)
	{
		if (is_unorder_rows_scan(plan))
			return (CustomScan *) plan;

		Plan **input = plan_order_input_slot(plan);

		if (input == NULL)
			return NULL;
		if (IsA(plan, Limit))
			*through_limit = true;
		plan = *input;
	}
	return NULL;
}

/* Splice out the stacked node below a slot if it was switched off. */
static void
splice_inactive_below(Plan **slot)
{
	while (slot != NULL && *slot != NULL)
	{
		Plan *plan = *slot;

		if (is_unorder_rows_scan(plan))
		{
			PerturbationSpec spec;

			perturbation_spec_read((CustomScan *) plan, &spec);
			if (spec.scope == SCOPE_NONE)
				*slot = splice_out_node((CustomScan *) plan);
			return;
		}
		slot = plan_order_input_slot(plan);
	}
}

/* ---- the rules ---- */

/* What a rule sees of one node; rules may change spec. */
struct SettleInput
{
	FinalizeContext *ctx;
	CustomScan *cscan;
	Plan *child;
	Plan *parent;   /* NULL at the root of a tree */
	bool top_level; /* in the statement's main tree, not in a subplan */
	PerturbationSpec spec;
};

enum SettleOutcome
{
	SETTLE_NEXT, /* the node stays (so far): ask the next rule */
	SETTLE_OFF   /* the node goes */
};

struct SettleRule
{
	const char *why; /* the clause of docs/order-contract.md, or the reason */
	SettleOutcome (*apply)(SettleInput &in);
};

/* Rows made only by functions and VALUES keep their order, unless a setting says otherwise. */
static SettleOutcome
rule_function_rows_kept(SettleInput &in)
{
	bool keep_function_rows = in.spec.kind == KIND_DML ? !(unorder_rows_perturb_values_returning ||
														   unorder_rows_perturb_function_rows)
													   : !unorder_rows_perturb_function_rows;

	return keep_function_rows && !plan_reads_tables(in.ctx->stmt, in.child) ? SETTLE_OFF : SETTLE_NEXT;
}

/* One row has no order (an aggregate without GROUP BY, a lone Result). */
static SettleOutcome
rule_single_row(SettleInput &in)
{
	return at_most_one_row(in.child) ? SETTLE_OFF : SETTLE_NEXT;
}

/* An aggregate's input order matters only to order-sensitive aggregates. */
static SettleOutcome
rule_order_sensitive_aggregates(SettleInput &in)
{
	Plan *parent = in.parent;

	if (parent == NULL || !IsA(parent, Agg) ||
		!(contains_order_sensitive_aggregate((Node *) parent->targetlist) ||
		  contains_order_sensitive_aggregate((Node *) parent->qual)))
		return SETTLE_OFF;
	return SETTLE_NEXT;
}

/*
 * A subquery's result order is seen only by ARRAY(subquery); there the node
 * may shuffle everything unless the subquery's own ORDER BY, or one it reads
 * (§4.2), fixes the order.
 */
static SettleOutcome
rule_subquery_result_in_array(SettleInput &in)
{
	if (in.spec.level_flags & LEVEL_TOP)
		return SETTLE_NEXT;

	bool subplan_root = in.parent == NULL || IsA(in.parent, Result) || IsA(in.parent, ProjectSet);

	if (in.top_level || !subplan_root || !bms_is_member(in.ctx->current_plan_id, in.ctx->array_sublink_plans))
		return SETTLE_OFF;
	if (!(in.spec.level_flags & LEVEL_HAS_ORDER_BY) &&
		(unorder_rows_perturb_subquery_order || !(in.spec.level_flags & LEVEL_READS_ORDERED)))
	{
		in.spec.scope = SCOPE_ALL;
		in.spec.nkeys = 0;
	}
	return SETTLE_NEXT;
}

/* A cursor's LockRows must see the row WHERE CURRENT OF names. */
static SettleOutcome
rule_cursor_lock_rows(SettleInput &in)
{
	if ((in.spec.level_flags & LEVEL_TOP) && in.ctx->is_cursor && cursor_lock_rows_on_top(in.child))
		return SETTLE_OFF;
	return SETTLE_NEXT;
}

/*
 * Rows nobody can tell apart need no perturbation (§4.7): a LIMIT whose every
 * output column is a constant (`SELECT 1 ... LIMIT 1`, an ORM's exists())
 * returns the same rows whichever it picks, and a result of such rows looks
 * the same in any order, as long as the statement locks no rows (the pick
 * would decide which row is locked) and changes none (a plain SELECT without
 * data-modifying WITH).
 */
static SettleOutcome
rule_rows_indistinguishable(SettleInput &in)
{
	PlannedStmt *stmt = in.ctx->stmt;

	if (stmt->commandType != CMD_SELECT || stmt->hasModifyingCTE || stmt->rowMarks != NIL)
		return SETTLE_NEXT;
	return plan_output_constant(in.child) ? SETTLE_OFF : SETTLE_NEXT;
}

/* A LIMIT over something that may never end must still stop early. */
static SettleOutcome
rule_limit_input_finite(SettleInput &in)
{
	return plan_surely_finite(in.ctx->stmt, in.child) ? SETTLE_NEXT : SETTLE_OFF;
}

/*
 * WHERE CURRENT OF must find the row just fetched: a node over a cursor's
 * single heap scan stands in for it (carrying each row's TID); over anything
 * else WHERE CURRENT OF could address, it goes.
 */
static SettleOutcome
rule_cursor_current_of(SettleInput &in)
{
	if (in.ctx->is_cursor && in.top_level && cursor_rows_addressable(in.child))
	{
		if (cursor_scan_below(in.child) == NULL)
			return SETTLE_OFF;
		in.spec.level_flags |= NODE_TRACKS_ROW_IDENTITY;
	}
	return SETTLE_NEXT;
}

/*
 * One node per stretch of rows: two could undo each other.  A node that
 * shuffles everything takes over from one below that shuffles only ties
 * (unless a LIMIT between them picks rows); otherwise this one goes.
 */
static SettleOutcome
rule_one_node_per_stretch(SettleInput &in)
{
	bool through_limit;
	CustomScan *below = stacked_node_below(in.child, &through_limit);

	if (below == NULL)
		return SETTLE_NEXT;

	PerturbationSpec below_spec;

	perturbation_spec_read(below, &below_spec);
	if (!(in.spec.scope == SCOPE_ALL && below_spec.scope == SCOPE_WITHIN_RUNS))
		return SETTLE_OFF;
	if (!through_limit)
	{
		below_spec.scope = SCOPE_NONE;
		perturbation_spec_write(below, &below_spec);
	}
	return SETTLE_NEXT;
}

/*
 * Right below its LIMIT, a node needs only as many rows as the LIMIT reads.
 * Shuffling everything, it samples them; shuffling ties, it lets a sort
 * below keep only the top rows (as the LIMIT would have), which it may have
 * to read again, whole, when the run of ties at the LIMIT's last row reaches
 * past them.  Never a rule that removes the node.
 */
static SettleOutcome
rule_limit_reads_sample(SettleInput &in)
{
	if (in.parent != NULL && IsA(in.parent, Limit) && !(in.spec.level_flags & NODE_TRACKS_ROW_IDENTITY) &&
		(in.spec.scope == SCOPE_ALL || (in.spec.scope == SCOPE_WITHIN_RUNS && plan_repeatable(in.child))))
		in.cscan->custom_exprs = limit_sample_exprs((Limit *) in.parent);
	return SETTLE_NEXT;
}

/* The rules, each with the clause of docs/order-contract.md it implements (or its reason). */
static constexpr SettleRule function_rows_kept = {
	"§4.3, §4.4: rows made only by functions and VALUES keep their order", rule_function_rows_kept};
static constexpr SettleRule single_row = {"one row has no order", rule_single_row};
static constexpr SettleRule subquery_result_in_array = {
	"§3.1: a subquery's result order is visible only through ARRAY(subquery)", rule_subquery_result_in_array};
static constexpr SettleRule cursor_lock_rows = {
	"§5.1: a cursor's LockRows sees the row WHERE CURRENT OF names", rule_cursor_lock_rows};
static constexpr SettleRule cursor_current_of = {"§5.1: WHERE CURRENT OF finds the row just fetched",
												 rule_cursor_current_of};
static constexpr SettleRule rows_indistinguishable = {
	"§4.7: rows nobody can tell apart (constant columns, no locks, no DML) need no perturbation",
	rule_rows_indistinguishable};
static constexpr SettleRule limit_input_finite = {"§4.6: a LIMIT over what may never end still stops early",
												  rule_limit_input_finite};
static constexpr SettleRule order_sensitive_aggregates = {
	"§3.4: only order-sensitive aggregates see their input order", rule_order_sensitive_aggregates};
static constexpr SettleRule one_node_per_stretch = {"one node per stretch of rows: two could undo each other",
													rule_one_node_per_stretch};
/*
 * §3.6, §5.5: an INSERT's rows go in the order of a key every session
 * shares, where they may wait on each other (insert_key.hpp).
 */
static SettleOutcome
rule_insert_order(SettleInput &in)
{
	if (in.spec.level_flags & LEVEL_INSERTS)
		settle_insert_order(in.cscan, in.parent, &in.spec);
	return SETTLE_NEXT;
}

static constexpr SettleRule insert_order = {"§3.6: INSERT rows that may wait on a unique key are keyed",
											rule_insert_order};
static constexpr SettleRule limit_reads_sample = {"§3.2: only the rows the LIMIT reads are sampled",
												  rule_limit_reads_sample};

/* The rules of each kind, in the order they are applied. */
static constexpr SettleRule result_rules[] = {
	function_rows_kept, single_row,        rows_indistinguishable, subquery_result_in_array,
	cursor_lock_rows,   cursor_current_of, one_node_per_stretch,
};
static constexpr SettleRule limit_rules[] = {
	function_rows_kept, single_row,           rows_indistinguishable, limit_input_finite,
	cursor_current_of,  one_node_per_stretch, limit_reads_sample,
};
static constexpr SettleRule aggregate_rules[] = {
	function_rows_kept,
	single_row,
	order_sensitive_aggregates,
	one_node_per_stretch,
};
static constexpr SettleRule window_or_distinct_rules[] = {
	function_rows_kept,
	single_row,
	one_node_per_stretch,
};
/* DML sources skip the single-row rule */
static constexpr SettleRule dml_rules[] = {
	function_rows_kept,
	one_node_per_stretch,
	insert_order,
};

/* A kind's rules: a pointer to the first and their number. */
struct SettleRules
{
	const SettleRule *rules;
	size_t count;
};

template <size_t N>
static SettleRules
rules_of(const SettleRule (&rules)[N])
{
	return SettleRules{rules, N};
}

/* settle_rules: the ordered rules that decide what a node of this kind does. */
static SettleRules
settle_rules(PerturbationKind kind)
{
	switch (kind)
	{
		case KIND_RESULT:
			return rules_of(result_rules);
		case KIND_LIMIT:
			return rules_of(limit_rules);
		case KIND_AGGREGATE:
			return rules_of(aggregate_rules);
		case KIND_WINDOW:
		case KIND_DISTINCT:
			return rules_of(window_or_distinct_rules);
		case KIND_DML:
			return rules_of(dml_rules);
	}
	elog(ERROR, "unorder_rows: unknown perturbation kind %d", (int) kind);
	return SettleRules{NULL, 0};
}

/* ---- at the source ---- */

/* Whether a table is a heap table (or a materialized view) whose rows a block scan can visit. */
static bool
heap_table(RangeTblEntry *rte)
{
	if (rte->rtekind != RTE_RELATION || (rte->relkind != RELKIND_RELATION && rte->relkind != RELKIND_MATVIEW))
		return false;

	HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(rte->relid));

	if (!HeapTupleIsValid(tuple))
		return false;

	bool heap = ((Form_pg_class) GETSTRUCT(tuple))->relam == HEAP_TABLE_AM_OID;

	ReleaseSysCache(tuple);
	return heap;
}

/*
 * Whether a node that stays may scan its table itself (block_scan.hpp)
 * instead of buffering its child's rows: its rows come straight from a
 * plain, non-parallel scan of a heap table, it shuffles them all, and
 * nothing asks more of a scan than a block scan gives: no SCROLL cursor
 * (it keeps the buffering node, which steps back through the rows it holds),
 * no row locks or data changes (EvalPlanQual rechecks; DML keeps its
 * session-independent keyed order, §3.6), and no volatile function or
 * subplan in the scan's output or quals.  Any other cursor gets a navigable
 * block scan (cursor_block_scan).
 */
static bool
rows_come_straight_from_heap_scan(SettleInput &in)
{
	PlannedStmt *stmt = in.ctx->stmt;

	if (!unorder_rows_block_scans || in.spec.scope != SCOPE_ALL || in.spec.kind == KIND_DML ||
		(in.spec.level_flags & LEVEL_LOCKS_ROWS) ||
		(in.ctx->is_cursor && (in.ctx->cursor_options & CURSOR_OPT_SCROLL)))
		return false;
	if (stmt->commandType != CMD_SELECT || stmt->hasModifyingCTE || stmt->rowMarks != NIL)
		return false;
	if (!IsA(in.child, SeqScan) || in.child->parallel_aware || in.child->initPlan != NIL)
		return false;
	/* the plain scan's first row is evaluated once more (block_scan.cpp) */
	if (contain_volatile_functions((Node *) in.child->targetlist) ||
		contain_volatile_functions((Node *) in.child->qual) ||
		contain_subplans((Node *) in.child->targetlist) || contain_subplans((Node *) in.child->qual))
		return false;
	return heap_table(rt_fetch(((Scan *) in.child)->scanrelid, stmt->rtable));
}

/*
 * A cursor's block scan is navigable: the scan slot holds the table's row
 * for WHERE CURRENT OF (§5.1), and it reads backward as the Seq Scan it
 * replaces does, so that a cursor declared without SCROLL can fetch backward
 * exactly where it could without the extension (PostgreSQL asks the plan,
 * ExecSupportsBackwardScan, when a cursor says neither SCROLL nor NO
 * SCROLL; §5.5).
 */
static void
cursor_block_scan(SettleInput &in)
{
	in.spec.level_flags |= NODE_TRACKS_ROW_IDENTITY;
	in.cscan->flags |= CUSTOMPATH_SUPPORT_BACKWARD_SCAN;
}

/* ---- settling ---- */

/* Decide whether a node is needed, given its parent; returns its replacement. */
static Plan *
settle_node(FinalizeContext *ctx, CustomScan *cscan, Plan *parent)
{
	SettleInput in;

	in.ctx = ctx;
	in.cscan = cscan;
	in.child = unorder_rows_child(cscan);
	in.parent = parent;
	in.top_level = ctx->current_plan_id == 0;
	perturbation_spec_read(cscan, &in.spec);
	if (in.spec.level_flags & NODE_PASSES_THROUGH)
		point_columns_at_own_position(cscan);
	if (in.spec.scope == SCOPE_NONE)
		return deactivate_node(cscan, &in.spec);

	SettleRules rules = settle_rules(in.spec.kind);

	for (size_t i = 0; i < rules.count; i++)
		if (rules.rules[i].apply(in) == SETTLE_OFF)
		{
			elog(DEBUG2, "unorder_rows: node %d removed (%s)", cscan->scan.plan.plan_node_id,
				 rules.rules[i].why);
			return deactivate_node(cscan, &in.spec);
		}
	if (rows_come_straight_from_heap_scan(in) && become_block_scan(cscan))
	{
		if (ctx->is_cursor)
			cursor_block_scan(in);
		elog(DEBUG2, "unorder_rows: node %d scans its table itself", cscan->scan.plan.plan_node_id);
	}
	perturbation_spec_write(cscan, &in.spec);
	return &cscan->scan.plan;
}

/* Settle every node of a tree, children first; returns the tree's new root. */
static Plan *
settle_tree(FinalizeContext *ctx, Plan *plan, Plan *parent)
{
	if (plan == NULL)
		return NULL;
	for_each_child_slot(plan, [&](Plan **child) { *child = settle_tree(ctx, *child, plan); });
	if (is_unorder_rows_scan(plan))
	{
		CustomScan *cscan = (CustomScan *) plan;
		Plan *replacement = settle_node(ctx, cscan, parent);

		/* a node below that was switched off by this one: splice it out too */
		if (replacement == plan && !unorder_rows_is_block_scan(cscan))
			splice_inactive_below(unorder_rows_child_slot(cscan));
		return replacement;
	}
	return plan;
}

void
finalize_perturbation_nodes(PlannedStmt *stmt, int cursor_options)
{
	FinalizeContext ctx;
	ListCell *lc;
	int plan_id = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.stmt = stmt;
	ctx.is_cursor = (cursor_options & CURSOR_OPT_FAST_PLAN) != 0;
	ctx.cursor_options = cursor_options;

	collect_array_sublinks_in_plan(&ctx, stmt->planTree);
	foreach (lc, stmt->subplans)
		collect_array_sublinks_in_plan(&ctx, (Plan *) lfirst(lc));

	foreach (lc, stmt->subplans)
	{
		ctx.current_plan_id = ++plan_id;
		lfirst(lc) = settle_tree(&ctx, (Plan *) lfirst(lc), NULL);
	}
	ctx.current_plan_id = 0;
	stmt->planTree = settle_tree(&ctx, stmt->planTree, NULL);
	if (ctx.is_cursor)
		keep_cursor_scrollable(stmt, cursor_options);

	/* last: from here on, each node names its child twice (node.hpp) */
	foreach (lc, stmt->subplans)
		name_columns_after_child((Plan *) lfirst(lc));
	name_columns_after_child(stmt->planTree);
}
