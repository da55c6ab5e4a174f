/*
 * test_mmdb_record.c: the one-pass record reader (geodns/mmdb_record.c)
 * against hand-built data sections for every type and encoding, and
 * against truncated, looping, oversized and over-nested data. The same()
 * contract and its helpers are in mmdb_record_test_util.h; the test DBs
 * are in test_mmdb_record_dbs.c.
 */
#include "tests/unit/mmdb_record_test_util.h"

/* ---- hand-built data sections ---- */

/* A builder for data sections. */
struct buf {
	uint8_t b[1 << 20];
	uint32_t n;
};
static struct buf B;

static void put(const void *p, uint32_t n)
{
	memcpy(B.b + B.n, p, n);
	B.n += n;
}
static void byte(uint8_t x)
{
	B.b[B.n++] = x;
}
/* Control byte(s) for type t (1..15) and size (any, 29/30/31 forms). */
static void ctrl(unsigned t, uint32_t size)
{
	uint8_t tb = t <= 7 ? (uint8_t)(t << 5) : 0;
	uint8_t sz[3] = { 0, 0, 0 };
	unsigned extra = 0;
	uint8_t low;
	if (size < 29) {
		low = (uint8_t)size;
	} else if (size < 285) {
		low = 29;
		sz[0] = (uint8_t)(size - 29);
		extra = 1;
	} else if (size < 65821) {
		low = 30;
		sz[0] = (uint8_t)((size - 285) >> 8);
		sz[1] = (uint8_t)(size - 285);
		extra = 2;
	} else {
		uint32_t v = size - 65821;
		low = 31;
		sz[0] = (uint8_t)(v >> 16);
		sz[1] = (uint8_t)(v >> 8);
		sz[2] = (uint8_t)v;
		extra = 3;
	}
	byte((uint8_t)(tb | low));
	if (t > 7)
		byte((uint8_t)(t - 7));
	put(sz, extra);
}
static void str(const char *s)
{
	ctrl(MMDB_DATA_TYPE_UTF8_STRING, (uint32_t)strlen(s));
	put(s, (uint32_t)strlen(s));
}
/* A pointer to target with an explicit size (1..4). */
static void ptr(uint32_t target, int psize)
{
	static const uint32_t bias[5] = { 0, 0, 2048, 526336, 0 };
	uint32_t v = target - bias[psize];
	if (psize == 4) {
		byte(0x20 | (3 << 3));
		for (int i = 3; i >= 0; i--)
			byte((uint8_t)(v >> (8 * i)));
		return;
	}
	byte((uint8_t)(0x20 | ((psize - 1) << 3) | ((v >> (8 * psize)) & 7)));
	for (int i = psize - 1; i >= 0; i--)
		byte((uint8_t)(v >> (8 * i)));
}
static void be_n(uint64_t v, unsigned n)
{
	for (int i = (int)n - 1; i >= 0; i--)
		byte((uint8_t)(v >> (8 * i)));
}
static void dbl(double d)
{
	uint64_t bits;
	memcpy(&bits, &d, 8);
	ctrl(MMDB_DATA_TYPE_DOUBLE, 8);
	be_n(bits, 8);
}

static const char *const a_z[] = { "a", "z" };

/* {"a": X, "z": "after"} for X of every type and size form: X as
 * libmaxminddb decodes it, and "z" found past it. */
START_TEST(every_type)
{
	struct pathset ps;
	pathset_init(&ps, a_z, 2);
	MMDB_entry_data_s v[MAXP];
	int le;
	struct {
		const char *what;
		unsigned type;
	} cases[] = {
		{ "string", MMDB_DATA_TYPE_UTF8_STRING }, { "empty string", MMDB_DATA_TYPE_UTF8_STRING },
		{ "string29", MMDB_DATA_TYPE_UTF8_STRING }, { "string300", MMDB_DATA_TYPE_UTF8_STRING },
		{ "string70000", MMDB_DATA_TYPE_UTF8_STRING }, { "double", MMDB_DATA_TYPE_DOUBLE },
		{ "bytes", MMDB_DATA_TYPE_BYTES },     { "uint16", MMDB_DATA_TYPE_UINT16 },
		{ "uint16 short", MMDB_DATA_TYPE_UINT16 }, { "uint16 zero", MMDB_DATA_TYPE_UINT16 },
		{ "uint32", MMDB_DATA_TYPE_UINT32 },   { "int32 -2", MMDB_DATA_TYPE_INT32 },
		{ "int32 short", MMDB_DATA_TYPE_INT32 }, { "uint64", MMDB_DATA_TYPE_UINT64 },
		{ "uint128", MMDB_DATA_TYPE_UINT128 }, { "map", MMDB_DATA_TYPE_MAP },
		{ "array", MMDB_DATA_TYPE_ARRAY },     { "true", MMDB_DATA_TYPE_BOOLEAN },
		{ "false", MMDB_DATA_TYPE_BOOLEAN },   { "float", MMDB_DATA_TYPE_FLOAT },
	};
	static char big[70000];
	memset(big, 'x', sizeof(big) - 1);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		B.n = 0;
		ctrl(MMDB_DATA_TYPE_MAP, 2);
		str("a");
		const char *w = cases[c].what;
		if (!strcmp(w, "string"))
			str("hello");
		else if (!strcmp(w, "empty string"))
			str("");
		else if (!strcmp(w, "string29"))
			str("abcdefghijklmnopqrstuvwxyzABC"); /* 29: one extra size byte */
		else if (!strcmp(w, "string300")) {
			big[300] = 0;
			str(big);
			big[300] = 'x';
		} else if (!strcmp(w, "string70000")) {
			big[69999] = 0;
			str(big); /* 31: three extra size bytes */
		} else if (!strcmp(w, "double"))
			dbl(-33.8688);
		else if (!strcmp(w, "bytes")) {
			ctrl(MMDB_DATA_TYPE_BYTES, 3);
			put("\x00\xff\x10", 3);
		} else if (!strcmp(w, "uint16")) {
			ctrl(MMDB_DATA_TYPE_UINT16, 2);
			be_n(0xbeef, 2);
		} else if (!strcmp(w, "uint16 short")) {
			ctrl(MMDB_DATA_TYPE_UINT16, 1);
			byte(0x7f);
		} else if (!strcmp(w, "uint16 zero"))
			ctrl(MMDB_DATA_TYPE_UINT16, 0);
		else if (!strcmp(w, "uint32")) {
			ctrl(MMDB_DATA_TYPE_UINT32, 4);
			be_n(4000000000u, 4);
		} else if (!strcmp(w, "int32 -2")) {
			ctrl(MMDB_DATA_TYPE_INT32, 4);
			be_n(0xfffffffeu, 4);
		} else if (!strcmp(w, "int32 short")) {
			ctrl(MMDB_DATA_TYPE_INT32, 2);
			be_n(0xffff, 2); /* not sign-extended: 65535 */
		} else if (!strcmp(w, "uint64")) {
			ctrl(MMDB_DATA_TYPE_UINT64, 8);
			be_n(0x0123456789abcdefull, 8);
		} else if (!strcmp(w, "uint128")) {
			ctrl(MMDB_DATA_TYPE_UINT128, 16);
			be_n(0x0102030405060708ull, 8);
			be_n(0x090a0b0c0d0e0f10ull, 8);
		} else if (!strcmp(w, "map")) {
			ctrl(MMDB_DATA_TYPE_MAP, 1);
			str("k");
			str("v");
		} else if (!strcmp(w, "array")) {
			ctrl(MMDB_DATA_TYPE_ARRAY, 2);
			str("x");
			str("y");
		} else if (!strcmp(w, "true"))
			ctrl(MMDB_DATA_TYPE_BOOLEAN, 1);
		else if (!strcmp(w, "false"))
			ctrl(MMDB_DATA_TYPE_BOOLEAN, 0);
		else if (!strcmp(w, "float")) {
			ctrl(MMDB_DATA_TYPE_FLOAT, 4);
			be_n(0x3fc00000u, 4); /* 1.5f */
		}
		/* A second key after the value: the reader must find the
		 * value's end to step over it. */
		str("z");
		str("after");
		ck_assert_msg(same(&ps, B.b, B.n, 0, &le, v) == MMDB_RECORD_OK, "%s", w);
		ck_assert(!le);
		ck_assert(v[0].has_data);
		ck_assert_msg(v[1].has_data && v[1].data_size == 5 &&
		                      !memcmp(v[1].utf8_string, "after", 5),
		              "%s: the key after it", w);
		ck_assert_msg(v[0].type == cases[c].type, "%s: type %u", w, v[0].type);
		if (!strcmp(w, "string"))
			ck_assert(v[0].data_size == 5 && !memcmp(v[0].utf8_string, "hello", 5));
		if (!strcmp(w, "string70000"))
			ck_assert_uint_eq(v[0].data_size, 69999);
		if (!strcmp(w, "double"))
			ck_assert(v[0].double_value == -33.8688);
		if (!strcmp(w, "uint16"))
			ck_assert_uint_eq(v[0].uint16, 0xbeef);
		if (!strcmp(w, "uint32"))
			ck_assert_uint_eq(v[0].uint32, 4000000000u);
		if (!strcmp(w, "int32 -2"))
			ck_assert_int_eq(v[0].int32, -2);
		if (!strcmp(w, "int32 short"))
			ck_assert_int_eq(v[0].int32, 65535);
		if (!strcmp(w, "uint64"))
			ck_assert(v[0].uint64 == 0x0123456789abcdefull);
		if (!strcmp(w, "true"))
			ck_assert(v[0].boolean);
		if (!strcmp(w, "float"))
			ck_assert(v[0].float_value == 1.5f);
	}
	pathset_free(&ps);

	/* Key "z" after every kind of value was found too. */
	static const char *const z[] = { "z" };
	pathset_init(&ps, z, 1);
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("a");
	ctrl(MMDB_DATA_TYPE_ARRAY, 2);
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	str("q");
	dbl(1.0);
	ctrl(MMDB_DATA_TYPE_UINT128, 0);
	str("z");
	str("found");
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data && v[0].data_size == 5 && !memcmp(v[0].utf8_string, "found", 5));
	pathset_free(&ps);
}
END_TEST

/* Pointers of every size, with their biases, to keys and values; a
 * pointer to a map continues the path inside it. */
START_TEST(pointers)
{
	static const char *const paths[] = { "a/b", "c" };
	struct pathset ps;
	pathset_init(&ps, paths, 2);
	MMDB_entry_data_s v[MAXP];
	const uint32_t targets[4] = { 1500, 2048 + 300000, 526336 + 100, 600000 };
	for (int psize = 1; psize <= 4; psize++) {
		memset(B.b, 0, sizeof(B.b));
		B.n = targets[psize - 1];
		uint32_t at_map = B.n;
		ctrl(MMDB_DATA_TYPE_MAP, 1);
		str("b");
		str("inner");
		uint32_t at_key = B.n;
		str("c");
		uint32_t at_val = B.n;
		dbl(2.5);
		/* Record at 0: {"a": -> map, -> "c": -> 2.5}. */
		uint32_t end = B.n;
		B.n = 0;
		ctrl(MMDB_DATA_TYPE_MAP, 2);
		str("a");
		ptr(at_map, psize);
		/* Key and value pointers are 1..4 bytes too, to far targets. */
		ptr(at_key, psize);
		ptr(at_val, psize);
		int le;
		ck_assert_int_eq(same(&ps, B.b, end, 0, &le, v), MMDB_RECORD_OK);
		ck_assert(v[0].has_data && v[0].data_size == 5 &&
		          !memcmp(v[0].utf8_string, "inner", 5));
		ck_assert(v[1].has_data && v[1].type == MMDB_DATA_TYPE_DOUBLE &&
		          v[1].double_value == 2.5);
		ck_assert_uint_eq(v[1].offset, at_val);
		/* Pointing one byte short of the data section's end: out. */
		ck_assert_int_eq(same(&ps, B.b, at_val, 0, &le, v), MMDB_RECORD_FALLBACK);
		ck_assert(le);
	}
	pathset_free(&ps);
}
END_TEST

/* Cuts every valid vector at every length: never OK where libmaxminddb
 * errs, never a read past the end (ASan build). */
START_TEST(truncated)
{
	static const char *const paths[] = { "a", "b/0/c", "d" };
	struct pathset ps;
	pathset_init(&ps, paths, 3);
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 4);
	str("a");
	dbl(1.25);
	str("x");
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	str("names");
	str("something long enough to need the 29 form!");
	str("b");
	ctrl(MMDB_DATA_TYPE_ARRAY, 2);
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	str("c");
	str("C1");
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	str("c");
	str("C2");
	str("d");
	ctrl(MMDB_DATA_TYPE_UINT64, 8);
	be_n(77, 8);
	uint32_t full = B.n;
	MMDB_entry_data_s v[MAXP];
	int le;
	ck_assert_int_eq(same(&ps, B.b, full, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[1].has_data && !memcmp(v[1].utf8_string, "C1", 2));
	ck_assert(v[2].has_data && v[2].uint64 == 77);
	for (uint32_t n = 1; n < full; n++) {
		uint8_t *cut = malloc(n); /* exact size: ASan sees any overread */
		memcpy(cut, B.b, n);
		ck_assert_msg(same(&ps, cut, n, 0, &le, NULL) == MMDB_RECORD_FALLBACK, "len %u", n);
		ck_assert_msg(le, "len %u: libmaxminddb accepted a cut record", n);
		free(cut);
	}
	pathset_free(&ps);
}
END_TEST

/* Pointer cycles: a path follows at most its own length of pointers; a
 * pointer to a pointer is invalid (both decline / err). */
START_TEST(loops)
{
	static const char *const paths[] = { "a/a/a/a/a/a/a/x", "x" };
	struct pathset ps;
	pathset_init(&ps, paths, 2);
	MMDB_entry_data_s v[MAXP];
	int le;
	/* {"a": -> self, "x": 7} */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("a");
	ptr(0, 1);
	str("x");
	ctrl(MMDB_DATA_TYPE_UINT32, 1);
	byte(7);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data && v[0].uint32 == 7);
	ck_assert(v[1].has_data && v[1].uint32 == 7);

	/* {"x": -> itself (a pointer to a pointer)} */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	str("x");
	ptr(B.n, 1);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(le);
	/* The record itself a pointer to itself. */
	B.n = 0;
	ptr(0, 1);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(le);
	/* A value that points to itself is only stepped over: fine. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("q");
	ptr(B.n, 1);
	str("x");
	str("ok");
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[1].has_data && v[1].data_size == 2);
	pathset_free(&ps);

	/* One map reached by two paths (as GeoLite2's country and
	 * registered_country): each path gets its own key's value, also
	 * when the second comes from the memo. */
	static const char *const two[] = { "x/k", "y/j", "y/k" };
	pathset_init(&ps, two, 3);
	B.n = 0;
	uint32_t m = 64;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("x");
	ptr(m, 1);
	str("y");
	ptr(m, 1);
	B.n = m;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("k");
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(1);
	str("j");
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(2);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data && v[0].uint16 == 1);
	ck_assert(v[1].has_data && v[1].uint16 == 2);
	ck_assert(v[2].has_data && v[2].uint16 == 1);
	pathset_free(&ps);
}
END_TEST

/* Keys stored as pointers to common strings (as MaxMind's writer does):
 * duplicates, a key naming no path, the same strings under two nodes,
 * and a key pointer past the data (also on the second, memo-backed
 * read: a memo slot never stands in for an unchecked target). */
START_TEST(pointer_keys)
{
	static const char *const paths[] = { "a", "b", "m/a" };
	struct pathset ps;
	pathset_init(&ps, paths, 3);
	MMDB_entry_data_s v[MAXP];
	int le;
	memset(B.b, 0, 512);
	B.n = 200;
	str("a");
	B.n = 210;
	str("b");
	B.n = 220;
	str("c");
	uint32_t end = B.n;
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 5);
	ptr(200, 1);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(1);
	ptr(200, 1);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(2);
	ptr(220, 1);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(9);
	ptr(210, 1);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(3);
	str("m");
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	ptr(210, 1);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(4);
	ptr(200, 1);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(5);
	ck_assert_uint_lt(B.n, 200);
	ck_assert_int_eq(same(&ps, B.b, end, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data && v[0].uint16 == 1);
	ck_assert(v[1].has_data && v[1].uint16 == 3);
	ck_assert(v[2].has_data && v[2].uint16 == 5);

	/* {-> 0xffffffff: 1}: a pointer past any data. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	ptr(0xffffffffu, 4);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(1);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(le);
	/* And to a number. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	ptr(8, 1);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(1);
	B.n = 8;
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(7);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(le);
	pathset_free(&ps);
}
END_TEST

/* Counts and sizes far beyond the data; deep nesting. */
START_TEST(oversized_and_deep)
{
	static const char *const paths[] = { "a", "zz" };
	struct pathset ps;
	pathset_init(&ps, paths, 2);
	MMDB_entry_data_s v[MAXP];
	int le;
	/* A map claiming 16 million entries. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 16000000);
	str("b");
	str("c");
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(le);
	/* An array value claiming 16 million elements, stepped over. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("b");
	ctrl(MMDB_DATA_TYPE_ARRAY, 16000000);
	for (int i = 0; i < 100; i++)
		ctrl(MMDB_DATA_TYPE_BOOLEAN, 1);
	str("a");
	str("x");
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(le);
	/* A string longer than the data. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	str("a");
	ctrl(MMDB_DATA_TYPE_UTF8_STRING, 70000);
	put("short", 5);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(le);
	/* Numbers wider than their type, a double of 4 bytes, a float of 8. */
	const unsigned bad_types[] = { MMDB_DATA_TYPE_UINT16, MMDB_DATA_TYPE_UINT32,
		                       MMDB_DATA_TYPE_INT32,  MMDB_DATA_TYPE_UINT64,
		                       MMDB_DATA_TYPE_UINT128, MMDB_DATA_TYPE_DOUBLE,
		                       MMDB_DATA_TYPE_FLOAT };
	const uint32_t bad_sizes[] = { 3, 5, 5, 9, 17, 4, 8 };
	for (int t = 0; t < 7; t++) {
		for (int skipped = 0; skipped < 2; skipped++) {
			B.n = 0;
			ctrl(MMDB_DATA_TYPE_MAP, 1);
			str(skipped ? "other" : "a");
			ctrl(bad_types[t], bad_sizes[t]);
			for (uint32_t i = 0; i < bad_sizes[t]; i++)
				byte(0);
			ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
			ck_assert_msg(le, "type %u size %u", bad_types[t], bad_sizes[t]);
		}
	}
	/* 100 nested arrays stepped over: libmaxminddb takes it, the reader
	 * stops at its depth limit and declines. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("b");
	for (int i = 0; i < 100; i++)
		ctrl(MMDB_DATA_TYPE_ARRAY, 1);
	str("deep");
	str("a");
	str("x");
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(!le);
	/* 20 deep is within it. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("b");
	for (int i = 0; i < 20; i++)
		ctrl(MMDB_DATA_TYPE_ARRAY, 1);
	str("deep");
	str("a");
	str("x");
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data && !memcmp(v[0].utf8_string, "x", 1));
	pathset_free(&ps);
}
END_TEST

/* Map and path semantics: first of duplicate keys, keys that are not
 * strings, paths into scalars, array indexes (plain, past the end, not a
 * number, negative, two spellings of one index), types the reader leaves
 * to libmaxminddb, and the early stop past the last wanted key. */
START_TEST(path_semantics)
{
	MMDB_entry_data_s v[MAXP];
	int le;
	struct pathset ps;
	static const char *const p1[] = { "a", "s/0", "arr/1", "arr/5", "arr/x", "n/deeper" };
	pathset_init(&ps, p1, 6);
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 5);
	str("a");
	str("first");
	str("a");
	str("second");
	str("s");
	str("a string");
	str("arr");
	ctrl(MMDB_DATA_TYPE_ARRAY, 3);
	str("e0");
	str("e1");
	str("e2");
	str("n");
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(1);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data && !memcmp(v[0].utf8_string, "first", 5));
	ck_assert(!v[1].has_data); /* index into a string */
	ck_assert(v[2].has_data && !memcmp(v[2].utf8_string, "e1", 2));
	ck_assert(!v[3].has_data); /* past the end */
	ck_assert(!v[4].has_data); /* not a number */
	ck_assert(!v[5].has_data); /* through a number */
	pathset_free(&ps);

	/* "-1" (libmaxminddb: the last element) and "1"+"01" (one element,
	 * two paths) are left to libmaxminddb when they meet an array... */
	static const char *const p2[] = { "arr/-1" };
	static const char *const p3[] = { "arr/1", "arr/01" };
	static const char *const p4[] = { "other/-1", "a" };
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 2);
	str("arr");
	ctrl(MMDB_DATA_TYPE_ARRAY, 2);
	str("e0");
	str("e1");
	str("a");
	str("A");
	pathset_init(&ps, p2, 1);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(!le);
	pathset_free(&ps);
	pathset_init(&ps, p3, 2);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	pathset_free(&ps);
	/* ...and do not matter when they do not. */
	pathset_init(&ps, p4, 2);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(!v[0].has_data && v[1].has_data);
	pathset_free(&ps);

	/* A key that is a number: invalid data. */
	static const char *const p5[] = { "a" };
	pathset_init(&ps, p5, 1);
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 1);
	ctrl(MMDB_DATA_TYPE_UINT16, 1);
	byte(5);
	str("x");
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert(le);
	/* Data cache container and end marker: libmaxminddb steps over
	 * them by size; the reader leaves them to it. */
	for (unsigned t = MMDB_DATA_TYPE_CONTAINER; t <= MMDB_DATA_TYPE_END_MARKER; t++) {
		B.n = 0;
		ctrl(MMDB_DATA_TYPE_MAP, 2);
		str("q");
		ctrl(t, 0);
		str("a");
		str("x");
		ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_FALLBACK);
		ck_assert(!le);
	}
	/* Once the last wanted key is found nothing after it is read (nor
	 * by libmaxminddb): a cut-off tail is fine. */
	B.n = 0;
	ctrl(MMDB_DATA_TYPE_MAP, 3);
	str("a");
	str("x");
	str("junk");
	ctrl(MMDB_DATA_TYPE_UTF8_STRING, 200);
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data);
	/* A record that is not a map: every path absent. */
	B.n = 0;
	str("just a string");
	ck_assert_int_eq(same(&ps, B.b, B.n, 0, &le, v), MMDB_RECORD_OK);
	ck_assert(!v[0].has_data);
	/* Offsets at and past the end. */
	ck_assert_int_eq(same(&ps, B.b, B.n, B.n, &le, v), MMDB_RECORD_FALLBACK);
	ck_assert_int_eq(same(&ps, B.b, B.n, UINT32_MAX, &le, v), MMDB_RECORD_FALLBACK);
	pathset_free(&ps);

	/* Over the limits: too many paths or parts. */
	const char *const *many[MAXP + 1];
	static const char *const one[] = { "a", NULL };
	for (int i = 0; i <= MAXP; i++)
		many[i] = one;
	ck_assert_ptr_null(mmdb_record_paths_new(many, MAXP + 1));
	static const char *const long_path[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", NULL };
	many[0] = long_path;
	ck_assert_ptr_null(mmdb_record_paths_new(many, 1));
}
END_TEST

/* A map in map-KEY position inside a skipped value (corrupt data found by
 * fuzzing against libmaxminddb, tests/fuzz/regressions/mmdb_record/).
 * libmaxminddb's skip_map_or_array() decodes a map's keys flat and
 * descends only into values, so it steps over the key-map's control byte
 * alone; the reader must resume where libmaxminddb does. The bytes:
 *
 *   0  e2     map, 2 entries (the record)
 *   1  41 73  "s"
 *   3  e1     map, 1 entry: the value of "s", skipped
 *   4  e1     map, 1 entry, in key position
 *   5  41 61  "a"
 *   7  41 7a  "z"
 *   9  a1 05  uint16 5
 *  11  41 7a  "z"
 *  13  a1 07  uint16 7
 *
 * libmaxminddb: the value at 3 has one entry, key at 4 (decoded flat,
 * next at 5) and value "a" at 5, so it ends at 7; the record's second key
 * is "z" at 7 and its value uint16 5 at offset 9. Walking the key-map's
 * entries instead ("a" -> "z", ending at 9, then the value 5 ending at
 * 11) would find "z" at 11 and answer 7. */
START_TEST(container_in_key_position)
{
	static const uint8_t d[] = { 0xe2, 0x41, 0x73, 0xe1, 0xe1, 0x41, 0x61, 0x41,
		                     0x7a, 0xa1, 0x05, 0x41, 0x7a, 0xa1, 0x07 };
	static const char *const z[] = { "z" }, *const s_z[] = { "s", "z" };
	struct pathset ps;
	MMDB_entry_data_s v[MAXP];
	int le;
	pathset_init(&ps, z, 1);
	ck_assert_int_eq(same(&ps, d, sizeof(d), 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data && v[0].type == MMDB_DATA_TYPE_UINT16);
	ck_assert_uint_eq(v[0].uint16, 5);
	ck_assert_uint_eq(v[0].offset, 9);
	pathset_free(&ps);
	/* The same with "s" read too: its end is found by the same skip. */
	pathset_init(&ps, s_z, 2);
	ck_assert_int_eq(same(&ps, d, sizeof(d), 0, &le, v), MMDB_RECORD_OK);
	ck_assert(v[0].has_data && v[0].type == MMDB_DATA_TYPE_MAP);
	ck_assert_uint_eq(v[0].data_size, 1);
	ck_assert_uint_eq(v[0].offset, 3);
	ck_assert(v[1].has_data && v[1].uint16 == 5 && v[1].offset == 9);
	pathset_free(&ps);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("mmdb_record");
	TCase *tc = tcase_create("vectors");
	tcase_add_test(tc, every_type);
	tcase_add_test(tc, pointers);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, loops);
	tcase_add_test(tc, pointer_keys);
	tcase_add_test(tc, oversized_and_deep);
	tcase_add_test(tc, path_semantics);
	tcase_add_test(tc, container_in_key_position);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
