/*
 * row_key.hpp
 *		A key of a table row that survives UPDATE, for the processing order of
 *		statements that lock rows.
 *
 * Two sessions running the same UPDATE, DELETE or MERGE must lock the same
 * rows in the same order, or they deadlock where PostgreSQL's own order
 * would only make one wait (docs/order-contract.md §3.6, §5.5).  Any permutation of the
 * input order fails that: a non-HOT UPDATE writes new row versions in the
 * order it processed them, so the next statement's input is the previous
 * output, and sessions whose snapshots straddle a commit see the same rows
 * in orders that one permutation maps apart (a reversal reverses every
 * pair).  Ordering by a hash of the row's primary key (or of all its
 * columns when the table has none) gives every session the same order of
 * the same rows, whatever their place in the table.  The row hashed is the
 * target row: the one its scan returned, or where a join stands between
 * (UPDATE ... FROM, DELETE ... USING, MERGE), the version the join saw,
 * fetched by the TID the row carries for ModifyTable (shuffle_scan.cpp).
 * Without a primary key, a row's key changes with its columns: sessions
 * that see different versions of it may then disagree on its place.
 */
#ifndef UNORDER_ROWS_ROW_KEY_HPP
#define UNORDER_ROWS_ROW_KEY_HPP

#include "pg/postgres_includes.hpp"

struct RowKey;

/* row_key_create: the key of rel's rows: its primary key's columns, or all columns. */
RowKey *row_key_create(Relation rel);

/*
 * row_key_of_columns: the key of rows that name no table row (MERGE's rows
 * without a match): the given columns (an IntList) of the row as it comes.
 */
RowKey *row_key_of_columns(List *columns);

/* row_key_hash: hash of the key columns of a row (of the table, or as row_key_of_columns names them). */
uint64 row_key_hash(const RowKey *key, TupleTableSlot *row);

/*
 * row_key_hash_datum: hash of one value as stored (its bytes, detoasted),
 * mixed into seed: the same value hashes the same in every row version.
 */
uint64 row_key_hash_datum(Datum value, int16 typlen, bool typbyval, uint64 seed);

/*
 * row_key_table_seed: the part of a keyed order's seed that names its table
 * (a hash of the table's name, not its OID: a test database made again
 * gives the same order).  Every statement that changes or inserts rows of
 * the table orders them alike, so two different statements over the same
 * rows lock them in one order too.
 */
uint64 row_key_table_seed(Oid relid);

/* row_key_uses_primary_key: whether the key is the primary key (for EXPLAIN). */
bool row_key_uses_primary_key(const RowKey *key);

#endif
