/*
 * test_geodb.c: opening MaxMind DBs with each field-path preset and with
 * explicit paths, decoding records (libmaxminddb slow path), and the exact
 * error for every broken DB in tests/data/mmdb/bad-data: it must name the
 * file and carry libmaxminddb's message, and nothing may crash.
 */
#include <stdint.h>
#include <check.h>
#include <malloc.h>
#include <math.h>
#include <string.h>

#include "geodns/geodb.h"
#include "geodns/geotree.h"
#include "tests/unit/geo_test_util.h"

static char err[GEODB_ERRLEN];

/* Look s up in db; returns geodb_lookup's result, location in *loc. */
static int look(struct geodb *db, const char *s, struct geo_location *loc, unsigned *plen)
{
	uint8_t a[16];
	addr16(s, a);
	err[0] = 0;
	int r = geodb_lookup(db, a, loc, plen, err, sizeof(err));
	ck_assert_msg(r >= 0, "%s: %s", s, err);
	return r;
}

START_TEST(presets)
{
	ck_assert_ptr_eq(geodb_preset("maxmind"), &geodb_preset_maxmind);
	ck_assert_ptr_eq(geodb_preset("flat"), &geodb_preset_flat);
	ck_assert_ptr_null(geodb_preset("dbip"));
	ck_assert_ptr_null(geodb_preset(NULL));
	ck_assert_str_eq(geodb_preset_maxmind.subdivision, "subdivisions/0/iso_code");
	ck_assert_str_eq(geodb_preset_flat.country, "country_code");
	ck_assert_ptr_null(geodb_preset_flat.continent);
	ck_assert_ptr_eq(geodb_preset("asn"), &geodb_preset_asn);
	ck_assert_str_eq(geodb_preset_asn.asn, "autonomous_system_number");
	ck_assert_ptr_null(geodb_preset_asn.country);
	ck_assert_ptr_null(geodb_preset_asn.latitude);
	ck_assert_ptr_null(geodb_preset_maxmind.asn);
	ck_assert_ptr_null(geodb_preset_flat.asn);
}
END_TEST

START_TEST(location_empty_and_eq)
{
	struct geo_location a, b;
	memset(&a, 0, sizeof(a));
	ck_assert(geo_location_empty(&a));
	b = a;
	b.asn = 15169; /* an ASN alone is usable: an asn rule can match it */
	ck_assert(!geo_location_empty(&b));
	ck_assert(!geo_location_eq(&a, &b));
	b.asn = 0;
	b.cidr_rule = 2;
	ck_assert(!geo_location_empty(&b));
	ck_assert(!geo_location_eq(&a, &b));
	b.cidr_rule = 0;
	ck_assert(geo_location_eq(&a, &b));
	strcpy(a.country, "SE");
	b = a;
	a.asn = 1;
	b.asn = 2;
	ck_assert(!geo_location_eq(&a, &b));
}
END_TEST

/* GeoLite2-ASN-Test with the asn preset (source-data/GeoLite2-ASN-Test.json). */
START_TEST(asn_records)
{
	struct geodb *db = geodb_open(MMDB("GeoLite2-ASN-Test.mmdb"), &geodb_preset_asn, err,
	                              sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	static const struct {
		const char *addr;
		uint32_t asn;
		unsigned plen;
	} known[] = {
		{ "1.0.0.1", 15169, 120 },       /* 1.0.0.0/24 Google */
		{ "1.128.200.1", 1221, 107 },    /* 1.128.0.0/11 Telstra */
		{ "12.81.95.255", 7018, 118 },   /* 12.81.92.0/22 AT&T */
		{ "89.160.20.129", 29518, 0 },
		{ "2001:1700::1", 6730, 27 },    /* 2001:1700::/27 */
		{ "240e:8000::5", 237, 17 },     /* 240e:8000::/17 */
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct geo_location l;
		unsigned plen;
		ck_assert_int_eq(look(db, known[i].addr, &l, &plen), 1);
		ck_assert_msg(l.asn == known[i].asn, "%s: AS%u", known[i].addr, l.asn);
		if (known[i].plen)
			ck_assert_uint_eq(plen, known[i].plen);
		ck_assert_str_eq(l.country, "");
		ck_assert_int_eq(l.coords, GEO_COORD_NONE);
		ck_assert_uint_eq(l.cidr_rule, 0);
		ck_assert(!geo_location_empty(&l));
	}
	struct geo_location l;
	ck_assert_int_eq(look(db, "8.8.8.8", &l, NULL), 0);
	ck_assert(geo_location_empty(&l));
	/* Compiles into a tree: the "no location" check accepts ASN records. */
	struct geotree *t = geotree_build(&db, 1, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	uint8_t a[16];
	addr16("1.0.0.1", a);
	ck_assert_uint_eq(geotree_location(t, geotree_lookup(t, a, NULL))->asn, 15169);
	geotree_free(t);
	geodb_close(db);

	/* A City DB has no top-level ASN: with the asn preset nothing usable. */
	db = geodb_open(MMDB("GeoIP2-City-Test.mmdb"), &geodb_preset_asn, err, sizeof(err));
	ck_assert_ptr_nonnull(db);
	ck_assert_ptr_null(geotree_build(&db, 1, err, sizeof(err)));
	ck_assert_msg(strstr(err, "no record has a location") && strstr(err, "asn for an ASN DB"),
	              "%s", err);
	geodb_close(db);

	/* Location and ASN paths together read both from one record (the
	 * test DB has no traits ASN: any uint32 field shows the path works;
	 * a string field is not an ASN). */
	struct geodb_fields f = geodb_preset_maxmind;
	f.asn = "city/geoname_id";
	db = geodb_open(MMDB("GeoIP2-City-Test.mmdb"), &f, err, sizeof(err));
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(look(db, "81.2.69.160", &l, NULL), 1);
	ck_assert_str_eq(l.country, "GB");
	ck_assert_uint_eq(l.asn, 2643743);
	geodb_close(db);
	f.asn = "city/names/en";
	db = geodb_open(MMDB("GeoIP2-City-Test.mmdb"), &f, err, sizeof(err));
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(look(db, "81.2.69.160", &l, NULL), 1);
	ck_assert_uint_eq(l.asn, 0);
	geodb_close(db);
}
END_TEST

START_TEST(maxmind_city_records)
{
	struct geodb *db = geodb_open(MMDB("GeoIP2-City-Test.mmdb"), &geodb_preset_maxmind, err,
	                              sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	struct geo_location l;
	unsigned plen;

	/* ::81.2.69.160/123 -> London, ENG (source-data/GeoIP2-City-Test.json). */
	ck_assert_int_eq(look(db, "81.2.69.160", &l, &plen), 1);
	ck_assert_str_eq(l.country, "GB");
	ck_assert_str_eq(l.continent, "EU");
	ck_assert_str_eq(l.subdivision, "ENG");
	ck_assert_int_eq(l.coords, GEO_COORD_DB);
	ck_assert_double_eq(l.lat, 51.5142);
	ck_assert_double_eq(l.lon, -0.0931);
	ck_assert_uint_eq(plen, 123);

	/* 2001:218::/32 -> JP, country-level coordinates, no subdivision. */
	ck_assert_int_eq(look(db, "2001:218::1", &l, &plen), 1);
	ck_assert_str_eq(l.country, "JP");
	ck_assert_str_eq(l.continent, "AS");
	ck_assert_str_eq(l.subdivision, "");
	ck_assert_double_eq(l.lat, 35.68536);
	ck_assert_uint_eq(plen, 32);

	/* ::2.3.3.0/120 carries only a continent. */
	ck_assert_int_eq(look(db, "2.3.3.1", &l, NULL), 1);
	ck_assert_str_eq(l.continent, "EU");
	ck_assert_str_eq(l.country, "");
	ck_assert_int_eq(l.coords, GEO_COORD_NONE);
	ck_assert(!geo_location_empty(&l));

	/* 214.1.1.0/24 has a record (traits only) that names no place. */
	ck_assert_int_eq(look(db, "214.1.1.1", &l, NULL), 1);
	ck_assert(geo_location_empty(&l));

	/* Not in the DB. */
	ck_assert_int_eq(look(db, "1.1.1.1", &l, NULL), 0);
	ck_assert(geo_location_empty(&l));
	ck_assert_int_eq(look(db, "2001:db8::1", &l, NULL), 0);
	geodb_close(db);
}
END_TEST

/* geodb_drop_pages() only lets go of resident pages: every lookup after
 * it (whole file, an odd partial range, a range past the end) gives what
 * it gave before, as the pages fault back in. */
START_TEST(drop_pages_keeps_results)
{
	static const char *const addrs[] = { "81.2.69.160", "2001:218::1", "2.3.3.1", "214.1.1.1",
		                             "1.1.1.1",     "2a02:d880::1", "89.160.20.128" };
	enum { N = sizeof(addrs) / sizeof(addrs[0]) };
	struct geodb *db = geodb_open(MMDB("GeoIP2-City-Test.mmdb"), &geodb_preset_maxmind, err,
	                              sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	struct geo_location before[N], after;
	unsigned plen_before[N], plen;
	int rc_before[N];
	for (int i = 0; i < N; i++)
		rc_before[i] = look(db, addrs[i], &before[i], &plen_before[i]);
	const size_t ranges[][2] = { { 0, SIZE_MAX }, { 5, 100 }, { 4096, 3 * 4096 + 17 },
		                     { 1u << 30, SIZE_MAX } };
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		geodb_drop_pages(db, ranges[r][0], ranges[r][1]);
		for (int i = 0; i < N; i++) {
			ck_assert_int_eq(look(db, addrs[i], &after, &plen), rc_before[i]);
			ck_assert(geo_location_eq(&after, &before[i]));
			ck_assert_uint_eq(plen, plen_before[i]);
		}
	}
	ck_assert_str_eq(before[0].country, "GB");
	geodb_close(db);
}
END_TEST

START_TEST(maxmind_country_db_uses_centroid)
{
	struct geodb *db = geodb_open(MMDB("GeoIP2-Country-Test.mmdb"), &geodb_preset_maxmind, err,
	                              sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	struct geo_location l;
	ck_assert_int_eq(look(db, "81.2.69.160", &l, NULL), 1);
	ck_assert_str_eq(l.country, "GB");
	ck_assert_str_eq(l.continent, "EU");
	ck_assert_int_eq(l.coords, GEO_COORD_CENTROID);
	ck_assert_double_eq(l.lat, 54.0);
	ck_assert_double_eq(l.lon, -2.0);
	geodb_close(db);
}
END_TEST

START_TEST(explicit_paths)
{
	/* Second subdivision and the registered country, through explicit
	 * paths: array index in the middle, different map. */
	const struct geodb_fields f = {
		.latitude = "location/latitude",
		.longitude = "location/longitude",
		.country = "registered_country/iso_code",
		.continent = NULL,
		.subdivision = "subdivisions/1/iso_code",
	};
	struct geodb *db = geodb_open(MMDB("GeoIP2-City-Test.mmdb"), &f, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	struct geo_location l;
	/* ::2.125.160.216/125: subdivisions ENG, WBK. */
	ck_assert_int_eq(look(db, "2.125.160.216", &l, NULL), 1);
	ck_assert_str_eq(l.subdivision, "WBK");
	ck_assert_str_eq(l.country, "FR");   /* registered in FR, located in GB */
	ck_assert_str_eq(l.continent, "EU"); /* from the ISO table */
	/* Index past the end of the array, and into a map: just absent. */
	ck_assert_int_eq(look(db, "81.2.69.160", &l, NULL), 1);
	ck_assert_str_eq(l.subdivision, "");
	geodb_close(db);

	const struct geodb_fields nolat = { .latitude = "nope/latitude",
		                            .longitude = "location/longitude",
		                            .country = "country/iso_code/0" };
	db = geodb_open(MMDB("GeoIP2-City-Test.mmdb"), &nolat, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(look(db, "81.2.69.160", &l, NULL), 1);
	ck_assert_int_eq(l.coords, GEO_COORD_NONE); /* one coordinate is not enough */
	ck_assert_str_eq(l.country, "");            /* indexing a string: absent */
	geodb_close(db);
}
END_TEST

START_TEST(bad_field_paths)
{
	static const char *const bad[] = { "location//latitude", "/location", "location/",
		                           "a/b/c/d/e/f/g/h/i" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct geodb_fields f = geodb_preset_maxmind;
		f.country = bad[i];
		err[0] = 0;
		ck_assert_ptr_null(geodb_open(MMDB("GeoIP2-City-Test.mmdb"), &f, err, sizeof(err)));
		ck_assert_msg(strstr(err, "bad country field path") && strstr(err, bad[i]) &&
		                      strstr(err, "GeoIP2-City-Test.mmdb"),
		              "%s", err);
	}
}
END_TEST

START_TEST(missing_file)
{
	const char *p = "/nonexistent/steerdns/GeoLite2-City.mmdb";
	ck_assert_ptr_null(geodb_open(p, &geodb_preset_maxmind, err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/steerdns/GeoLite2-City.mmdb: cannot open: Error "
	                      "opening the specified MaxMind DB file (No such file or directory)");
}
END_TEST

/* Every broken DB: open or build must fail with "PATH: " + a message that
 * contains want. Build failures are what a reload sees, so go through
 * geotree_build exactly as the server will. */
static const struct {
	const char *name, *want;
} bad_dbs[] = {
	{ "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
	  "cannot open: The MaxMind DB file contains invalid metadata" },
	{ "GeoIP2-City-Test-Broken-Double-Format.mmdb",
	  "data at offset 155: The MaxMind DB file's data section contains bad data" },
	{ "MaxMind-DB-test-broken-pointers-24.mmdb",
	  "The MaxMind DB file's data section contains bad data" },
	{ "MaxMind-DB-test-broken-search-tree-24.mmdb",
	  "search tree node 0: The MaxMind DB file's search tree is corrupt" },
	{ "bad-data/libmaxminddb-corrupt-search-tree.mmdb",
	  "The MaxMind DB file's search tree is corrupt" },
	{ "bad-data/libmaxminddb-deep-array-nesting.mmdb", "no record has a location" },
	{ "bad-data/libmaxminddb-deep-nesting.mmdb", "no record has a location" },
	{ "bad-data/libmaxminddb-empty-array-last-in-metadata.mmdb", "no record has a location" },
	{ "bad-data/libmaxminddb-empty-map-last-in-metadata.mmdb", "no record has a location" },
	{ "bad-data/libmaxminddb-metadata-marker-only.mmdb", "cannot open: " },
	{ "bad-data/libmaxminddb-offset-integer-overflow.mmdb",
	  "cannot open: The MaxMind DB file's data section contains bad data" },
	{ "bad-data/libmaxminddb-oversized-array.mmdb", "no record has a location" },
	{ "bad-data/libmaxminddb-oversized-map.mmdb",
	  "The MaxMind DB file's data section contains bad data" },
	{ "bad-data/libmaxminddb-separator-record-max-left.mmdb",
	  "search tree node 0: The MaxMind DB file's search tree is corrupt" },
	{ "bad-data/libmaxminddb-separator-record-min-left.mmdb",
	  "search tree node 0: The MaxMind DB file's search tree is corrupt" },
	{ "bad-data/libmaxminddb-separator-record-min-right.mmdb",
	  "search tree node 0: The MaxMind DB file's search tree is corrupt" },
	{ "bad-data/libmaxminddb-uint64-max-epoch.mmdb", "no record has a location" },
	/* Valid DBs of the wrong kind for GeoIP. */
	{ "GeoLite2-ASN-Test.mmdb", "no record has a location at the configured field paths" },
	{ "MaxMind-DB-test-ipv4-24.mmdb", "no record has a location" },
};

START_TEST(bad_databases)
{
	int i = _i;
	const char *path = MMDB(bad_dbs[i].name);
	err[0] = 0;
	struct geodb *db = geodb_open(path, &geodb_preset_maxmind, err, sizeof(err));
	if (db) {
		struct geotree *t = geotree_build(&db, 1, err, sizeof(err));
		ck_assert_msg(t == NULL, "%s: built", bad_dbs[i].name);
		geodb_close(db);
	}
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
	              "%s: error does not start with the path: %s", bad_dbs[i].name, err);
	ck_assert_msg(strstr(err, bad_dbs[i].want), "%s: got \"%s\" want \"%s\"", bad_dbs[i].name,
	              err, bad_dbs[i].want);
}
END_TEST

/* A DB whose metadata `languages` array holds a pointer to a non-string:
 * Debian's libmaxminddb 1.7.1 leaks 4,640 bytes in MMDB_open() on it
 * (fixed upstream in 1.12.0). geodb_open must refuse it before
 * MMDB_open, so 200 reload attempts leave the heap where it was: a bound
 * of 4,640 bytes in all, where the leak would be 200 x 4,640. (Under
 * ASan mallinfo2 counts nothing; LeakSanitizer then checks the same.) */
START_TEST(leaky_metadata_refused)
{
	const char *path = "tests/data/findings/libmaxminddb-1.7.1-MMDB_open-leak.mmdb";
	char want[512];
	snprintf(want, sizeof(want),
	         "%s: cannot open: corrupt metadata (a languages or description entry is not a "
	         "string)",
	         path);
	ck_assert_ptr_null(geodb_open(path, &geodb_preset_maxmind, err, sizeof(err)));
	ck_assert_str_eq(err, want);
	size_t before = mallinfo2().uordblks;
	for (int i = 0; i < 200; i++)
		REQUIRE(!geodb_open(path, &geodb_preset_maxmind, err, sizeof(err)), "opened");
	size_t after = mallinfo2().uordblks;
	ck_assert_msg(after <= before + 4640, "heap grew by %zu bytes over 200 opens",
	              after - before);
	/* The check refuses nothing MMDB_open accepts: every good test DB
	 * still opens. */
	static const char *const good[] = { "GeoIP2-City-Test.mmdb", "GeoIP2-Country-Test.mmdb",
		                            "GeoLite2-ASN-Test.mmdb", "GeoLite2-City-Test.mmdb",
		                            "MaxMind-DB-test-mixed-24.mmdb" };
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct geodb *db = geodb_open(MMDB(good[i]), &geodb_preset_maxmind, err, sizeof(err));
		ck_assert_msg(db != NULL, "%s: %s", good[i], err);
		geodb_close(db);
	}
}
END_TEST

START_TEST(flat_preset)
{
	if (!flat_dir[0]) {
		printf("%s\n", flat_skip_reason);
		return;
	}
	struct geodb *db = geodb_open(tpath(flat_dir, "flat-v6.mmdb"), &geodb_preset_flat, err,
	                              sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	struct geo_location l;
	unsigned plen;
	ck_assert_int_eq(look(db, "10.1.2.3", &l, &plen), 1);
	ck_assert_str_eq(l.country, "DE");
	ck_assert_str_eq(l.continent, "EU"); /* from the ISO table */
	ck_assert_int_eq(l.coords, GEO_COORD_DB);
	ck_assert_double_eq(l.lat, 48.1374);
	ck_assert_double_eq(l.lon, 11.5755);
	ck_assert_uint_eq(plen, 112);
	/* Country only, lower case: normalised, centroid coordinates. */
	ck_assert_int_eq(look(db, "12.0.0.9", &l, NULL), 1);
	ck_assert_str_eq(l.country, "JP");
	ck_assert_str_eq(l.continent, "AS");
	ck_assert_int_eq(l.coords, GEO_COORD_CENTROID);
	ck_assert_double_eq(l.lat, 36.0);
	/* Coordinates stored as strings. */
	ck_assert_int_eq(look(db, "13.0.0.1", &l, NULL), 1);
	ck_assert_int_eq(l.coords, GEO_COORD_DB);
	ck_assert_double_eq(l.lat, -33.8688);
	ck_assert_str_eq(l.continent, "OC");
	/* ZZ = unknown. */
	ck_assert_int_eq(look(db, "14.0.0.1", &l, NULL), 1);
	ck_assert(geo_location_empty(&l));
	/* IPv6. */
	ck_assert_int_eq(look(db, "2a00:1000::5", &l, &plen), 1);
	ck_assert_str_eq(l.country, "NZ");
	ck_assert_str_eq(l.continent, "OC");
	ck_assert_uint_eq(plen, 32);
	ck_assert_int_eq(look(db, "15.0.0.1", &l, NULL), 0);
	geodb_close(db);

	/* The maxmind preset on a flat DB finds nothing: a clear error. */
	db = geodb_open(tpath(flat_dir, "flat-v6.mmdb"), &geodb_preset_maxmind, err, sizeof(err));
	ck_assert_ptr_nonnull(db);
	ck_assert_ptr_null(geotree_build(&db, 1, err, sizeof(err)));
	ck_assert_msg(strstr(err, "no record has a location"), "%s", err);
	geodb_close(db);
}
END_TEST

START_TEST(ipv4_only_db)
{
	if (!flat_dir[0]) {
		printf("%s\n", flat_skip_reason);
		return;
	}
	struct geodb *db = geodb_open(tpath(flat_dir, "flat-v4.mmdb"), &geodb_preset_flat, err,
	                              sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_uint_eq(geodb_mmdb(db)->metadata.ip_version, 4);
	struct geo_location l;
	unsigned plen;
	ck_assert_int_eq(look(db, "192.0.2.77", &l, &plen), 1);
	ck_assert_str_eq(l.country, "US");
	ck_assert_uint_eq(plen, 120); /* /24 in the 128-bit space */
	/* IPv6 in an IPv4-only DB: not found, not an error. */
	ck_assert_int_eq(look(db, "2a00:1000::5", &l, NULL), 0);
	geodb_close(db);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("geodb");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, presets);
	tcase_add_test(tc, location_empty_and_eq);
	tcase_add_test(tc, asn_records);
	tcase_add_test(tc, maxmind_city_records);
	tcase_add_test(tc, drop_pages_keeps_results);
	tcase_add_test(tc, maxmind_country_db_uses_centroid);
	tcase_add_test(tc, explicit_paths);
	tcase_add_test(tc, bad_field_paths);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, leaky_metadata_refused);
	tcase_add_loop_test(tc, bad_databases, 0, (int)(sizeof(bad_dbs) / sizeof(bad_dbs[0])));
	suite_add_tcase(s, tc);

	TCase *flat = tcase_create("flat");
	tcase_add_unchecked_fixture(flat, gen_flat_dbs, rm_flat_dbs);
	tcase_add_test(flat, flat_preset);
	tcase_add_test(flat, ipv4_only_db);
	suite_add_tcase(s, flat);
	return s;
}

#include "tests/unit/check_main.h"
