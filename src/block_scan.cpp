/*
 * block_scan.cpp
 *		Executor side of a perturbation node that scans its heap table itself
 *		(see block_scan.hpp); the planner side is become_block_scan
 *		(node_plan.cpp) and the settle step that chooses it (order_analysis.cpp).
 *
 * The table is read through PostgreSQL's table-AM sample-scan API, the one
 * TABLESAMPLE uses: table_scan_sample_next_block / _next_tuple call back into
 * a TsmRoutine for the next block and the next line pointer, and do the rest
 * as for any scan: buffer access, page-at-a-time visibility under the
 * statement's snapshot, serializable predicate locks.  Our callbacks walk
 * core::BlockWalker's permutation.  Quals and the target list are the Seq
 * Scan's, evaluated here.
 *
 * §5.2 of docs/order-contract.md at run time (core::FirstRowGuard): a plain
 * forward scan finds the plain scan's first row (it reads what PostgreSQL's
 * own LIMIT 1 would), and rows that look exactly like it are held back (as a
 * count) until one that differs has gone first.
 *
 * Not used for target lists or quals with volatile functions (the plain
 * scan's first row is evaluated once more, and the held rows are copies, or
 * in a cursor read again).
 *
 * In a cursor (not SCROLL) the scan is navigable (exec_navigable): every row
 * it emits is the table's row in the scan slot, with its TID and table OID,
 * where execCurrentOf's search_plan_tree looks (ss_currentRelation and
 * ss_ScanTupleSlot of a CustomScanState), so WHERE CURRENT OF names the row
 * just fetched; the rows the guard held back are not copies but read again
 * from the table when they go out (FirstRowGuard::walk_index gives their
 * place in the walk); and the walk goes backward through the same
 * permutation, so that the node can claim backward scans as the Seq Scan it
 * replaces could: a cursor declared without SCROLL or NO SCROLL stays
 * scrollable exactly as without the extension (PostgreSQL asks the plan).
 * A rescan, a rewind (FETCH FIRST, FETCH ABSOLUTE, a WITH HOLD cursor's
 * commit) and reading held rows again all repeat the same walk: the same
 * snapshot sees the same rows on every page.
 *
 * Not used (the buffering node stays) for SCROLL cursors, statements that
 * lock rows or modify data (no EvalPlanQual reaches this node), parallel
 * scans and other table access methods.
 */
#include "block_scan.hpp"

#include "core/block_shuffle.hpp"
#include "core/seed.hpp"
#include "fingerprint.hpp"
#include "settings.hpp"

#include <new>
#include <type_traits>

namespace core = unorder_rows::core;

struct BlockScanState
{
	CustomScanState css; /* must be first */
	PerturbationSpec spec;
	bool active; /* the switch was on at executor start (else: plain order) */
	core::BlockWalk walk;
	uint64 fingerprint;
	uint64 seed;
	TableScanDesc scan;           /* begun at the first fetch */
	SampleScanState *sampler;     /* what the table AM's sample callbacks are given */
	core::BlockWalker *walker;    /* palloc'd: holds one block's offsets */
	uint64 *block_scratch;        /* the walk's block order, when kept (core::BlockOrder) */
	bool walk_started;            /* the walker knows the block count (kept across rescans) */
	bool have_block;              /* the table AM is on a block */
	BlockNumber prefetched_block; /* the block whose rows were last prefetched */
	bool done;                    /* every block visited in this scan */
	TupleTableSlot *row_slot;     /* the table AM's own slot */
	TupleTableSlot *plain_first;  /* the plain scan's first row, projected (virtual, materialized) */
	ProjectionInfo *plain_first_projection; /* the target list, into plain_first */
	bool plain_first_known;                 /* looked up (for the current parameters) */
	bool plain_first_found;
	core::FirstRowGuard guard;
	bool emitting_held;          /* the held rows go out now */
	uint64 rows_found;           /* rows that passed the quals */
	TupleTableSlot *lookup_slot; /* the table AM's slot for the plain scan's first row */

	/*
	 * A cursor's scan (navigable): every row emitted is the table's row in
	 * the scan slot (WHERE CURRENT OF reads its TID there), held rows are
	 * read again instead of copied, and the walk goes both ways.  Positions
	 * count from 1; 0 is before the first row.
	 */
	bool navigable;
	ScanDirection direction; /* the way the walk goes now (the sample callbacks read it) */
	bool resolved;           /* the guard knows the emitted order (found its settling row, or the end) */
	uint64 emitted;          /* the position of the current row among those emitted */
	uint64 walk_pos;         /* the position of the scan slot's row in the walk (rows passing the quals) */
	bool walk_rows_known;    /* the walk reached its end once: walk_rows is its length */
	uint64 walk_rows;
};

static_assert(std::is_trivially_destructible<BlockScanState>::value,
			  "BlockScanState lives in palloc'd memory");

static void begin_block_scan(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *exec_block_scan(CustomScanState *node);
static void end_block_scan(CustomScanState *node);
static void rescan_block_scan(CustomScanState *node);
static void explain_block_scan(CustomScanState *node, List *ancestors, ExplainState *es);

static const CustomExecMethods block_scan_exec_methods = {
	"UnorderRows",
	begin_block_scan,
	exec_block_scan,
	end_block_scan,
	rescan_block_scan,
	NULL, /* MarkPosCustomScan: no flag set */
	NULL, /* RestrPosCustomScan */
	NULL, /* EstimateDSMCustomScan: never parallel aware */
	NULL, /* InitializeDSMCustomScan */
	NULL, /* ReInitializeDSMCustomScan */
	NULL, /* InitializeWorkerCustomScan */
	NULL, /* ShutdownCustomScan */
	explain_block_scan,
};

/* ---- the sample-scan callbacks ---- */

/* NextSampleBlock: the walk's next block; the block count of the first scan is kept for rescans. */
static BlockNumber
next_sample_block(SampleScanState *sampler, BlockNumber nblocks)
{
	BlockScanState *state = (BlockScanState *) sampler->tsm_state;
	uint64 block;

	/*
	 * Blocks added since the first scan hold only rows the statement's
	 * snapshot cannot see; keeping the count keeps a rescan's order.
	 */
	if (!state->walk_started)
	{
		uint64 capacity = nblocks <= core::kMaxKeyedBlocks ? nblocks : 0;

		if (capacity > 0)
			state->block_scratch = (uint64 *) MemoryContextAlloc(state->css.ss.ps.state->es_query_cxt,
																 sizeof(uint64) * capacity);
		state->walker->start(nblocks, state->walk, state->seed, state->block_scratch, capacity);
		state->walk_started = true;
	}
	if (!(ScanDirectionIsBackward(state->direction) ? state->walker->prev_block(&block)
													: state->walker->next_block(&block)))
		return InvalidBlockNumber;
	return (BlockNumber) block;
}

/*
 * A new block: ask the CPU for all of its rows at once.  A Seq Scan reads a
 * page's rows in line pointer order, where the hardware prefetcher sees the
 * pattern; in the walk's order (and, on an all-visible page, untouched by
 * the visibility pass) every row would be a cache miss of its own.
 */
static void
prefetch_rows_of_page(BlockScanState *state, BlockNumber blockno)
{
	Page page = compat_heap_scan_page(state->scan);
	Size upper = ((PageHeader) page)->pd_upper;

	for (Size offset = upper - upper % 64; offset < BLCKSZ; offset += 64)
		__builtin_prefetch((const char *) page + offset);
	state->prefetched_block = blockno;
}

/*
 * NextSampleTuple: the walk's next row of the current block.  In page mode
 * the walk goes over the block's visible rows (the table AM has just listed
 * them), so that dead rows (a rolled-back insert, an update) do not change
 * the order of the live ones: a replay over the same rows in a fresh
 * database gives the same order.  Otherwise over its line pointers.
 */
static OffsetNumber
next_sample_tuple(SampleScanState *sampler, BlockNumber blockno, OffsetNumber maxoffset)
{
	BlockScanState *state = (BlockScanState *) sampler->tsm_state;
	uint32 count = 0;
	const OffsetNumber *visible = compat_heap_page_visible_rows(state->scan, &count);

	if (blockno != state->prefetched_block)
		prefetch_rows_of_page(state, blockno);

	bool backward = ScanDirectionIsBackward(state->direction);

	if (visible == NULL)
	{
		uint32 offset =
			backward ? state->walker->prev_offset(maxoffset) : state->walker->next_offset(maxoffset);

		return offset == 0 ? InvalidOffsetNumber : (OffsetNumber) offset;
	}

	uint32 item = backward ? state->walker->prev_offset(count) : state->walker->next_offset(count);

	return item == 0 ? InvalidOffsetNumber : visible[item - 1];
}

/* ---- executor methods ---- */

Node *
block_scan_create_state(CustomScan *cscan)
{
	BlockScanState *state = (BlockScanState *) palloc0(sizeof(BlockScanState));

	NodeSetTag(state, T_CustomScanState);
	state->css.methods = &block_scan_exec_methods;
	state->prefetched_block = InvalidBlockNumber;
	return (Node *) state;
}

/* Slots, the projection, the walker and the sampler; the scan itself begins at the first fetch. */
static void
begin_block_scan(CustomScanState *node, EState *estate, int eflags)
{
	BlockScanState *state = (BlockScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	Relation rel = node->ss.ss_currentRelation;

	if (rel == NULL || cscan->custom_plans != NIL)
		elog(ERROR, "unorder_rows: block scan node without its table");
	perturbation_spec_read(cscan, &state->spec);
	state->active = unorder_rows_active();
	state->walk = !state->active                                             ? core::BlockWalk::Plain
				  : unorder_rows_mode() == unorder_rows::core::Mode::Reverse ? core::BlockWalk::Reverse
																			 : core::BlockWalk::Shuffle;
	state->row_slot = table_slot_create(rel, &estate->es_tupleTable);

	/*
	 * ExecInitCustomScan compiled the quals and the projection for a virtual
	 * scan slot, which needs no deforming; the rows come in the table AM's
	 * own slots.  Compile both again for those, and return every row through
	 * the projection into the virtual result slot the parent was told of.
	 */
	node->ss.ps.scanops = table_slot_callbacks(rel);
	node->ss.ps.scanopsfixed = true;
	node->ss.ps.scanopsset = true;
	node->ss.ps.qual = ExecInitQual(cscan->scan.plan.qual, &node->ss.ps);
	if (node->ss.ps.ps_ResultTupleSlot == NULL)
		ExecInitResultSlot(&node->ss.ps, &TTSOpsVirtual);
	node->ss.ps.ps_ProjInfo =
		ExecBuildProjectionInfo(cscan->scan.plan.targetlist, node->ss.ps.ps_ExprContext,
								node->ss.ps.ps_ResultTupleSlot, &node->ss.ps, RelationGetDescr(rel));
	node->ss.ps.resultops = &TTSOpsVirtual;
	node->ss.ps.resultopsfixed = true;
	node->ss.ps.resultopsset = true;
	state->plain_first =
		ExecInitExtraTupleSlot(estate, node->ss.ps.ps_ResultTupleSlot->tts_tupleDescriptor, &TTSOpsVirtual);
	state->plain_first_projection =
		ExecBuildProjectionInfo(cscan->scan.plan.targetlist, node->ss.ps.ps_ExprContext, state->plain_first,
								&node->ss.ps, RelationGetDescr(rel));

	state->lookup_slot = table_slot_create(rel, &estate->es_tupleTable);
	state->direction = ForwardScanDirection;
	state->navigable = (state->spec.level_flags & NODE_TRACKS_ROW_IDENTITY) != 0;
	/* where execCurrentOf reads the current row's TID and table */
	if (state->navigable)
		node->ss.ss_ScanTupleSlot = state->row_slot;

	state->walker = (core::BlockWalker *) palloc(sizeof(core::BlockWalker));
	new (state->walker) core::BlockWalker();

	TsmRoutine *routine = makeNode(TsmRoutine);

	routine->NextSampleBlock = next_sample_block;
	routine->NextSampleTuple = next_sample_tuple;
	state->sampler = makeNode(SampleScanState);
	state->sampler->ss.ss_currentRelation = rel;
	state->sampler->tsmroutine = routine;
	state->sampler->tsm_state = state;
	state->sampler->use_bulkread = true;
	state->sampler->use_pagemode = true;
}

/* The seed and the table scan, at the first fetch. */
static void
begin_walk(BlockScanState *state)
{
	EState *estate = state->css.ss.ps.state;

	state->seed = executing_node_seed(estate, state->css.ss.ps.plan->plan_node_id, &state->fingerprint);
	/* as nodeSamplescan.c does: bulk-read strategy, page mode, no synchronized start */
	state->scan = table_beginscan_sampling(state->css.ss.ss_currentRelation, estate->es_snapshot, 0, NULL,
										   true, false, true);
}

/* The next row of the walk, visible to the snapshot, into slot; false at the end. */
static bool
fetch_next(BlockScanState *state, TupleTableSlot *slot)
{
	for (;;)
	{
		if (!state->have_block)
		{
			CHECK_FOR_INTERRUPTS();
			if (state->done || !table_scan_sample_next_block(state->scan, state->sampler))
			{
				state->done = true;
				return false;
			}
			state->have_block = true;
		}
		if (table_scan_sample_next_tuple(state->scan, state->sampler, slot))
			return true;
		state->have_block = false;
	}
}

/* The next row that passes the quals, into slot; false at the end. */
static bool
next_row(BlockScanState *state, TupleTableSlot *slot)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	ExprState *qual = state->css.ss.ps.qual;

	while (fetch_next(state, slot))
	{
		if (qual == NULL)
			return true;
		ResetExprContext(econtext);
		econtext->ecxt_scantuple = slot;
		if (ExecQual(qual, econtext))
			return true;
		InstrCountFiltered1(&state->css, 1);
	}
	return false;
}

/* Apply the target list to a row of the table. */
static TupleTableSlot *
project(BlockScanState *state, TupleTableSlot *row)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;

	econtext->ecxt_scantuple = row;
	return ExecProject(state->css.ss.ps.ps_ProjInfo);
}

/*
 * Find the plain scan's first row: read the table forward from its first
 * block (no synchronized start) up to the first row that passes the quals,
 * as PostgreSQL's own Seq Scan under a LIMIT 1 would.  Done once the walk
 * has found a row, so that an empty result costs no second pass.
 */
static void
look_up_plain_first(BlockScanState *state)
{
	EState *estate = state->css.ss.ps.state;
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	ExprState *qual = state->css.ss.ps.qual;
	TableScanDesc plain =
		table_beginscan_strat(state->css.ss.ss_currentRelation, estate->es_snapshot, 0, NULL, true, false);

	state->plain_first_found = false;
	ExecClearTuple(state->plain_first);
	while (table_scan_getnextslot(plain, ForwardScanDirection, state->lookup_slot))
	{
		CHECK_FOR_INTERRUPTS();
		ResetExprContext(econtext);
		econtext->ecxt_scantuple = state->lookup_slot;
		if (qual == NULL || ExecQual(qual, econtext))
		{
			ExecProject(state->plain_first_projection);
			ExecMaterializeSlot(state->plain_first);
			state->plain_first_found = true;
			break;
		}
	}
	ExecClearTuple(state->lookup_slot);
	table_endscan(plain);
	state->plain_first_known = true;
}

/* Whether an output row cannot be told apart from the plain scan's first (equal images, column by column). */
static bool
like_plain_first(BlockScanState *state, TupleTableSlot *out)
{
	TupleDesc desc = out->tts_tupleDescriptor;

	if (!state->plain_first_found)
		return false;
	slot_getallattrs(out);
	slot_getallattrs(state->plain_first);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		bool null1 = out->tts_isnull[i];
		bool null2 = state->plain_first->tts_isnull[i];

		if (null1 != null2)
			return false;
		if (!null1 && !datum_image_eq(out->tts_values[i], state->plain_first->tts_values[i], attr->attbyval,
									  attr->attlen))
			return false;
	}
	return true;
}

/* One of the held rows: a copy of the plain scan's first row. */
static TupleTableSlot *
held_row(BlockScanState *state)
{
	return ExecCopySlot(state->css.ss.ps.ps_ResultTupleSlot, state->plain_first);
}

/* ---- a cursor's scan: the walk read both ways, the held rows read again ---- */

/*
 * One step of the walk in a direction, to the next row that passes the
 * quals (into the scan slot); false at either end of the walk, which the
 * position then records (0, or the walk's length + 1).
 */
static bool
step_walk(BlockScanState *state, ScanDirection direction)
{
	if (direction != state->direction)
	{
		state->direction = direction;
		state->done = false; /* the end reached was the other one */
	}
	if (next_row(state, state->row_slot))
	{
		state->walk_pos = ScanDirectionIsBackward(direction) ? state->walk_pos - 1 : state->walk_pos + 1;
		return true;
	}
	if (ScanDirectionIsBackward(direction))
		state->walk_pos = 0;
	else
	{
		state->walk_rows_known = true;
		state->walk_rows = state->walk_pos;
		state->walk_pos = state->walk_rows + 1;
	}
	return false;
}

/* Back to before the walk's first row, without reading. */
static void
rewind_walk(BlockScanState *state)
{
	ExecClearTuple(state->row_slot);
	table_rescan(state->scan, NULL);
	state->walker->rewind();
	state->have_block = false;
	state->done = false;
	state->direction = ForwardScanDirection;
	state->walk_pos = 0;
}

/*
 * Put the walk on its row at position target (from 1) by the shorter way:
 * forward, backward, or from the start; false if there is no such row (the
 * walk then stands at an end).
 */
static bool
walk_to(BlockScanState *state, uint64 target)
{
	uint64 pos = state->walk_pos;

	if (target == 0 || (state->walk_rows_known && target > state->walk_rows))
	{
		if (target == 0)
			rewind_walk(state);
		return false;
	}
	if (target < pos && target < pos - target)
		rewind_walk(state);
	while (state->walk_pos < target)
		if (!step_walk(state, ForwardScanDirection))
			return false;
	while (state->walk_pos > target)
		if (!step_walk(state, BackwardScanDirection))
			return false;
	return true;
}

/*
 * Before the first row goes out: walk forward until a row differs from the
 * plain scan's first (it goes first, the rows held before it follow), or to
 * the end (then nothing differs, and the walk's order is kept).
 */
static void
resolve_first_row(BlockScanState *state)
{
	state->resolved = true;
	if (state->walk == core::BlockWalk::Plain)
		return;
	while (step_walk(state, ForwardScanDirection))
	{
		if (!state->plain_first_known)
			look_up_plain_first(state);
		ResetExprContext(state->css.ss.ps.ps_ExprContext);
		if (state->guard.offer(like_plain_first(state, project(state, state->row_slot))))
			return;
	}
}

/*
 * The next or previous row of a cursor's scan.  The rows go out in the order
 * of the first-row guard (the settling row, the rows held before it, the
 * rest of the walk), each read from the table when it goes out, so that the
 * scan slot holds the real row; the position among the rows emitted maps to
 * the position in the walk (FirstRowGuard::walk_index).
 */
static TupleTableSlot *
exec_navigable(BlockScanState *state)
{
	TupleTableSlot *result = state->css.ss.ps.ps_ResultTupleSlot;
	bool backward = ScanDirectionIsBackward(state->css.ss.ps.state->es_direction);
	uint64 target;

	if (backward)
	{
		if (state->emitted == 0)
			return ExecClearTuple(result);
		target = state->emitted - 1;
	}
	else
	{
		if (state->walk_rows_known && state->emitted > state->walk_rows)
			return ExecClearTuple(result);
		target = state->emitted + 1;
		if (!state->resolved)
			resolve_first_row(state);
	}
	if (!walk_to(state, target == 0 ? 0 : state->guard.walk_index(target)))
	{
		/* before the first row, or after the last */
		state->emitted = state->walk_pos == 0 ? 0 : state->walk_rows + 1;
		return ExecClearTuple(result);
	}
	state->emitted = target;
	state->rows_found = Max(state->rows_found, target);
	ResetExprContext(state->css.ss.ps.ps_ExprContext);
	return project(state, state->row_slot);
}

static TupleTableSlot *
exec_block_scan(CustomScanState *node)
{
	BlockScanState *state = (BlockScanState *) node;
	TupleTableSlot *result = node->ss.ps.ps_ResultTupleSlot;

	if (state->scan == NULL)
		begin_walk(state);
	if (state->navigable)
		return exec_navigable(state);
	if (state->emitting_held)
	{
		if (state->guard.take_held())
			return held_row(state);
		state->emitting_held = false;
	}
	for (;;)
	{
		ResetExprContext(node->ss.ps.ps_ExprContext);
		if (!next_row(state, state->row_slot))
		{
			/* the end: rows held back all look alike, nothing to hide */
			if (state->guard.take_held())
				return held_row(state);
			return ExecClearTuple(result);
		}
		state->rows_found++;

		TupleTableSlot *out = project(state, state->row_slot);

		if (state->walk == core::BlockWalk::Plain || state->guard.settled())
			return out;
		if (!state->plain_first_known)
		{
			/* the look-up reuses the per-row memory */
			ExecMaterializeSlot(out);
			look_up_plain_first(state);
		}
		if (state->guard.offer(like_plain_first(state, out)))
		{
			state->emitting_held = true; /* after this row */
			return out;
		}
	}
}

static void
end_block_scan(CustomScanState *node)
{
	BlockScanState *state = (BlockScanState *) node;

	ExecClearTuple(state->row_slot);
	ExecClearTuple(state->lookup_slot);
	if (state->scan != NULL)
		table_endscan(state->scan);
	state->scan = NULL;
}

/*
 * Start over as a Seq Scan does (heap_rescan keeps its start block): the
 * same walk again, so that a rescan reading the same rows returns them in
 * the same order; changed parameters only change what the quals pass.
 */
static void
rescan_block_scan(CustomScanState *node)
{
	BlockScanState *state = (BlockScanState *) node;

	ExecClearTuple(state->row_slot);
	if (state->scan != NULL)
		table_rescan(state->scan, NULL);
	state->walker->rewind();
	state->have_block = false;
	state->prefetched_block = InvalidBlockNumber;
	state->done = false;
	state->guard.reset();
	state->emitting_held = false;
	state->direction = ForwardScanDirection;
	state->resolved = false;
	state->emitted = 0;
	state->walk_pos = 0;
	state->walk_rows_known = false;
	/* the plain scan's first row changes only with the parameters of the quals */
	if (node->ss.ps.chgParam != NULL)
		state->plain_first_known = false;
}

/* EXPLAIN: what is perturbed and how. */
static void
explain_block_scan(CustomScanState *node, List *ancestors, ExplainState *es)
{
	BlockScanState *state = (BlockScanState *) node;

	ExplainPropertyText("Perturbs", perturbation_kind_label(state->spec.kind, false), es);
	ExplainPropertyText("Permutation",
						state->walk == core::BlockWalk::Reverse ? "block reverse" : "block shuffle", es);
	if (es->verbose)
		ExplainPropertyUInteger("Seed", NULL, unorder_rows_effective_seed(), es);
	if (es->analyze && state->walk_started)
	{
		ExplainPropertyUInteger("Blocks Visited", NULL, state->walker->blocks_visited(), es);
		ExplainPropertyUInteger("Blocks", NULL, state->walker->blocks(), es);
	}
	if (!state->active)
		ExplainPropertyText("Status", "inactive (unorder_rows is off)", es);
}

bool
block_scan_node_report(PlanState *planstate, PerturbationNodeReport *report)
{
	if (!IsA(planstate, CustomScanState) ||
		((CustomScanState *) planstate)->methods != &block_scan_exec_methods)
		return false;

	BlockScanState *state = (BlockScanState *) planstate;

	/* perturbed: two rows or more, or one that is not the plain scan's first */
	if (!state->active || (state->rows_found < 2 && !state->guard.settled()))
		return false;
	report->kind = state->spec.kind;
	report->within_runs = false;
	report->rows_permuted = state->rows_found;
	report->batches = 1;
	report->plan_node_id = planstate->plan->plan_node_id;
	report->fingerprint = state->fingerprint;
	report->input =
		psprintf("block-shuffled scan of %s", RelationGetRelationName(state->css.ss.ss_currentRelation));
	return true;
}
