/*
 * perturbation_spec.cpp
 *		Encoding of PerturbationSpec in CustomScan.custom_private.
 *
 * Layout: list of eight lists: header integers (kind, scope, level flags,
 * target TID column, insert order), key column numbers, key equality
 * operators, key collations, the target relation (none or one OID), the row
 * columns, an INSERT's key expressions, and its key index followed by the
 * collation of each key expression (none when no index).
 */
#include "perturbation_spec.hpp"

enum
{
	HEADER_KIND,
	HEADER_SCOPE,
	HEADER_LEVEL_FLAGS,
	HEADER_TARGET_TID_COLUMN,
	HEADER_INSERT_ORDER,
	HEADER_LENGTH
};

void
perturbation_spec_read(const CustomScan *cscan, PerturbationSpec *spec)
{
	List *priv = cscan->custom_private;

	if (list_length(priv) != 8 || !IsA(linitial(priv), IntList) ||
		list_length((List *) linitial(priv)) != HEADER_LENGTH)
		elog(ERROR, "unorder_rows: malformed plan node");

	List *header = (List *) linitial(priv);
	List *columns = (List *) lsecond(priv);
	List *ops = (List *) lthird(priv);
	List *collations = (List *) lfourth(priv);
	List *target = (List *) list_nth(priv, 4);

	spec->kind = (PerturbationKind) list_nth_int(header, HEADER_KIND);
	spec->scope = (PerturbationScope) list_nth_int(header, HEADER_SCOPE);
	spec->level_flags = list_nth_int(header, HEADER_LEVEL_FLAGS);
	spec->target_tid_column = (AttrNumber) list_nth_int(header, HEADER_TARGET_TID_COLUMN);
	spec->target_relation = target != NIL ? linitial_oid(target) : InvalidOid;
	spec->row_columns = (List *) list_nth(priv, 5);
	spec->insert_order = (InsertOrder) list_nth_int(header, HEADER_INSERT_ORDER);
	spec->key_exprs = (List *) list_nth(priv, 6);

	List *key_index = (List *) list_nth(priv, 7);

	spec->key_index = key_index != NIL ? linitial_oid(key_index) : InvalidOid;
	spec->key_index_collations = key_index != NIL ? list_copy_tail(key_index, 1) : NIL;
	if (list_length(spec->key_index_collations) != list_length(spec->key_exprs))
		elog(ERROR, "unorder_rows: malformed plan node insert key");
	spec->nkeys = list_length(columns);
	if (spec->nkeys > PERTURBATION_MAX_KEYS || list_length(ops) != spec->nkeys ||
		list_length(collations) != spec->nkeys)
		elog(ERROR, "unorder_rows: malformed plan node keys");
	for (int i = 0; i < spec->nkeys; i++)
	{
		spec->key_columns[i] = (AttrNumber) list_nth_int(columns, i);
		spec->key_equality_ops[i] = list_nth_oid(ops, i);
		spec->key_collations[i] = list_nth_oid(collations, i);
	}
}

void
perturbation_spec_write(CustomScan *cscan, const PerturbationSpec *spec)
{
	List *header = NIL;
	List *columns = NIL;
	List *ops = NIL;
	List *collations = NIL;
	List *target = NIL;

	header = lappend_int(header, spec->kind);
	header = lappend_int(header, spec->scope);
	header = lappend_int(header, spec->level_flags);
	header = lappend_int(header, spec->target_tid_column);
	header = lappend_int(header, spec->insert_order);
	if (OidIsValid(spec->target_relation))
		target = list_make1_oid(spec->target_relation);
	for (int i = 0; i < spec->nkeys; i++)
	{
		columns = lappend_int(columns, spec->key_columns[i]);
		ops = lappend_oid(ops, spec->key_equality_ops[i]);
		collations = lappend_oid(collations, spec->key_collations[i]);
	}
	/* An empty list is NIL, not an IntList: keep the shape checkable. */
	cscan->custom_private = list_make4(header, columns, ops, collations);
	cscan->custom_private = lappend(cscan->custom_private, target);
	cscan->custom_private = lappend(cscan->custom_private, list_copy(spec->row_columns));
	cscan->custom_private = lappend(cscan->custom_private, copyObjectImpl(spec->key_exprs));
	cscan->custom_private =
		lappend(cscan->custom_private,
				OidIsValid(spec->key_index)
					? list_concat(list_make1_oid(spec->key_index), list_copy(spec->key_index_collations))
					: NIL);
}

const char *
perturbation_kind_label(PerturbationKind kind, bool within_runs)
{
	switch (kind)
	{
		case KIND_RESULT:
			return within_runs ? "ties in ORDER BY" : "result order without ORDER BY";
		case KIND_LIMIT:
			return within_runs ? "ties picked by LIMIT" : "rows picked by LIMIT without ORDER BY";
		case KIND_AGGREGATE:
			return "aggregate input order";
		case KIND_WINDOW:
			return "window function input order";
		case KIND_DISTINCT:
			return "rows picked by DISTINCT ON";
		case KIND_DML:
			return "DML processing order";
	}
	return "unknown";
}
