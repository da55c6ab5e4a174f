/*
 * mmdb_same_value.h: is a value the one-pass record reader gave the same
 * as libmaxminddb's? Used by the unit suites (mmdb_record_test_util.h)
 * and the fuzz target tests/fuzz/fuzz_mmdb_record.c, which cannot link
 * Check.
 */
#ifndef STEERDNS_MMDB_SAME_VALUE_H
#define STEERDNS_MMDB_SAME_VALUE_H

#include <maxminddb.h>
#include <string.h>

/* Same value as libmaxminddb gives (offset included: both name the item
 * after following a pointer). */
__attribute__((unused))
static int same_value(const MMDB_entry_data_s *a, const MMDB_entry_data_s *b)
{
	if (a->has_data != b->has_data)
		return 0;
	if (!a->has_data)
		return 1;
	if (a->type != b->type || a->offset != b->offset)
		return 0;
	switch (a->type) {
	case MMDB_DATA_TYPE_UTF8_STRING:
		return a->data_size == b->data_size &&
		       memcmp(a->utf8_string, b->utf8_string, a->data_size) == 0;
	case MMDB_DATA_TYPE_BYTES:
		return a->data_size == b->data_size && memcmp(a->bytes, b->bytes, a->data_size) == 0;
	case MMDB_DATA_TYPE_DOUBLE: return memcmp(&a->double_value, &b->double_value, 8) == 0;
	case MMDB_DATA_TYPE_FLOAT: return memcmp(&a->float_value, &b->float_value, 4) == 0;
	case MMDB_DATA_TYPE_UINT16: return a->uint16 == b->uint16;
	case MMDB_DATA_TYPE_UINT32: return a->uint32 == b->uint32;
	case MMDB_DATA_TYPE_INT32: return a->int32 == b->int32;
	case MMDB_DATA_TYPE_UINT64: return a->uint64 == b->uint64;
	case MMDB_DATA_TYPE_UINT128: return memcmp(&a->uint128, &b->uint128, 16) == 0;
	case MMDB_DATA_TYPE_BOOLEAN: return a->boolean == b->boolean;
	case MMDB_DATA_TYPE_MAP:
	case MMDB_DATA_TYPE_ARRAY: return a->data_size == b->data_size;
	default: return 0;
	}
}

#endif
