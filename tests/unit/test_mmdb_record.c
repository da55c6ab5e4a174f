/*
 * test_mmdb_record.c: the one-pass record reader (geodns/mmdb_record.c)
 * against hand-built data sections for every type and encoding, against
 * truncated, looping, oversized and over-nested data, and against
 * libmaxminddb's own MMDB_aget_value() on every offset of every test DB
 * in ../shared/testdata/mmdb (valid and bad-data), plus byte-flipped
 * copies of a City DB's data section.
 *
 * The contract checked everywhere (same()): when the reader answers OK,
 * libmaxminddb answers every path without error and with the same type,
 * value and offset; when libmaxminddb reports an error the reader must
 * have declined (FALLBACK). Tests then assert which of the two they
 * expect, so a reader that always declines fails them.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geodns/mmdb_record.h"
#include "tests/unit/geo_test_util.h"

#define MAXP MMDB_RECORD_MAX_PATHS

/* A set of paths given as "a/b/c" strings, split for both readers. */
struct pathset {
	int n;
	char buf[MAXP][128];
	const char *parts[MAXP][MMDB_RECORD_MAX_PARTS + 1];
	struct mmdb_record_paths *rp;
};

static void pathset_init(struct pathset *ps, const char *const *paths, int n)
{
	memset(ps, 0, sizeof(*ps));
	ps->n = n;
	const char *const *pp[MAXP];
	for (int i = 0; i < n; i++) {
		pp[i] = NULL;
		if (!paths[i])
			continue;
		strcpy(ps->buf[i], paths[i]);
		int k = 0;
		for (char *tok = strtok(ps->buf[i], "/"); tok; tok = strtok(NULL, "/"))
			ps->parts[i][k++] = tok;
		ps->parts[i][k] = NULL;
		pp[i] = ps->parts[i];
	}
	ps->rp = mmdb_record_paths_new(pp, n);
	ck_assert_ptr_nonnull(ps->rp);
}

static void pathset_free(struct pathset *ps)
{
	mmdb_record_paths_free(ps->rp);
}

/* Same value as libmaxminddb gives (offset included: both name the item
 * after following a pointer). */
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

/* libmaxminddb on data[0..size) at offset. MMDB_aget_value reads only
 * the handle's data_section and data_section_size, so a bare MMDB_s
 * with those set stands in for an opened file. */
static int lib_read(const struct pathset *ps, const uint8_t *data, uint32_t size, uint32_t off,
                    MMDB_entry_data_s *out)
{
	MMDB_s fake;
	memset(&fake, 0, sizeof(fake));
	fake.data_section = data;
	fake.data_section_size = size;
	int lib_err = 0;
	for (int i = 0; i < ps->n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (!ps->parts[i][0])
			continue;
		MMDB_entry_s e = { .mmdb = &fake, .offset = off };
		int rc = MMDB_aget_value(&e, &out[i], ps->parts[i]);
		if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
		    rc == MMDB_INVALID_LOOKUP_PATH_ERROR)
			out[i].has_data = false;
		else if (rc != MMDB_SUCCESS)
			lib_err = 1;
	}
	return lib_err;
}

static int n_ok, n_fallback;

/* Both readers at off; REQUIREs the contract; returns the reader's answer
 * (and libmaxminddb's error flag in *lib_err if not NULL). The reader's
 * values are left in got[]. The reader runs without a memo and, if memo
 * is not NULL, with it (a memo kept across calls on the same data): both
 * must give the same answer. */
static int same_memo(const struct pathset *ps, struct mmdb_record_memo *memo,
                     const uint8_t *data, uint32_t size, uint32_t off, int *lib_err,
                     MMDB_entry_data_s *got)
{
	MMDB_entry_data_s fast[MAXP], lib[MAXP], memoed[MAXP];
	int rc = mmdb_record_read(ps->rp, NULL, data, size, off, fast);
	if (memo) {
		int rc2 = mmdb_record_read(ps->rp, memo, data, size, off, memoed);
		REQUIRE(rc2 == rc, "offset %u: %d with the memo, %d without", off, rc2, rc);
		for (int i = 0; rc == MMDB_RECORD_OK && i < ps->n; i++)
			REQUIRE(same_value(&fast[i], &memoed[i]), "offset %u path %d: memo differs",
			        off, i);
	}
	int le = lib_read(ps, data, size, off, lib);
	if (lib_err)
		*lib_err = le;
	if (rc == MMDB_RECORD_OK) {
		n_ok++;
		REQUIRE(!le, "offset %u: reader OK where libmaxminddb reports an error", off);
		for (int i = 0; i < ps->n; i++)
			REQUIRE(same_value(&fast[i], &lib[i]),
			        "offset %u path %d: reader %d/type %u, libmaxminddb %d/type %u", off,
			        i, fast[i].has_data, fast[i].type, lib[i].has_data, lib[i].type);
		if (got)
			memcpy(got, fast, sizeof(fast[0]) * (size_t)ps->n);
	} else {
		REQUIRE(rc == MMDB_RECORD_FALLBACK, "rc %d", rc);
		n_fallback++;
	}
	return rc;
}

/* same_memo with a fresh memo (hand-built data changes between calls). */
static int same(const struct pathset *ps, const uint8_t *data, uint32_t size, uint32_t off,
                int *lib_err, MMDB_entry_data_s *got)
{
	struct mmdb_record_memo *m = mmdb_record_memo_new();
	ck_assert_ptr_nonnull(m);
	int rc = same_memo(ps, m, data, size, off, lib_err, got);
	/* Twice: the second read may come from the memo. */
	REQUIRE(same_memo(ps, m, data, size, off, NULL, NULL) == rc, "offset %u", off);
	mmdb_record_memo_free(m);
	return rc;
}

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

	/* One shared map reached by two paths (as GeoLite2's country and
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

/* Keys stored as pointers to shared strings (as MaxMind's writer does):
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

/* ---- real databases ---- */

static const char *const set_maxmind[] = { "location/latitude", "location/longitude",
	                                   "country/iso_code", "continent/code",
	                                   "subdivisions/0/iso_code" };
static const char *const set_flat[] = { "latitude", "longitude", "country_code",
	                                "autonomous_system_number" };
static const char *const set_odd[] = { "subdivisions/1/iso_code", "city/names/en", "location",
	                               "subdivisions", "registered_country/iso_code",
	                               "country/iso_code/0", "city/geoname_id",
	                               "traits/is_anonymous_proxy", "location/accuracy_radius",
	                               "postal/code", "subdivisions/0/names/fr",
	                               "represented_country/type", "traits/autonomous_system_organization",
	                               "country/iso_code" };
static const char *const set_test[] = { "utf8_string", "double",  "float",       "int32",
	                                "uint16",      "uint32",  "uint64",      "uint128",
	                                "boolean",     "bytes",   "array/0",     "array/2",
	                                "map/mapX/arrayX/1", "map/mapX/utf8_stringX", "ip",
	                                "array" };
static const char *const set_negative[] = { "array/-1", "subdivisions/-1/iso_code", "utf8_string" };

static const struct {
	const char *const *paths;
	int n, plain; /* plain: no component the reader leaves to libmaxminddb */
} sets[] = {
	{ set_maxmind, 5, 1 },
	{ set_flat, 4, 1 },
	{ set_odd, 14, 1 },
	{ set_test, 16, 1 },
	{ set_negative, 3, 0 },
};
#define NSETS ((int)(sizeof(sets) / sizeof(sets[0])))

static const struct {
	const char *name;
	int valid; /* every record's data is well formed */
} dbs[] = {
	{ "GeoIP2-City-Test.mmdb", 1 },
	{ "GeoIP2-Country-Test.mmdb", 1 },
	{ "GeoLite2-ASN-Test.mmdb", 1 },
	{ "GeoLite2-City-Test.mmdb", 1 },
	{ "GeoLite2-Country-Test.mmdb", 1 },
	{ "MaxMind-DB-no-ipv4-search-tree.mmdb", 1 },
	{ "MaxMind-DB-test-ipv4-24.mmdb", 1 },
	{ "MaxMind-DB-test-mixed-24.mmdb", 1 },
	{ "GeoIP2-City-Test-Broken-Double-Format.mmdb", 0 },
	{ "GeoIP2-City-Test-Invalid-Node-Count.mmdb", 0 },
	{ "MaxMind-DB-test-broken-pointers-24.mmdb", 0 },
	{ "MaxMind-DB-test-broken-search-tree-24.mmdb", 0 },
	{ "bad-data/libmaxminddb-corrupt-search-tree.mmdb", 0 },
	{ "bad-data/libmaxminddb-deep-array-nesting.mmdb", 0 },
	{ "bad-data/libmaxminddb-deep-nesting.mmdb", 0 },
	{ "bad-data/libmaxminddb-empty-array-last-in-metadata.mmdb", 0 },
	{ "bad-data/libmaxminddb-empty-map-last-in-metadata.mmdb", 0 },
	{ "bad-data/libmaxminddb-metadata-marker-only.mmdb", 0 },
	{ "bad-data/libmaxminddb-offset-integer-overflow.mmdb", 0 },
	{ "bad-data/libmaxminddb-oversized-array.mmdb", 0 },
	{ "bad-data/libmaxminddb-oversized-map.mmdb", 0 },
	{ "bad-data/libmaxminddb-separator-record-max-left.mmdb", 0 },
	{ "bad-data/libmaxminddb-separator-record-min-left.mmdb", 0 },
	{ "bad-data/libmaxminddb-separator-record-min-right.mmdb", 0 },
	{ "bad-data/libmaxminddb-uint64-max-epoch.mmdb", 0 },
};
#define NDBS ((int)(sizeof(dbs) / sizeof(dbs[0])))

/* Data-section offsets of the records the search tree points to. */
static uint32_t *record_offsets(const MMDB_s *mm, size_t *n)
{
	uint32_t *offs = NULL;
	size_t len = 0, cap = 0;
	for (uint32_t i = 0; i < mm->metadata.node_count; i++) {
		MMDB_search_node_s sn;
		if (MMDB_read_node(mm, i, &sn) != MMDB_SUCCESS)
			continue;
		for (int side = 0; side < 2; side++) {
			if ((side ? sn.right_record_type : sn.left_record_type) != MMDB_RECORD_TYPE_DATA)
				continue;
			if (len == cap) {
				cap = cap ? cap * 2 : 256;
				offs = realloc(offs, cap * sizeof(*offs));
				ck_assert_ptr_nonnull(offs);
			}
			offs[len++] = side ? sn.right_record_entry.offset : sn.left_record_entry.offset;
		}
	}
	*n = len;
	return offs;
}

/* Every offset of the data section (records and the middle of
 * anything), every path set: the contract holds; on a valid DB every
 * record is read without falling back. The data section is copied to a
 * buffer of its exact size so ASan catches any read past it. */
START_TEST(test_databases)
{
	const char *path = MMDB(dbs[_i].name);
	MMDB_s mm;
	if (MMDB_open(path, MMDB_MODE_MMAP, &mm) != MMDB_SUCCESS) {
		ck_assert_msg(!dbs[_i].valid, "%s does not open", path);
		return;
	}
	uint32_t size = mm.data_section_size;
	uint8_t *copy = malloc(size);
	memcpy(copy, mm.data_section, size);
	size_t nrec;
	uint32_t *recs = record_offsets(&mm, &nrec);
	if (dbs[_i].valid)
		ck_assert_msg(nrec > 0, "%s: no records", path);
	for (int s = 0; s < NSETS; s++) {
		struct pathset ps;
		pathset_init(&ps, sets[s].paths, sets[s].n);
		struct mmdb_record_memo *memo = mmdb_record_memo_new();
		ck_assert_ptr_nonnull(memo);
		for (uint32_t off = 0; off < size; off++)
			same_memo(&ps, memo, copy, size, off, NULL, NULL);
		int has = 0;
		for (size_t r = 0; r < nrec; r++) {
			MMDB_entry_data_s v[MAXP];
			int rc = same_memo(&ps, memo, copy, size, recs[r], NULL, v);
			if (dbs[_i].valid && sets[s].plain)
				REQUIRE(rc == MMDB_RECORD_OK, "%s: record at %u declined (set %d)", path,
				        recs[r], s);
			if (rc == MMDB_RECORD_OK)
				for (int i = 0; i < ps.n; i++)
					has |= v[i].has_data;
		}
		/* The sets do select something in the DBs they are for. */
		if (dbs[_i].valid && s == 0 && strstr(path, "City"))
			ck_assert(has);
		mmdb_record_memo_free(memo);
		pathset_free(&ps);
	}
	free(recs);
	free(copy);
	MMDB_close(&mm);
}
END_TEST

/* Random byte flips in a City DB's data section, read at every record:
 * the contract holds and nothing reads out of bounds. */
START_TEST(mutated_city)
{
	MMDB_s mm;
	ck_assert_int_eq(MMDB_open(MMDB("GeoIP2-City-Test.mmdb"), MMDB_MODE_MMAP, &mm), MMDB_SUCCESS);
	uint32_t size = mm.data_section_size;
	uint8_t *copy = malloc(size);
	size_t nrec;
	uint32_t *recs = record_offsets(&mm, &nrec);
	struct pathset ps;
	pathset_init(&ps, set_maxmind, 5);
	n_ok = n_fallback = 0;
	for (int round = 0; round < 300; round++) {
		memcpy(copy, mm.data_section, size);
		int flips = 1 + (int)(rng() % 8);
		for (int f = 0; f < flips; f++)
			copy[rng() % size] ^= (uint8_t)(1u << (rng() % 8));
		/* A memo per version of the data. */
		struct mmdb_record_memo *memo = mmdb_record_memo_new();
		for (size_t r = 0; r < nrec; r++)
			same_memo(&ps, memo, copy, size, recs[r], NULL, NULL);
		mmdb_record_memo_free(memo);
	}
	/* Most records survive a few flips; some must not. */
	ck_assert_int_gt(n_ok, 0);
	ck_assert_int_gt(n_fallback, 0);
	pathset_free(&ps);
	free(recs);
	free(copy);
	MMDB_close(&mm);
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
	suite_add_tcase(s, tc);
	TCase *dbt = tcase_create("databases");
	tcase_set_timeout(dbt, 60);
	tcase_add_loop_test(dbt, test_databases, 0, NDBS);
	tcase_add_test(dbt, mutated_city);
	suite_add_tcase(s, dbt);
	return s;
}

#include "tests/unit/check_main.h"
