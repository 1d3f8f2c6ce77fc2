/*
 * postgres_includes.hpp
 *		The one place where unorder_rows includes PostgreSQL's C headers.
 *
 * PostgreSQL's headers are C: wrap them in extern "C" and include postgres.h
 * first, as every backend source file must.  Files under src/core must never
 * include this header.
 */
#ifndef UNORDER_ROWS_PG_POSTGRES_INCLUDES_HPP
#define UNORDER_ROWS_PG_POSTGRES_INCLUDES_HPP

extern "C"
{
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "access/tsmapi.h"
#include "common/hashfn.h"
#include "access/tupdesc.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "executor/nodeCustom.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planner.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/logtape.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "storage/buffile.h"
#include "storage/bufmgr.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"
}

#include "pg/compat.hpp"

#endif
