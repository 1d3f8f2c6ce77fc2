/*
 * row_key.cpp
 *		Hash of the columns that identify a table row across its versions.
 */
#include "row_key.hpp"

extern "C"
{
#include "utils/rel.h"
#include "utils/relcache.h"
}

struct RowKey
{
	int natts;
	AttrNumber *attnums;
	bool primary_key;
};

RowKey *
row_key_create(Relation rel)
{
	RowKey *key = (RowKey *) palloc0(sizeof(RowKey));
	TupleDesc desc = RelationGetDescr(rel);
	Bitmapset *pk = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	int member = -1;

	key->attnums = (AttrNumber *) palloc(sizeof(AttrNumber) * Max(desc->natts, 1));
	key->primary_key = pk != NULL;
	if (pk != NULL)
	{
		while ((member = bms_next_member(pk, member)) >= 0)
			key->attnums[key->natts++] = (AttrNumber) (member + FirstLowInvalidHeapAttributeNumber);
		return key;
	}
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			key->attnums[key->natts++] = (AttrNumber) (i + 1);
	return key;
}

RowKey *
row_key_of_columns(List *columns)
{
	RowKey *key = (RowKey *) palloc0(sizeof(RowKey));
	ListCell *lc;

	key->attnums = (AttrNumber *) palloc(sizeof(AttrNumber) * Max(list_length(columns), 1));
	foreach (lc, columns)
		key->attnums[key->natts++] = (AttrNumber) lfirst_int(lc);
	return key;
}

uint64
row_key_hash_datum(Datum value, int16 typlen, bool typbyval, uint64 seed)
{
	if (typbyval)
		return hash_bytes_uint32_extended((uint32) (DatumGetUInt64(value) ^ (DatumGetUInt64(value) >> 32)),
										  seed);
	if (typlen == -1)
	{
		struct varlena *datum = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));

		return hash_bytes_extended((const unsigned char *) VARDATA_ANY(datum), (int) VARSIZE_ANY_EXHDR(datum),
								   seed);
	}
	if (typlen == -2)
		return hash_bytes_extended((const unsigned char *) DatumGetCString(value),
								   (int) strlen(DatumGetCString(value)), seed);
	return hash_bytes_extended((const unsigned char *) DatumGetPointer(value), typlen, seed);
}

uint64
row_key_hash(const RowKey *key, TupleTableSlot *row)
{
	uint64 hash = UINT64CONST(0x726f776b6579); /* "rowkey" */
	TupleDesc desc = row->tts_tupleDescriptor;

	for (int i = 0; i < key->natts; i++)
	{
		AttrNumber attnum = key->attnums[i];
		bool isnull;
		Datum value = slot_getattr(row, attnum, &isnull);

		hash = isnull ? hash_bytes_uint32_extended((uint32) attnum, hash)
					  : row_key_hash_datum(value, TupleDescAttr(desc, attnum - 1)->attlen,
										   TupleDescAttr(desc, attnum - 1)->attbyval, hash);
	}
	return hash;
}

bool
row_key_uses_primary_key(const RowKey *key)
{
	return key->primary_key;
}

uint64
row_key_table_seed(Oid relid)
{
	char *name = get_rel_name(relid);

	if (name == NULL)
		return 0;
	return hash_bytes_extended((const unsigned char *) name, (int) strlen(name), 0);
}
