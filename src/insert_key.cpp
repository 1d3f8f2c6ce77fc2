/*
 * insert_key.cpp
 *		The key an INSERT's rows are processed in: which index, computed how;
 *		see insert_key.hpp.
 */
#include "insert_key.hpp"

#include "plan_nodes.hpp"
#include "row_buffer.hpp"
#include "row_key.hpp"

extern "C"
{
#include "catalog/pg_index.h"
#include "utils/relcache.h"
#include "utils/typcache.h"
}

/* ---- plan time ---- */

/* Recursion limit of column_is_volatile: deeper is taken as volatile. */
#define MAX_VOLATILITY_DEPTH 16

static bool column_is_volatile(Query *query, Expr *expr, int depth);

/* The query of a CTE of a query level, by name; NULL if not found. */
static Query *
cte_query(Query *query, const char *name)
{
	ListCell *lc;

	foreach (lc, query->cteList)
	{
		CommonTableExpr *cte = (CommonTableExpr *) lfirst(lc);

		if (strcmp(cte->ctename, name) == 0 && IsA(cte->ctequery, Query))
			return (Query *) cte->ctequery;
	}
	return NULL;
}

/* Whether a Var of a query level reads a value that something volatile computed. */
static bool
var_is_volatile(Query *query, Var *var, int depth)
{
	if (var->varlevelsup != 0 || var->varno < 1 || (int) var->varno > list_length(query->rtable))
		return false;

	RangeTblEntry *rte = rt_fetch(var->varno, query->rtable);
	Query *source = NULL;

	if (rte->rtekind == RTE_SUBQUERY)
		source = rte->subquery;
	else if (rte->rtekind == RTE_CTE && rte->ctelevelsup == 0)
		source = cte_query(query, rte->ctename);
	else if (rte->rtekind == RTE_FUNCTION)
		return contain_volatile_functions((Node *) rte->functions);
	else
		return false;
	if (source == NULL || var->varattno <= 0)
		return true;

	TargetEntry *tle = get_tle_by_resno(source->targetList, var->varattno);

	return tle == NULL || column_is_volatile(source, tle->expr, depth + 1);
}

/*
 * Whether an expression of a query level computes, or reads through its
 * subqueries and CTEs, something volatile: a value another session (or
 * another run) gets otherwise for the same source row.
 */
static bool
column_is_volatile(Query *query, Expr *expr, int depth)
{
	if (depth > MAX_VOLATILITY_DEPTH || contain_volatile_functions((Node *) expr))
		return true;

	List *vars = pull_var_clause((Node *) expr,
								 PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS | PVC_RECURSE_PLACEHOLDERS);
	ListCell *lc;

	foreach (lc, vars)
		if (var_is_volatile(query, (Var *) lfirst(lc), depth))
			return true;
	return false;
}

void
find_insert_rows(PlannerInfo *root, List *child_tlist, PerturbationSpec *spec)
{
	Query *parse = root->parse;
	RangeTblEntry *target = rt_fetch(parse->resultRelation, parse->rtable);
	ListCell *lc;

	if (target->rtekind != RTE_RELATION ||
		(target->relkind != RELKIND_RELATION && target->relkind != RELKIND_PARTITIONED_TABLE))
		return;
	spec->target_relation = target->relid;
	foreach (lc, child_tlist)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		/* system columns differ between sessions that see other versions of the same rows */
		if (IsA(tle->expr, Var) && ((Var *) tle->expr)->varattno < 0)
			continue;
		if (!column_is_volatile(parse, tle->expr, 0))
			spec->row_columns = lappend_int(spec->row_columns, tle->resno);
	}
}

/* What an index tells of the order of an INSERT's rows. */
enum IndexKey
{
	INDEX_NO_WAITS, /* not unique, not ready, or a column no other session's row can share */
	INDEX_UNKNOWN,  /* rows may wait on it, but their values are not known below the projection */
	INDEX_KEYED     /* rows may wait on it, and their values are computed by the key expressions */
};

/*
 * Whether an expression over the node's scan tuple reads only columns that
 * nothing volatile computed (row_columns).
 */
static bool
reads_stable_columns(Expr *expr, List *row_columns)
{
	List *vars = pull_var_clause((Node *) expr,
								 PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS | PVC_RECURSE_PLACEHOLDERS);
	ListCell *lc;

	foreach (lc, vars)
	{
		Var *var = (Var *) lfirst(lc);

		if (var->varno != INDEX_VAR || !list_member_int(row_columns, var->varattno))
			return false;
	}
	return true;
}

/* The entry of the inserted row's target list that computes a column of the table; NULL if none. */
static TargetEntry *
row_column(List *row_tlist, AttrNumber attnum)
{
	TargetEntry *tle = attnum > 0 && attnum <= list_length(row_tlist)
						   ? (TargetEntry *) list_nth(row_tlist, attnum - 1)
						   : NULL;

	return tle != NULL && tle->resno == attnum && !tle->resjunk ? tle : NULL;
}

struct SubstituteContext
{
	List *row_tlist;
	bool failed;
};

/* Mutator: an index expression's Vars (of the table) replaced by what computes the column. */
static Node *
substitute_row_columns(Node *node, void *context)
{
	SubstituteContext *ctx = (SubstituteContext *) context;

	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var *var = (Var *) node;
		TargetEntry *tle = var->varlevelsup == 0 ? row_column(ctx->row_tlist, var->varattno) : NULL;

		if (tle == NULL)
		{
			ctx->failed = true;
			return node;
		}
		return (Node *) copyObject(tle->expr);
	}
	return compat_expression_tree_mutator(node, substitute_row_columns, context);
}

/* An index's expressions (its columns that are no plain column), ready to run; NIL if none. */
static List *
index_expressions(HeapTuple tuple)
{
	bool isnull;
	Datum datum = SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indexprs, &isnull);

	if (isnull)
		return NIL;

	List *exprs = (List *) stringToNode(TextDatumGetCString(datum));

	fix_opfuncids((Node *) exprs);
	return exprs;
}

/*
 * The value the inserted row gives an index column: the expression that
 * computes the table column, or the index's expression over the
 * expressions that compute the columns it reads; NULL if unknown.
 */
static Expr *
index_column_value(AttrNumber attnum, List *row_tlist, ListCell **next_expression, List *index_exprs)
{
	if (attnum != 0)
	{
		TargetEntry *tle = row_column(row_tlist, attnum);

		return tle != NULL ? tle->expr : NULL;
	}
	if (*next_expression == NULL)
		return NULL;

	SubstituteContext ctx = {row_tlist, false};
	Node *value = substitute_row_columns((Node *) lfirst(*next_expression), &ctx);

	*next_expression = lnext(index_exprs, *next_expression);
	return ctx.failed ? NULL : (Expr *) value;
}

/*
 * Classify one index of the target; for INDEX_KEYED, the expressions that
 * compute its columns' values from the node's scan tuple (taken from the
 * node's target list, which computes the inserted row: NIL when it does not)
 * and their collations.
 */
static IndexKey
index_key(Oid index, List *row_tlist, List *row_columns, List **exprs, List **collations)
{
	HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));

	if (!HeapTupleIsValid(tuple))
		return INDEX_NO_WAITS;

	Form_pg_index form = (Form_pg_index) GETSTRUCT(tuple);
	IndexKey result = INDEX_KEYED;
	bool isnull;
	Datum collation_datum = SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indcollation, &isnull);
	oidvector *index_collations = isnull ? NULL : (oidvector *) DatumGetPointer(collation_datum);

	*exprs = NIL;
	*collations = NIL;
	if (!(form->indisunique || form->indisexclusion) || !form->indisready)
		result = INDEX_NO_WAITS;
	else if (row_tlist == NIL || index_collations == NULL)
		result = INDEX_UNKNOWN;

	List *index_exprs = result == INDEX_KEYED ? index_expressions(tuple) : NIL;
	ListCell *next_expression = list_head(index_exprs);

	for (int i = 0; result == INDEX_KEYED && i < form->indnkeyatts; i++)
	{
		Expr *value = index_column_value(form->indkey.values[i], row_tlist, &next_expression, index_exprs);

		/* a system column, or a target list that is not the inserted row */
		if (value == NULL || contain_subplans((Node *) value))
			result = INDEX_UNKNOWN;
		/* NULLs (a column left out) conflict with nothing; NULLS NOT DISTINCT: with every other row alike */
		else if (contain_volatile_functions((Node *) value) || !reads_stable_columns(value, row_columns) ||
				 (IsA(value, Const) && ((Const *) value)->constisnull))
			result = INDEX_NO_WAITS;
		else
		{
			*exprs = lappend(*exprs, copyObject(value));
			*collations = lappend_oid(*collations, index_collations->values[i]);
		}
	}
	ReleaseSysCache(tuple);
	return result;
}

/* Whether plan is the one source of an INSERT's ModifyTable parent. */
static bool
is_insert_source(Plan *plan, Plan *parent)
{
	bool found = false;

	if (parent == NULL || !IsA(parent, ModifyTable) || ((ModifyTable *) parent)->operation != CMD_INSERT)
		return false;
	for_each_child_slot(parent, [&](Plan **child) { found = found || *child == plan; });
	return found;
}

void
settle_insert_order(CustomScan *cscan, Plan *parent, PerturbationSpec *spec)
{
	spec->insert_order = INSERT_ORDER_SHUFFLE;
	spec->key_index = InvalidOid;
	spec->key_exprs = NIL;
	spec->key_index_collations = NIL;
	if (!OidIsValid(spec->target_relation))
		return;

	bool source = is_insert_source(&cscan->scan.plan, parent);
	/* the node computes the inserted row (the projection folded into it) */
	List *row_tlist = source ? cscan->scan.plan.targetlist : NIL;
	List *candidates = NIL;
	/* the statement holds a lock on its target */
	Relation target = table_open(spec->target_relation, NoLock);
	List *indexes = RelationGetIndexList(target);

	if (source && ((ModifyTable *) parent)->onConflictAction != ONCONFLICT_NONE)
		candidates = list_copy(((ModifyTable *) parent)->arbiterIndexes);
	if (OidIsValid(target->rd_pkindex))
		candidates = list_append_unique_oid(candidates, target->rd_pkindex);
	table_close(target, NoLock);

	ListCell *lc;

	foreach (lc, indexes)
		candidates = list_append_unique_oid(candidates, lfirst_oid(lc));

	bool unknown = false;

	foreach (lc, candidates)
	{
		List *exprs;
		List *collations;

		switch (index_key(lfirst_oid(lc), row_tlist, spec->row_columns, &exprs, &collations))
		{
			case INDEX_KEYED:
				spec->insert_order = INSERT_ORDER_UNIQUE_KEY;
				spec->key_index = lfirst_oid(lc);
				spec->key_exprs = exprs;
				spec->key_index_collations = collations;
				return;
			case INDEX_UNKNOWN:
				unknown = true;
				break;
			case INDEX_NO_WAITS:
				break;
		}
	}
	if (unknown && spec->row_columns != NIL)
		spec->insert_order = INSERT_ORDER_ROW;
}

/* ---- execution ---- */

/* One column of a unique key: its value's expression and how to hash it. */
struct InsertKeyColumn
{
	ExprState *expr;
	Oid collation;
	int16 typlen;
	bool typbyval;
	FmgrInfo *hash; /* the type's extended hash function; NULL: hash the value's bytes */
};

struct InsertKey
{
	InsertOrder order;
	int ncolumns;
	InsertKeyColumn *columns; /* INSERT_ORDER_UNIQUE_KEY */
	ExprContext *econtext;
	TupleTableSlot *slot; /* virtual, of the scan tuple: what the expressions were compiled for */
	RowKey *row_key;      /* INSERT_ORDER_ROW */
};

/*
 * The type's extended hash function, where calling it cannot fail: base and
 * enum types (values the index holds equal hash alike: numeric's 1.0 and
 * 1.00, text under a nondeterministic collation).  Other types (records,
 * ranges of types without one) are hashed by their bytes.
 */
static FmgrInfo *
type_hash_function(Oid type)
{
	Oid base = getBaseType(type);
	char typtype = get_typtype(base);

	if (typtype != TYPTYPE_BASE && typtype != TYPTYPE_ENUM)
		return NULL;

	TypeCacheEntry *entry = lookup_type_cache(base, TYPECACHE_HASH_EXTENDED_PROC_FINFO);

	return OidIsValid(entry->hash_extended_proc) ? &entry->hash_extended_proc_finfo : NULL;
}

InsertKey *
insert_key_begin(const PerturbationSpec *spec, PlanState *node, TupleDesc scan_desc)
{
	InsertKey *key = (InsertKey *) palloc0(sizeof(InsertKey));
	ListCell *expr_cell;
	ListCell *collation_cell;

	key->order = spec->insert_order;
	if (key->order == INSERT_ORDER_ROW)
	{
		key->row_key = row_key_of_columns(spec->row_columns);
		return key;
	}
	key->econtext = CreateExprContext(node->state);
	key->slot = MakeSingleTupleTableSlot(scan_desc, &TTSOpsVirtual);
	key->columns =
		(InsertKeyColumn *) palloc0(sizeof(InsertKeyColumn) * Max(list_length(spec->key_exprs), 1));
	forboth(expr_cell, spec->key_exprs, collation_cell, spec->key_index_collations)
	{
		InsertKeyColumn *column = &key->columns[key->ncolumns++];
		Expr *expr = (Expr *) lfirst(expr_cell);

		column->expr = ExecInitExpr(expr, node);
		column->collation = lfirst_oid(collation_cell);
		get_typlenbyval(exprType((Node *) expr), &column->typlen, &column->typbyval);
		column->hash = type_hash_function(exprType((Node *) expr));
	}
	return key;
}

uint64
insert_key_hash(InsertKey *key, TupleTableSlot *row)
{
	if (key->order == INSERT_ORDER_ROW)
		return row_key_hash(key->row_key, row);

	ExprContext *econtext = key->econtext;
	uint64 hash = UINT64CONST(0x696e736b6579); /* "inskey" */

	ResetExprContext(econtext);
	copy_slot_to_virtual(row, key->slot);
	econtext->ecxt_scantuple = key->slot;

	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);

	for (int i = 0; i < key->ncolumns; i++)
	{
		InsertKeyColumn *column = &key->columns[i];
		bool isnull;
		Datum value = ExecEvalExpr(column->expr, econtext, &isnull);

		if (isnull)
			hash = hash_bytes_uint32_extended((uint32) i, hash);
		else if (column->hash != NULL)
			hash = DatumGetUInt64(
				FunctionCall2Coll(column->hash, column->collation, value, UInt64GetDatum(hash)));
		else
			hash = row_key_hash_datum(value, column->typlen, column->typbyval, hash);
	}
	MemoryContextSwitchTo(old);
	return hash;
}
