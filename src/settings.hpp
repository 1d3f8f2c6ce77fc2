/*
 * settings.hpp
 *		The settings (GUCs) of unorder_rows.
 */
#ifndef UNORDER_ROWS_SETTINGS_HPP
#define UNORDER_ROWS_SETTINGS_HPP

#include "core/permutation.hpp"

#include <cstdint>

/* Scope settings: what docs/order-contract.md §4 preserves by default, and ties (§3.3). */
extern bool unorder_rows_perturb_ties;
extern bool unorder_rows_perturb_subquery_order;
extern bool unorder_rows_perturb_values_returning;
extern bool unorder_rows_perturb_function_rows;
extern bool unorder_rows_perturb_lock_order;

/* Whether a node over a plain heap scan may scan the table itself, streaming (block_scan.hpp). */
extern bool unorder_rows_block_scans;

/* unorder_rows_define_settings: define every setting; called from _PG_init. */
void unorder_rows_define_settings(void);

/* unorder_rows_active: whether perturbation is on in this session right now. */
bool unorder_rows_active(void);

/* unorder_rows_effective_seed: the seed in use (the drawn one when set to 0). */
uint64_t unorder_rows_effective_seed(void);

/* unorder_rows_configured_seed: unorder_rows.seed as set (0: each session draws its own). */
uint64_t unorder_rows_configured_seed(void);

/* unorder_rows_mode: shuffle or reverse. */
unorder_rows::core::Mode unorder_rows_mode(void);

#endif
