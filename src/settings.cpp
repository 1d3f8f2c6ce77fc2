/*
 * settings.cpp
 *		Definition of the settings, their hooks and the session seed.
 *
 * The master switch exists twice (docs/order-contract.md §2): `unorder_rows`, the short name
 * users type in a session once the library is loaded, and
 * `unorder_rows.enabled`, the dotted name PostgreSQL accepts everywhere
 * (postgresql.conf, ALTER SYSTEM/DATABASE/ROLE, PGOPTIONS, -c) even before
 * the library is loaded.  The short name is a tri-state whose reset value,
 * "default", defers to the dotted one; SHOW shows the effective state.
 *
 * Every setting that changes how statements are planned resets the plan
 * cache when its effective value changes, so prepared statements and cached
 * PL/pgSQL plans follow a toggle at once.
 */
#include "pg/postgres_includes.hpp"

#include "settings.hpp"
#include "core/seed.hpp"

#include <climits>

/* ---- GUC variables ---- */

enum ShortSwitch
{
	SHORT_SWITCH_DEFAULT,
	SHORT_SWITCH_OFF,
	SHORT_SWITCH_ON
};

static const struct config_enum_entry short_switch_options[] = {{"on", SHORT_SWITCH_ON, false},
																{"off", SHORT_SWITCH_OFF, false},
																{"true", SHORT_SWITCH_ON, true},
																{"false", SHORT_SWITCH_OFF, true},
																{"yes", SHORT_SWITCH_ON, true},
																{"no", SHORT_SWITCH_OFF, true},
																{"1", SHORT_SWITCH_ON, true},
																{"0", SHORT_SWITCH_OFF, true},
																{"default", SHORT_SWITCH_DEFAULT, true},
																{NULL, 0, false}};

static const struct config_enum_entry mode_options[] = {
	{"shuffle", static_cast<int>(unorder_rows::core::Mode::Shuffle), false},
	{"reverse", static_cast<int>(unorder_rows::core::Mode::Reverse), false},
	{NULL, 0, false}};

static int short_switch = SHORT_SWITCH_DEFAULT;
static bool dotted_enabled = false;
static int configured_seed = 0;
static int configured_mode = static_cast<int>(unorder_rows::core::Mode::Shuffle);

bool unorder_rows_perturb_ties = true;
bool unorder_rows_perturb_subquery_order = false;
bool unorder_rows_perturb_values_returning = false;
bool unorder_rows_perturb_function_rows = false;
bool unorder_rows_perturb_lock_order = false;
bool unorder_rows_block_scans = true;

/* ---- local state ---- */

/* Seed drawn for this session when unorder_rows.seed is 0; 0 = not drawn yet. */
static int32 session_seed = 0;

/* Last effective state seen by the assign hooks, to reset plans on change only. */
static bool last_effective_active = false;

/* ---- functions ---- */

/* Effective master switch from the two settings' (possibly pending) values. */
static bool
effective_active(int short_value, bool dotted_value)
{
	if (short_value == SHORT_SWITCH_DEFAULT)
		return dotted_value;
	return short_value == SHORT_SWITCH_ON;
}

bool
unorder_rows_active(void)
{
	/* never in initdb's bootstrap or a single-user backend: only in real sessions */
	if (!IsUnderPostmaster)
		return false;
	return effective_active(short_switch, dotted_enabled);
}

/* Cached plans were built for the other state: have them replanned. */
static void
reset_plans_if_switched(bool now_active)
{
	if (now_active != last_effective_active)
	{
		last_effective_active = now_active;
		ResetPlanCache();
	}
}

/* Assign hook of `unorder_rows`. */
static void
assign_short_switch(int newval, void *extra)
{
	reset_plans_if_switched(effective_active(newval, dotted_enabled));
}

/* Assign hook of `unorder_rows.enabled`. */
static void
assign_dotted_enabled(bool newval, void *extra)
{
	reset_plans_if_switched(effective_active(short_switch, newval));
}

/* Assign hook of the scope settings: they decide what gets planned in. */
static void
assign_scope_setting(bool newval, void *extra)
{
	ResetPlanCache();
}

/* Show hook of `unorder_rows`: the effective state, never "default". */
static const char *
show_short_switch(void)
{
	return unorder_rows_active() ? "on" : "off";
}

/* The session seed, drawn from a strong random source on first use. */
static int32
drawn_session_seed(void)
{
	if (session_seed == 0)
	{
		uint64 entropy = 0;

		if (!pg_strong_random(&entropy, sizeof(entropy)))
			entropy = (uint64) MyProcPid ^ ((uint64) GetCurrentTimestamp() << 16);
		session_seed = unorder_rows::core::session_seed_from_entropy(entropy);
	}
	return session_seed;
}

uint64_t
unorder_rows_effective_seed(void)
{
	if (configured_seed != 0)
		return (uint64_t) configured_seed;
	return (uint64_t) drawn_session_seed();
}

uint64_t
unorder_rows_configured_seed(void)
{
	return (uint64_t) configured_seed;
}

/* Show hook of unorder_rows.seed: the seed in effect, drawn one included. */
static const char *
show_seed(void)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "%d", configured_seed != 0 ? configured_seed : drawn_session_seed());
	return buf;
}

unorder_rows::core::Mode
unorder_rows_mode(void)
{
	return static_cast<unorder_rows::core::Mode>(configured_mode);
}

/* Define one scope boolean (all share the plan-resetting assign hook). */
static void
define_scope_setting(const char *name, const char *short_desc, const char *long_desc, bool *var, bool boot)
{
	DefineCustomBoolVariable(name, short_desc, long_desc, var, boot, PGC_USERSET, 0, NULL,
							 assign_scope_setting, NULL);
}

void
unorder_rows_define_settings(void)
{
	DefineCustomBoolVariable("unorder_rows.enabled", "Perturbs every row order that SQL leaves unspecified.",
							 "The dotted form of the unorder_rows switch: usable in postgresql.conf, "
							 "ALTER SYSTEM, ALTER DATABASE/ROLE, PGOPTIONS and -c.",
							 &dotted_enabled, false, PGC_USERSET, 0, NULL, assign_dotted_enabled, NULL);

	DefineCustomEnumVariable("unorder_rows", "Perturbs every row order that SQL leaves unspecified.",
							 "Overrides unorder_rows.enabled in this session; RESET falls back to it.",
							 &short_switch, SHORT_SWITCH_DEFAULT, short_switch_options, PGC_USERSET,
							 GUC_NOT_IN_SAMPLE, NULL, assign_short_switch, show_short_switch);

	DefineCustomIntVariable("unorder_rows.seed", "Sets the seed of the perturbations.",
							"0 draws a fresh seed per session; SHOW displays the seed in effect.",
							&configured_seed, 0, 0, INT_MAX, PGC_USERSET, 0, NULL, NULL, show_seed);

	DefineCustomEnumVariable("unorder_rows.mode", "Selects how unspecified orders are perturbed.",
							 "shuffle applies a seeded permutation; reverse a deterministic reversal.",
							 &configured_mode, static_cast<int>(unorder_rows::core::Mode::Shuffle),
							 mode_options, PGC_USERSET, 0, NULL, NULL, NULL);

	define_scope_setting(
		"unorder_rows.perturb_ties", "Perturbs the order of rows that tie on every ORDER BY key.",
		"Also changes which tied row LIMIT and DISTINCT ON pick.", &unorder_rows_perturb_ties, true);
	define_scope_setting("unorder_rows.perturb_subquery_order",
						 "Perturbs rows read from a subquery or CTE that has its own ORDER BY.",
						 "Off by default: PostgreSQL documents that this order is usually kept.",
						 &unorder_rows_perturb_subquery_order, false);
	define_scope_setting("unorder_rows.perturb_values_returning",
						 "Perturbs the RETURNING order of INSERT ... VALUES.",
						 "Off by default: ORMs map returned keys to objects by position.",
						 &unorder_rows_perturb_values_returning, false);
	define_scope_setting("unorder_rows.perturb_function_rows",
						 "Perturbs rows produced only by set-returning functions and VALUES.",
						 "Off by default: unnest, generate_series and VALUES keep their defined order.",
						 &unorder_rows_perturb_function_rows, false);
	define_scope_setting("unorder_rows.perturb_lock_order",
						 "Perturbs the order in which FOR UPDATE/SHARE without LIMIT locks rows.",
						 "Off by default: a changed lock order can cause deadlocks unrelated to the test.",
						 &unorder_rows_perturb_lock_order, false);

	define_scope_setting("unorder_rows.block_scans",
						 "Perturbs plain scans of heap tables at the source, streaming.",
						 "Off: every perturbation buffers the rows it receives, as before 0.3; "
						 "a LIMIT then reads its whole input.",
						 &unorder_rows_block_scans, true);

	last_effective_active = unorder_rows_active();
}
