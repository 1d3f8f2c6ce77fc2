/*
 * planner.cpp
 *		Where perturbation nodes enter the plan.
 *
 * PostgreSQL knows, at each query level, which order it promised and which
 * orders the plan relies on: they are the pathkeys of the paths it builds.
 * So the nodes are added as paths, at the points where an observer can see
 * an order that SQL leaves open (docs/order-contract.md §3), once the planner has chosen its
 * paths at that stage (create_upper_paths_hook):
 *	- UPPERREL_FINAL: the query level's result (ties only, under ORDER BY),
 *	  the rows a LIMIT picks from, the rows a DML statement processes;
 *	- UPPERREL_GROUP_AGG: aggregate input;
 *	- UPPERREL_WINDOW: window function input;
 *	- UPPERREL_DISTINCT: the rows DISTINCT ON picks from.
 * A node copies the cost, rows and pathkeys of the path it wraps, so the
 * planner's choices stay exactly as they were (docs/order-contract.md §5.4), and it only ever
 * permutes within runs equal on the wrapped path's pathkeys when it has any
 * that someone may rely on, so no order the plan depends on is broken.
 *
 * After standard planning, the planner hook hands the finished plan to
 * order_analysis.cpp, which removes the nodes that turn out to be unneeded.
 */
#include "pg/postgres_includes.hpp"

#include "aggregates.hpp"
#include "insert_key.hpp"
#include "node.hpp"
#include "order_analysis.hpp"
#include "planner.hpp"
#include "query_level.hpp"
#include "settings.hpp"

/* ---- saved hook values ---- */

static create_upper_paths_hook_type prev_create_upper_paths_hook = NULL;
static planner_hook_type prev_planner_hook = NULL;

/*
 * Perturbation nodes made into the plan being planned: a plan without any
 * (most single-row statements) skips the finished-plan pass.
 */
static int nodes_planned = 0;

/* ---- function declarations ---- */

static Plan *plan_unorder_rows_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist,
									List *clauses, List *custom_plans);

static const CustomPathMethods unorder_rows_path_methods = {
	"UnorderRows",
	plan_unorder_rows_path,
};

/* Private data of a path: kind, scope, level flags and the pathkeys to keep. */
enum
{
	PATH_PRIVATE_KIND,
	PATH_PRIVATE_SCOPE,
	PATH_PRIVATE_LEVEL_FLAGS,
	PATH_PRIVATE_PATHKEYS
};

/* Whether a path is one of our wrappers. */
static bool
is_wrapper_path(const Path *path)
{
	return IsA(path, CustomPath) && ((const CustomPath *) path)->methods == &unorder_rows_path_methods;
}

/*
 * A path that reads its subpath and emits the same rows, permuted; costs,
 * rows and pathkeys are the subpath's.
 */
static Path *
make_wrapper_path(PlannerInfo *root, RelOptInfo *rel, Path *subpath, PerturbationKind kind,
				  PerturbationScope scope, List *keep_pathkeys, bool keep_parallel_safety)
{
	CustomPath *cpath = makeNode(CustomPath);

	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = rel;
	cpath->path.pathtarget = subpath->pathtarget;
	cpath->path.param_info = subpath->param_info;
	cpath->path.parallel_aware = false;
	/*
	 * Never inside a parallel worker: the session seed lives in the leader.
	 * Except for a node that the planner of an outer level would otherwise
	 * see as parallel-unsafe, and that is removed after planning anyway
	 * (wrap_final_path): it must not change the outer level's plan.
	 */
	cpath->path.parallel_safe = keep_parallel_safety && subpath->parallel_safe;
	cpath->path.parallel_workers = subpath->parallel_workers;
	cpath->path.rows = subpath->rows;
	cpath->path.startup_cost = subpath->startup_cost;
	cpath->path.total_cost = subpath->total_cost;
	compat_copy_disabled_nodes(&cpath->path, subpath);
	cpath->path.pathkeys = subpath->pathkeys;
	/*
	 * A DML source node sits below the projection that computes the new rows
	 * (defaults, serials): let the planner fold it into the node rather than
	 * add a Result above, as it does for the scan it replaces.
	 */
	cpath->flags = kind == KIND_DML ? compat_custom_path_projection_flag() : 0;
	cpath->custom_paths = list_make1(subpath);
	cpath->custom_private = list_make4(makeInteger(kind), makeInteger(scope), makeInteger(level_flags(root)),
									   scope == SCOPE_WITHIN_RUNS ? keep_pathkeys : NIL);
	cpath->methods = &unorder_rows_path_methods;
	return &cpath->path;
}

/*
 * Whether a path produces no rows by construction (a relation proven empty):
 * the planner recognizes such paths (is_dummy_rel) to simplify the levels
 * above, which a node on top would prevent.
 */
static bool
is_dummy_path(Path *path)
{
	while (IsA(path, ProjectionPath) || IsA(path, ProjectSetPath))
		path = IsA(path, ProjectionPath) ? ((ProjectionPath *) path)->subpath
										 : ((ProjectSetPath *) path)->subpath;
	return IS_DUMMY_APPEND(path);
}

/* Wrap *slot unless it is already wrapped, or empty. */
static void
wrap_in_place(PlannerInfo *root, RelOptInfo *rel, Path **slot, PerturbationKind kind, PerturbationScope scope,
			  List *keep_pathkeys, bool keep_parallel_safety = false)
{
	if (is_wrapper_path(*slot) || scope == SCOPE_NONE || is_dummy_path(*slot))
		return;
	if (scope == SCOPE_WITHIN_RUNS && keep_pathkeys == NIL)
		scope = SCOPE_ALL;
	*slot = make_wrapper_path(root, rel, *slot, kind, scope, keep_pathkeys, keep_parallel_safety);
}

/*
 * Where to insert above rows a set-returning function may have produced:
 * below a ProjectSet (SRFs in the target list), so that each input row's
 * function rows stay in their defined order (§4.4).
 */
static Path **
below_function_projection(Path **slot)
{
	if (unorder_rows_perturb_function_rows)
		return slot;
	if (IsA(*slot, ProjectionPath) && IsA(((ProjectionPath *) *slot)->subpath, ProjectSetPath))
		return &((ProjectSetPath *) ((ProjectionPath *) *slot)->subpath)->subpath;
	if (IsA(*slot, ProjectSetPath))
		return &((ProjectSetPath *) *slot)->subpath;
	return slot;
}

/*
 * The rows a DML statement processes.  The node must not sit where the rows
 * still carry row identity Vars of an inherited target (see
 * compat_has_row_identity_vars): above an Append of the target's children,
 * it permutes each child's rows instead (the children keep their order).
 */
static void
wrap_dml_source(PlannerInfo *root, RelOptInfo *rel, Path **source)
{
	/*
	 * INSERT ... VALUES keeps its order (§4.3): decide it here, not after
	 * planning, or the projection folded into the removed node would need a
	 * Result of its own.
	 */
	if (!(unorder_rows_perturb_values_returning || unorder_rows_perturb_function_rows) &&
		!jointree_reads_tables(root->parse, (Node *) root->parse->jointree))
		return;
	if (!compat_has_row_identity_vars((Node *) (*source)->pathtarget->exprs))
	{
		wrap_in_place(root, rel, source, KIND_DML, free_scope(root, *source), (*source)->pathkeys);
		return;
	}
	if (IsA(*source, AppendPath))
	{
		ListCell *lc;

		foreach (lc, ((AppendPath *) *source)->subpaths)
		{
			Path **child = (Path **) &lfirst(lc);

			wrap_dml_source(root, (*child)->parent, child);
		}
	}
}

/*
 * Whether each Var (and PlaceHolderVar) a projection reads is a column its
 * input outputs as such.  Not always above an outer join (PostgreSQL 16+):
 * the projection may read a Var as nulled by the join (varnullingrels) where
 * the join's target list has it unnulled; setrefs matches the two only when
 * the projection is folded into the join itself, so no node may come between
 * ("wrong varnullingrels").
 */
static bool
projection_reads_input_columns(ProjectionPath *projection)
{
	List *vars = pull_var_clause((Node *) projection->path.pathtarget->exprs,
								 PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS | PVC_INCLUDE_PLACEHOLDERS);
	ListCell *lc;

	foreach (lc, vars)
		if (!list_member(projection->subpath->pathtarget->exprs, lfirst(lc)))
			return false;
	return true;
}

/*
 * One source of a ModifyTable: below the projection that evaluates defaults,
 * so serials follow the new order (where the projection allows it).
 */
static void
wrap_modify_source(PlannerInfo *root, RelOptInfo *final_rel, Path **slot)
{
	Path **source = below_function_projection(slot);

	if (IsA(*source, ProjectionPath) && projection_reads_input_columns((ProjectionPath *) *source))
		source = &((ProjectionPath *) *source)->subpath;
	wrap_dml_source(root, final_rel, source);
}

/* UPPERREL_FINAL of an INSERT, UPDATE, DELETE or MERGE: the rows each source gives it. */
static void
wrap_modify_table_sources(PlannerInfo *root, RelOptInfo *final_rel, ModifyTablePath *modify)
{
	compat_for_each_modify_source(modify, [&](Path **slot) { wrap_modify_source(root, final_rel, slot); });
}

/*
 * Take a final path apart as [Limit] [LockRows] base: sets *limit and *lock
 * (or NULL) and returns where base is held, below a projection that runs
 * set-returning functions or, under a LIMIT, computes volatile columns.
 */
static Path **
final_path_base(Path **top, LimitPath **limit, LockRowsPath **lock)
{
	*limit = IsA(*top, LimitPath) ? (LimitPath *) *top : NULL;

	Path **below_limit = *limit != NULL ? &(*limit)->subpath : top;

	*lock = IsA(*below_limit, LockRowsPath) ? (LockRowsPath *) *below_limit : NULL;

	Path **base = below_function_projection(*lock != NULL ? &(*lock)->subpath : below_limit);

	/*
	 * Volatile output columns are computed above a sort, for the rows the
	 * LIMIT passes only (make_sort_input_target): stay below them, or a node
	 * reading a whole run of ties would call nextval() for every row of it.
	 */
	if (*limit != NULL && IsA(*base, ProjectionPath) &&
		contain_volatile_functions((Node *) (*base)->pathtarget->exprs))
		base = &((ProjectionPath *) *base)->subpath;
	return base;
}

/*
 * UPPERREL_FINAL: each final path is [ModifyTable] or [Limit] [LockRows] base.
 * Insert where the level's open order becomes visible.
 */
static void
wrap_final_path(PlannerInfo *root, RelOptInfo *final_rel, Path **top)
{
	Query *parse = root->parse;
	bool top_level = root->parent_root == NULL;
	bool ordered = parse->sortClause != NIL;

	if (IsA(*top, ModifyTablePath))
	{
		wrap_modify_table_sources(root, final_rel, (ModifyTablePath *) *top);
		return;
	}
	/*
	 * An UPDATE or DELETE level without a ModifyTable of its own: PostgreSQL
	 * 13 plans each child of an inherited target as such a level, and makes
	 * its final path one source of the parent's ModifyTable.  It is a DML
	 * source, whose rows are locked in order, not a query result.
	 */
	if (parse->commandType == CMD_UPDATE || parse->commandType == CMD_DELETE)
	{
		wrap_modify_source(root, final_rel, top);
		return;
	}
	if (ordered && (!unorder_rows_perturb_ties || order_by_leaves_no_ties(root)))
		return;

	LimitPath *limit;
	LockRowsPath *lock;
	Path **base = final_path_base(top, &limit, &lock);

	/* ties under ORDER BY: the statement promised sort_pathkeys, a subquery its path's */
	PerturbationScope scope = ordered ? SCOPE_WITHIN_RUNS : free_scope(root, *base);
	List *keys = (ordered && top_level) ? root->sort_pathkeys : (*base)->pathkeys;
	/* a subquery's parent may rely on its pathkeys; keep them unless fully shuffled */
	bool drop_pathkeys = !top_level && scope == SCOPE_ALL;

	if (limit != NULL)
	{
		/* rows the LIMIT picks from; with FOR UPDATE, also which rows get locked (§3.2) */
		wrap_in_place(root, final_rel, base, KIND_LIMIT, scope, keys);
		if (drop_pathkeys)
		{
			(*base)->pathkeys = NIL;
			if (lock != NULL)
				lock->path.pathkeys = NIL;
			limit->path.pathkeys = NIL;
		}
		/* fallback for the statement's result, dropped after planning when unneeded */
		if (top_level)
			wrap_in_place(root, final_rel, top, KIND_RESULT, scope, keys);
		return;
	}
	if (lock != NULL)
	{
		/* lock order is kept (§4.5) unless asked for; the result order is not */
		if (unorder_rows_perturb_lock_order)
			wrap_in_place(root, final_rel, base, KIND_RESULT, scope, keys);
		else if (top_level)
			wrap_in_place(root, final_rel, top, KIND_RESULT, scope, keys);
		return;
	}

	/*
	 * The level's result.  A subquery's parent may rely on its pathkeys, so
	 * there the node stays within them; after planning it is kept only for
	 * ARRAY(subquery), where it may shuffle freely.
	 */
	if (top_level)
		wrap_in_place(root, final_rel, base, KIND_RESULT, scope, keys);
	else if (scope != SCOPE_NONE)
		wrap_in_place(root, final_rel, base, KIND_RESULT, SCOPE_WITHIN_RUNS, (*base)->pathkeys, true);
	/*
	 * else: the level reads an ordered subquery or CTE whose order the
	 * planner no longer tracks (no pathkeys): keep all of it (§4.2), even
	 * for ARRAY(subquery), rather than shuffle it whole.
	 */
}

/* UPPERREL_GROUP_AGG: input of aggregates (decided per Agg after planning). */
static void
wrap_aggregate_inputs(PlannerInfo *root, RelOptInfo *grouped_rel)
{
	ListCell *lc;

	/*
	 * Only order-sensitive aggregates need their input perturbed.  Decide it
	 * here rather than after planning: a node removed later still changed
	 * the plan of its input (PostgreSQL plans a custom node's child with an
	 * exact target list, which keeps a SubqueryScan it would have removed).
	 */
	if (!contains_order_sensitive_aggregate((Node *) root->parse->targetList) &&
		!contains_order_sensitive_aggregate(root->parse->havingQual))
		return;
	foreach (lc, grouped_rel->pathlist)
	{
		Path *path = (Path *) lfirst(lc);

		if (IsA(path, ProjectionPath))
			path = ((ProjectionPath *) path)->subpath;
		if (!IsA(path, AggPath))
			continue;

		AggPath *agg = (AggPath *) path;
		/* a sorted Agg, and any Agg fed presorted input, relies on the input order */
		bool needs_order = agg->aggstrategy == AGG_SORTED || compat_aggregates_may_use_input_order(root);
		PerturbationScope scope = !needs_order                               ? free_scope(root, agg->subpath)
								  : keeps_subquery_order(root, agg->subpath) ? SCOPE_NONE
																			 : SCOPE_WITHIN_RUNS;

		wrap_in_place(root, grouped_rel, &agg->subpath, KIND_AGGREGATE, scope, agg->subpath->pathkeys);
	}
}

/* UPPERREL_WINDOW: input of every WindowAgg, within its sort order. */
static void
wrap_window_inputs(PlannerInfo *root, RelOptInfo *window_rel)
{
	ListCell *lc;

	foreach (lc, window_rel->pathlist)
	{
		Path *path = (Path *) lfirst(lc);

		for (;;)
		{
			if (IsA(path, ProjectionPath))
				path = ((ProjectionPath *) path)->subpath;
			else if (IsA(path, SortPath))
				path = ((SortPath *) path)->subpath;
			else if (IsA(path, IncrementalSortPath))
				path = ((IncrementalSortPath *) path)->spath.subpath;
			else if (IsA(path, WindowAggPath))
			{
				WindowAggPath *window = (WindowAggPath *) path;

				if (!keeps_subquery_order(root, window->subpath))
					wrap_in_place(root, window_rel, &window->subpath, KIND_WINDOW, SCOPE_WITHIN_RUNS,
								  window->subpath->pathkeys);
				path = is_wrapper_path(window->subpath)
						   ? (Path *) linitial(((CustomPath *) window->subpath)->custom_paths)
						   : window->subpath;
			}
			else
				break;
		}
	}
}

/* UPPERREL_DISTINCT: the rows DISTINCT ON picks one of, per group. */
static void
wrap_distinct_inputs(PlannerInfo *root, RelOptInfo *distinct_rel)
{
	ListCell *lc;

	if (!root->parse->hasDistinctOn || !unorder_rows_perturb_ties)
		return;
	foreach (lc, distinct_rel->pathlist)
	{
		Path *path = (Path *) lfirst(lc);

		if (IsA(path, UpperUniquePath))
		{
			UpperUniquePath *unique = (UpperUniquePath *) path;

			wrap_in_place(root, distinct_rel, &unique->subpath, KIND_DISTINCT, SCOPE_WITHIN_RUNS,
						  unique->subpath->pathkeys);
		}
	}
}

/* create_upper_paths_hook: add wrappers at each upper planning stage. */
static void
unorder_rows_create_upper_paths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
								RelOptInfo *output_rel, void *extra)
{
	if (prev_create_upper_paths_hook)
		prev_create_upper_paths_hook(root, stage, input_rel, output_rel, extra);

	if (!unorder_rows_active())
		return;
	/* only these stages wrap paths; ask the uniqueness proof there alone */
	if (stage != UPPERREL_GROUP_AGG && stage != UPPERREL_WINDOW && stage != UPPERREL_DISTINCT &&
		stage != UPPERREL_FINAL)
		return;
	if (level_returns_at_most_one_row(root))
		return;

	ListCell *lc;

	switch (stage)
	{
		case UPPERREL_GROUP_AGG:
			wrap_aggregate_inputs(root, output_rel);
			break;
		case UPPERREL_WINDOW:
			wrap_window_inputs(root, output_rel);
			break;
		case UPPERREL_DISTINCT:
			wrap_distinct_inputs(root, output_rel);
			break;
		case UPPERREL_FINAL:
			foreach (lc, output_rel->pathlist)
			{
				Path *path = (Path *) lfirst(lc);

				wrap_final_path(root, output_rel, &path);
				lfirst(lc) = path;
			}
			break;
		default:
			break;
	}
}

/*
 * Find the column of the child's target list that a pathkey sorts on, with
 * the equality operator and collation that define ties.
 */
static bool
find_key_column(PathKey *pathkey, List *child_tlist, AttrNumber *column, Oid *equality_op, Oid *collation)
{
	EquivalenceClass *ec = pathkey->pk_eclass;
	ListCell *lc;

	while (ec->ec_merged != NULL)
		ec = ec->ec_merged;
	foreach (lc, ec->ec_members)
	{
		EquivalenceMember *em = (EquivalenceMember *) lfirst(lc);

		if (em->em_is_const)
			continue;

		TargetEntry *tle = tlist_member(em->em_expr, child_tlist);

		if (tle == NULL)
			continue;

		Oid op = get_opfamily_member(pathkey->pk_opfamily, em->em_datatype, em->em_datatype,
									 BTEqualStrategyNumber);

		if (!OidIsValid(op))
			continue;
		*column = tle->resno;
		*equality_op = op;
		*collation = ec->ec_collation;
		return true;
	}
	return false;
}

/*
 * Whether a relation of the level is the statement's target table or one of
 * its inheritance children (PostgreSQL 14 and later plan an inherited
 * target's children as members of an appendrel; 13 plans each child with a
 * root of its own, whose result relation it is).
 */
static bool
is_target_relation(PlannerInfo *root, Index varno)
{
	while (varno > 0 && (int) varno < root->simple_rel_array_size)
	{
		if (varno == (Index) root->parse->resultRelation)
			return true;
		if (root->append_rel_array == NULL || root->append_rel_array[varno] == NULL)
			return false;
		varno = root->append_rel_array[varno]->parent_relid;
	}
	return false;
}

/*
 * The rows of an UPDATE, DELETE or MERGE: which of the child's columns holds
 * the TID of the target row each row will change (the junk "ctid" that the
 * planner adds for ModifyTable, a Var of the target here, before setrefs),
 * so that the node can key a row on the target row even where a join stands
 * between the target's scan and the node; and which columns describe a row
 * that names no target row (MERGE's NOT MATCHED rows): all but system
 * columns, which differ between sessions that see other row versions of the
 * same source rows.  Only for plain tables, whose rows the table AM fetches
 * by TID (not views or foreign tables).
 */
static void
find_target_rows(PlannerInfo *root, List *child_tlist, PerturbationSpec *spec)
{
	ListCell *lc;

	foreach (lc, child_tlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);
		Var *var = IsA(tle->expr, Var) ? (Var *) tle->expr : NULL;

		if (var == NULL || var->varattno >= 0)
		{
			spec->row_columns = lappend_int(spec->row_columns, tle->resno);
			continue;
		}
		if (var->varattno != SelfItemPointerAttributeNumber || var->varlevelsup != 0 ||
			spec->target_tid_column != 0 || !is_target_relation(root, var->varno))
			continue;

		RangeTblEntry *rte = planner_rt_fetch(var->varno, root);

		if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_RELATION)
		{
			spec->target_tid_column = tle->resno;
			spec->target_relation = rte->relid;
		}
	}
	if (spec->target_tid_column == 0)
		spec->row_columns = NIL;
}

/* PlanCustomPath: the CustomScan above the child's plan. */
static Plan *
plan_unorder_rows_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist, List *clauses,
					   List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	Plan *child = (Plan *) linitial(custom_plans);
	List *priv = best_path->custom_private;
	PerturbationSpec spec;

	nodes_planned++;

	/* the node neither filters nor projects: the child applied every clause */
	cscan->scan.plan.targetlist = tlist != NIL ? tlist : (List *) copyObject(child->targetlist);
	cscan->scan.plan.qual = NIL;
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	cscan->custom_exprs = NIL;
	cscan->custom_scan_tlist = (List *) copyObject(child->targetlist);
	cscan->methods = &unorder_rows_scan_methods;

	/*
	 * At the top of a level, PostgreSQL labels the topmost node's columns
	 * (names, junk markers such as LockRows' "ctid1"); nodes that share their
	 * child's target list, like LockRows, rely on that.  Label the child as
	 * it would have been labelled without us.
	 */
	if (rel->reloptkind == RELOPT_UPPER_REL &&
		list_length(child->targetlist) == list_length(root->processed_tlist))
		apply_tlist_labeling(child->targetlist, root->processed_tlist);

	memset(&spec, 0, sizeof(spec));
	spec.kind = (PerturbationKind) intVal(list_nth(priv, PATH_PRIVATE_KIND));
	spec.scope = (PerturbationScope) intVal(list_nth(priv, PATH_PRIVATE_SCOPE));
	spec.level_flags = intVal(list_nth(priv, PATH_PRIVATE_LEVEL_FLAGS));
	/*
	 * Given a target list, the node outputs its path's target, which is the
	 * child's: column i is the child's column i.  Without one, the caller is
	 * about to fold a projection into the node (CP_IGNORE_TLIST).
	 */
	if (tlist != NIL && list_length(tlist) == list_length(child->targetlist))
		spec.level_flags |= NODE_PASSES_THROUGH;
	if (spec.kind == KIND_DML && (spec.level_flags & LEVEL_LOCKS_ROWS))
		find_target_rows(root, child->targetlist, &spec);
	if (spec.kind == KIND_DML && (spec.level_flags & LEVEL_INSERTS))
		find_insert_rows(root, child->targetlist, &spec);

	if (spec.scope == SCOPE_WITHIN_RUNS)
	{
		List *pathkeys = (List *) list_nth(priv, PATH_PRIVATE_PATHKEYS);
		ListCell *lc;

		foreach (lc, pathkeys)
		{
			/* a key we cannot find would let rows move across it: do nothing then */
			if (spec.nkeys == PERTURBATION_MAX_KEYS ||
				!find_key_column((PathKey *) lfirst(lc), child->targetlist, &spec.key_columns[spec.nkeys],
								 &spec.key_equality_ops[spec.nkeys], &spec.key_collations[spec.nkeys]))
			{
				spec.scope = SCOPE_NONE;
				spec.nkeys = 0;
				break;
			}
			spec.nkeys++;
		}
	}
	perturbation_spec_write(cscan, &spec);
	return &cscan->scan.plan;
}

/* planner_hook: plan, then finalize the perturbation nodes of the plan. */
static PlannedStmt *
unorder_rows_planner(Query *parse, const char *query_string, int cursor_options, ParamListInfo bound_params)
{
	bool active = unorder_rows_active();
	int outer_nodes_planned = nodes_planned;
	PlannedStmt *result;

	/* counted afresh for this plan; a planner call nested in it counts its own */
	nodes_planned = 0;
	if (prev_planner_hook)
		result = prev_planner_hook(parse, query_string, cursor_options, bound_params);
	else
		result = standard_planner(parse, query_string, cursor_options, bound_params);

	bool has_nodes = nodes_planned > 0;

	nodes_planned = outer_nodes_planned;
	if (active && has_nodes)
		finalize_perturbation_nodes(result, cursor_options);
	return result;
}

void
unorder_rows_install_planner_hooks(void)
{
	prev_create_upper_paths_hook = create_upper_paths_hook;
	create_upper_paths_hook = unorder_rows_create_upper_paths;
	prev_planner_hook = planner_hook;
	planner_hook = unorder_rows_planner;
}
