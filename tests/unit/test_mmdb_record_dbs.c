/*
 * test_mmdb_record_dbs.c: the one-pass record reader against libmaxminddb's
 * own MMDB_aget_value() on every offset of every test DB in
 * tests/data/mmdb (valid and bad-data), plus byte-flipped copies
 * of a City DB's data section. Helpers: mmdb_record_test_util.h.
 */
#include "tests/unit/mmdb_record_test_util.h"

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
	Suite *s = suite_create("mmdb_record_dbs");
	TCase *dbt = tcase_create("databases");
	tcase_set_timeout(dbt, 60);
	tcase_add_loop_test(dbt, test_databases, 0, NDBS);
	tcase_add_test(dbt, mutated_city);
	suite_add_tcase(s, dbt);
	return s;
}

#include "tests/unit/check_main.h"
