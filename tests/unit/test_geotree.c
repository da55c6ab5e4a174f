/*
 * test_geotree.c: the compiled lookup tree against MaxMind's test DBs and
 * generated flat DBs: exact locations and prefix lengths (IPv4, IPv6,
 * IPv4-mapped, ::/96, 6to4), unknown networks -> id 0, agreement with
 * libmaxminddb over every network of every DB, multi-DB precedence, and
 * the decision tree's scope property: never too short (every address
 * under the returned prefix has the same decision) and merged where
 * siblings agree (a /8 of one decision gets /8). The table-driven lookups
 * against the reference bit-walk are in test_geotree_tables.c.
 */
#include <check.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "geodns/geodb.h"
#include "geodns/geotree.h"
#include "geodns/geotree_int.h"
#include "tests/unit/geotree_test_util.h"

static const struct geo_location *loc_of(const struct geotree *t, const char *s, unsigned *plen)
{
	uint8_t a[16];
	addr16(s, a);
	return geotree_location(t, geotree_lookup(t, a, plen));
}

static const struct {
	const char *db, *addr, *country, *continent, *subdiv;
	double lat, lon;
	unsigned plen;
} known[] = {
	/* GeoIP2-City-Test: IPv6 */
	{ "GeoIP2-City-Test.mmdb", "2001:218::1", "JP", "AS", "", 35.68536, 139.75309, 32 },
	{ "GeoIP2-City-Test.mmdb", "2001:480:10::1", "US", "NA", "CA", 32.7203, -117.1552, 48 },
	{ "GeoIP2-City-Test.mmdb", "2a02:d000::1", "CH", "EU", "", 47.00016, 8.01427, 29 },
	/* IPv4 (looked up as ::ffff:a.b.c.d) */
	{ "GeoIP2-City-Test.mmdb", "81.2.69.160", "GB", "EU", "ENG", 51.5142, -0.0931, 123 },
	{ "GeoIP2-City-Test.mmdb", "89.160.20.129", "SE", "EU", "E", 58.4167, 15.6167, 121 },
	{ "GeoIP2-City-Test.mmdb", "214.78.120.1", "US", "NA", "CA", 32.7405, -117.0935, 118 },
	{ "GeoIP2-City-Test.mmdb", "214.0.1.5", "AU", "OC", "VIC", -37.8159, 144.9669, 120 },
	{ "GeoIP2-City-Test.mmdb", "149.101.100.1", "US", "NA", "", 37.751, -97.822, 124 },
	/* the same IPv4 data through ::/96 and 6to4 (2002:5102:45a0::/48) */
	{ "GeoIP2-City-Test.mmdb", "::81.2.69.160", "GB", "EU", "ENG", 51.5142, -0.0931, 123 },
	{ "GeoIP2-City-Test.mmdb", "2002:5102:45a0::1", "GB", "EU", "ENG", 51.5142, -0.0931, 43 },
	/* GeoLite2-City-Test */
	{ "GeoLite2-City-Test.mmdb", "2.125.160.217", "GB", "EU", "ENG", 51.75, -1.25, 125 },
	{ "GeoLite2-City-Test.mmdb", "214.78.5.5", "US", "NA", "CA", 32.6783, -117.1291, 115 },
	{ "GeoLite2-City-Test.mmdb", "175.16.199.3", "CN", "AS", "22", 43.88, 125.3228, 120 },
	{ "GeoLite2-City-Test.mmdb", "202.196.224.1", "PH", "AS", "", 13.0, 122.0, 116 },
	{ "GeoLite2-City-Test.mmdb", "2001:480::1", "US", "NA", "CA", 32.7203, -117.1552, 43 },
	{ "GeoLite2-City-Test.mmdb", "::ffff:89.160.20.129", "SE", "EU", "E", 58.4167, 15.6167, 121 },
};

START_TEST(known_locations)
{
	int i = _i;
	struct built b;
	build1(&b, MMDB(known[i].db), &geodb_preset_maxmind);
	unsigned plen;
	const struct geo_location *l = loc_of(b.t, known[i].addr, &plen);
	ck_assert_msg(strcmp(l->country, known[i].country) == 0, "%s: %s", known[i].addr,
	              l->country);
	ck_assert_str_eq(l->continent, known[i].continent);
	ck_assert_str_eq(l->subdivision, known[i].subdiv);
	ck_assert_int_eq(l->coords, GEO_COORD_DB);
	ck_assert_double_eq(l->lat, known[i].lat);
	ck_assert_double_eq(l->lon, known[i].lon);
	ck_assert_msg(plen == known[i].plen, "%s: /%u want /%u", known[i].addr, plen,
	              known[i].plen);
	close_all(&b);
}
END_TEST

START_TEST(unknown_is_zero)
{
	static const char *const none[] = { "1.1.1.1", "8.8.8.8", "2001:db8::1", "::1",
		                            "214.1.1.1", /* record without a place */
		                            "fe80::1", "::ffff:0.0.0.1" };
	struct built b;
	build1(&b, MMDB("GeoIP2-City-Test.mmdb"), &geodb_preset_maxmind);
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		uint8_t a[16];
		addr16(none[i], a);
		ck_assert_msg(geotree_lookup(b.t, a, NULL) == GEO_LOC_UNKNOWN, "%s", none[i]);
	}
	ck_assert(geo_location_empty(geotree_location(b.t, 0)));
	/* Continent-only record: located (a continent rule can use it). */
	const struct geo_location *l = loc_of(b.t, "2.3.3.1", NULL);
	ck_assert_str_eq(l->continent, "EU");
	ck_assert_int_eq(l->coords, GEO_COORD_NONE);
	close_all(&b);
}
END_TEST

START_TEST(locations_deduplicated)
{
	struct built b;
	build1(&b, MMDB("GeoIP2-City-Test.mmdb"), &geodb_preset_maxmind);
	struct geotree_stats st;
	geotree_get_stats(b.t, &st);
	uint32_t n = geotree_nlocations(b.t);
	ck_assert_uint_eq(st.locations, n);
	/* 63 distinct records (several cities per postal code etc.) but fewer
	 * distinct locations; and no two locations equal. */
	ck_assert_uint_eq(st.db_records, 63);
	ck_assert_uint_lt(n, st.db_records);
	ck_assert_uint_gt(n, 40);
	for (uint32_t i = 1; i < n; i++) {
		ck_assert(!geo_location_empty(geotree_location(b.t, i)));
		for (uint32_t j = i + 1; j < n; j++)
			ck_assert(!geo_location_eq(geotree_location(b.t, i), geotree_location(b.t, j)));
	}
	/* JP networks (many /32s) share one location id. */
	uint8_t a[16], c[16];
	addr16("2001:218::1", a);
	addr16("2001:2f8::1", c);
	ck_assert_uint_eq(geotree_lookup(b.t, a, NULL), geotree_lookup(b.t, c, NULL));
	close_all(&b);
}
END_TEST

/* Every leaf (network) of the tree, sampled: our answer must equal
 * libmaxminddb's for the first DB that has a record. */
struct xcheck {
	struct built *b;
	unsigned leaves, samples;
};

static int xcheck_leaf(const uint8_t prefix[16], unsigned len, uint32_t id, void *ctx)
{
	struct xcheck *x = ctx;
	const struct geo_location *mine = geotree_location(x->b->t, id);
	x->leaves++;
	for (int k = 0; k < 6; k++) {
		uint8_t a[16];
		if (k == 0)
			memcpy(a, prefix, 16);
		else
			random_under(prefix, len, a);
		unsigned plen;
		REQUIRE((geotree_lookup(x->b->t, a, &plen)) == (id), "%s:%d", __FILE__, __LINE__);
		REQUIRE((plen) == (len), "%s:%d", __FILE__, __LINE__);
		struct geo_location ref;
		int found = 0;
		for (size_t i = 0; i < x->b->n && !found; i++) {
			int r = geodb_lookup(x->b->dbs[i], a, &ref, NULL, err, sizeof(err));
			REQUIRE(r >= 0, "%s", err);
			found = r == 1 && !geo_location_empty(&ref);
		}
		if (!found)
			memset(&ref, 0, sizeof(ref));
		char s[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, a, s, sizeof(s));
		REQUIRE(geo_location_eq(mine, &ref), "%s (leaf /%u id %u): tree %s/%s, mmdb %s/%s",
		              s, len, id, mine->country, mine->continent, ref.country, ref.continent);
		x->samples++;
	}
	return 0;
}

START_TEST(matches_libmaxminddb)
{
	struct built b;
	build1(&b, MMDB(maxmind_dbs[_i]), &geodb_preset_maxmind);
	struct xcheck x = { .b = &b };
	ck_assert_int_eq(geotree_walk(b.t, xcheck_leaf, &x), 0);
	struct geotree_stats st;
	geotree_get_stats(b.t, &st);
	ck_assert_uint_ge(x.leaves, st.nodes + 1); /* aliases are walked once per place */
	ck_assert_uint_gt(x.leaves, 500);
	close_all(&b);
}
END_TEST

/* ---- decision trees ---- */

struct scope_ctx {
	const struct geotree *t;
	const struct dtree *d;
	const uint32_t *decision;
	int samples; /* random addresses per leaf, besides first and last */
	unsigned leaves, merged_shorter;
};

/* A dtree leaf: every address under it has its decision (never too short),
 * and the sibling prefix is not a leaf with the same decision (else they
 * should have merged: not longer than true). */
static int scope_leaf(const uint8_t prefix[16], unsigned len, uint32_t val, void *ctx)
{
	struct scope_ctx *s = ctx;
	s->leaves++;
	for (int k = 0; k < 2 + s->samples; k++) {
		uint8_t a[16];
		if (k == 0)
			memcpy(a, prefix, 16);
		else if (k == 1)
			random_under(prefix, len, a), memset(a + (len + 7) / 8, 0xff, 16 - (len + 7) / 8);
		else
			random_under(prefix, len, a);
		if (k == 1) /* last address: all host bits set */
			for (unsigned bit = len; bit < 128; bit++)
				a[bit >> 3] |= (uint8_t)(0x80u >> (bit & 7));
		unsigned glen, dlen;
		uint32_t id = geotree_lookup(s->t, a, &glen);
		REQUIRE(s->decision[id] == val,
		        "scope too short: /%u says %u but an address inside (location %u) "
		        "decides %u",
		        len, val, id, s->decision[id]);
		REQUIRE((dtree_lookup(s->d, a, &dlen)) == (val), "%s:%d", __FILE__, __LINE__);
		REQUIRE(dlen == len, "dtree_lookup scope /%u, walk says /%u", dlen, len);
		REQUIRE((dlen) <= (glen), "%s:%d", __FILE__, __LINE__);
		if (dlen < glen)
			s->merged_shorter++;
	}
	if (len > 0) {
		uint8_t sib[16], a[16];
		memcpy(sib, prefix, 16);
		sib[(len - 1) >> 3] ^= (uint8_t)(0x80u >> ((len - 1) & 7));
		random_under(sib, len, a);
		unsigned dlen;
		uint32_t v = dtree_lookup(s->d, a, &dlen);
		REQUIRE(!(dlen == len && v == val), "sibling leaves /%u both %u not merged", len,
		              val);
	}
	return 0;
}

/* Check the scope property for decision[] over tree t. Returns how many
 * sampled addresses got a scope shorter than their DB network. */
static unsigned check_scopes_n(const struct geotree *t, const uint32_t *decision, int samples)
{
	struct dtree *d = dtree_build(t, decision, geotree_nlocations(t), err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	struct scope_ctx s = { .t = t, .d = d, .decision = decision, .samples = samples };
	ck_assert_int_eq(dtree_walk(d, scope_leaf, &s), 0);
	ck_assert_uint_ge(s.leaves, dtree_nodes(d) + 1);
	dtree_free(d);
	return s.merged_shorter;
}

static unsigned check_scopes(const struct geotree *t, const uint32_t *decision)
{
	return check_scopes_n(t, decision, 22);
}

START_TEST(scope_never_too_short)
{
	struct built b;
	build1(&b, MMDB(maxmind_dbs[_i]), &geodb_preset_maxmind);
	uint32_t n = geotree_nlocations(b.t);
	uint32_t *dec = calloc(n, sizeof(*dec));
	ck_assert_ptr_nonnull(dec);
	unsigned shorter = 0;
	/* Random decisions over 2, 3 and 5 values, several seeds each. */
	static const unsigned ks[] = { 2, 3, 5 };
	for (size_t ki = 0; ki < 3; ki++) {
		for (int seed = 0; seed < 4; seed++) {
			rng_state = 0x1234567u + (uint64_t)seed * 7919u + ki;
			for (uint32_t i = 0; i < n; i++)
				dec[i] = (uint32_t)(rng() % ks[ki]);
			shorter += check_scopes(b.t, dec);
		}
	}
	/* With few decision values merging must happen somewhere. */
	ck_assert_uint_gt(shorter, 0);

	/* Identity decision: nothing beyond the tree's own merging. */
	for (uint32_t i = 0; i < n; i++)
		dec[i] = i;
	ck_assert_uint_eq(check_scopes(b.t, dec), 0);

	/* One decision everywhere: scope 0 for everyone. */
	memset(dec, 0, n * sizeof(*dec));
	struct dtree *d = dtree_build(b.t, dec, n, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(dtree_nodes(d), 0);
	uint8_t a[16];
	unsigned scope = 99;
	addr16("81.2.69.160", a);
	ck_assert_uint_eq(dtree_lookup(d, a, &scope), 0);
	ck_assert_uint_eq(scope, 0);
	ck_assert_uint_eq(dtree_lookup_v4(d, a + 12, &scope), 0);
	ck_assert_uint_eq(scope, 0);
	dtree_free(d);
	free(dec);
	close_all(&b);
}
END_TEST

/* Every DB network (geotree leaf): a random address inside gets a dtree
 * scope no longer than the network and the network's decision. */
struct net_ctx {
	const struct dtree *d;
	const uint32_t *decision;
};

static int net_leaf(const uint8_t prefix[16], unsigned len, uint32_t id, void *ctx)
{
	struct net_ctx *c = ctx;
	uint8_t a[16];
	random_under(prefix, len, a);
	unsigned scope;
	REQUIRE(dtree_lookup(c->d, a, &scope) == c->decision[id], "%s:%d", __FILE__, __LINE__);
	REQUIRE((scope) <= (len), "%s:%d", __FILE__, __LINE__);
	/* IPv4 view agrees with the IPv6 one inside ::ffff:0:0/96. */
	if (len >= 96 && memcmp(prefix, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		unsigned s4;
		REQUIRE(dtree_lookup_v4(c->d, a + 12, &s4) == c->decision[id], "%s:%d", __FILE__,
		        __LINE__);
		REQUIRE((s4) == (scope >= 96 ? scope - 96 : 0), "%s:%d", __FILE__, __LINE__);
	}
	return 0;
}

START_TEST(every_network_decided)
{
	struct built b;
	build1(&b, MMDB(maxmind_dbs[_i]), &geodb_preset_maxmind);
	uint32_t n = geotree_nlocations(b.t);
	uint32_t *dec = malloc(n * sizeof(*dec));
	/* Decision by continent: realistic policy, lots of merging. */
	for (uint32_t i = 0; i < n; i++) {
		const struct geo_location *l = geotree_location(b.t, i);
		dec[i] = l->continent[0] ? (uint32_t)(l->continent[0] * 256 + l->continent[1]) : 0;
	}
	struct dtree *d = dtree_build(b.t, dec, n, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	struct net_ctx c = { .d = d, .decision = dec };
	ck_assert_int_eq(geotree_walk(b.t, net_leaf, &c), 0);
	struct geotree_stats st;
	geotree_get_stats(b.t, &st);
	ck_assert_uint_lt(dtree_nodes(d), st.nodes); /* continents merge networks */
	dtree_free(d);
	free(dec);
	close_all(&b);
}
END_TEST

START_TEST(dtree_rejects_bad_input)
{
	struct built b;
	build1(&b, MMDB("GeoIP2-City-Test.mmdb"), &geodb_preset_maxmind);
	uint32_t n = geotree_nlocations(b.t);
	uint32_t *dec = calloc(n, sizeof(*dec));
	ck_assert_ptr_null(dtree_build(b.t, dec, n - 1, err, sizeof(err)));
	ck_assert_msg(strstr(err, "decision table has"), "%s", err);
	dec[3] = 0x80000000u;
	ck_assert_ptr_null(dtree_build(b.t, dec, n, err, sizeof(err)));
	ck_assert_msg(strstr(err, "out of range"), "%s", err);
	free(dec);
	close_all(&b);
}
END_TEST

/* ---- generated flat DBs ---- */

static uint32_t country_decision(const struct geo_location *l)
{
	if (strcmp(l->country, "DE") == 0)
		return 1;
	if (strcmp(l->country, "FR") == 0)
		return 2;
	return l->country[0] ? 3 : 0;
}

START_TEST(slash8_of_one_decision_gets_slash8)
{
	NEED_FLAT();
	struct built b;
	build1(&b, tpath(flat_dir, "flat-v6.mmdb"), &geodb_preset_flat);
	uint32_t n = geotree_nlocations(b.t);
	uint32_t dec[64];
	ck_assert_uint_le(n, 64);
	for (uint32_t i = 0; i < n; i++)
		dec[i] = country_decision(geotree_location(b.t, i));
	struct dtree *d = dtree_build(b.t, dec, n, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);

	/* 10.0.0.0/8: 256 /16s alternating Frankfurt and Munich, all DE. */
	uint8_t a[16];
	unsigned plen, scope;
	addr16("10.1.2.3", a);
	ck_assert_str_eq(geotree_location(b.t, geotree_lookup(b.t, a, &plen))->country, "DE");
	ck_assert_uint_eq(plen, 112); /* the DB network is a /16 */
	ck_assert_uint_eq(dtree_lookup_v4(d, a + 12, &scope), 1);
	ck_assert_uint_eq(scope, 8); /* the decision holds for the /8 */
	ck_assert_uint_eq(dtree_lookup(d, a, &scope), 1);
	ck_assert_uint_eq(scope, 104);
	addr16("10.255.255.255", a);
	ck_assert_uint_eq(dtree_lookup_v4(d, a + 12, &scope), 1);
	ck_assert_uint_eq(scope, 8);
	/* 11.0.0.0/16 FR inside an otherwise unknown 11/8. */
	addr16("11.0.200.1", a);
	ck_assert_uint_eq(dtree_lookup_v4(d, a + 12, &scope), 2);
	ck_assert_uint_eq(scope, 16);
	/* Decide by city instead (location id): back to /16. */
	for (uint32_t i = 0; i < n; i++)
		dec[i] = i;
	dtree_free(d);
	d = dtree_build(b.t, dec, n, err, sizeof(err));
	addr16("10.1.2.3", a);
	dtree_lookup_v4(d, a + 12, &scope);
	ck_assert_uint_eq(scope, 16);
	dtree_free(d);

	/* And the property over the whole flat DB with random decisions. */
	rng_state = 42;
	for (int round = 0; round < 5; round++) {
		for (uint32_t i = 0; i < n; i++)
			dec[i] = (uint32_t)(rng() % 2);
		check_scopes(b.t, dec);
	}
	close_all(&b);
}
END_TEST

START_TEST(flat_matches_libmaxminddb)
{
	NEED_FLAT();
	static const char *const names[] = { "flat-v6.mmdb", "flat-v4.mmdb", "flat-v6only.mmdb",
		                             "flat-noalias.mmdb" };
	struct built b;
	build1(&b, tpath(flat_dir, names[_i]), &geodb_preset_flat);
	struct xcheck x = { .b = &b };
	ck_assert_int_eq(geotree_walk(b.t, xcheck_leaf, &x), 0);
	close_all(&b);
}
END_TEST

START_TEST(ipv4_only_and_no_alias)
{
	NEED_FLAT();
	struct built b;
	/* IPv4-only DB: at ::ffff:0:0/96, nowhere else. */
	build1(&b, tpath(flat_dir, "flat-v4.mmdb"), &geodb_preset_flat);
	unsigned plen;
	ck_assert_str_eq(loc_of(b.t, "192.0.2.1", &plen)->country, "US");
	ck_assert_uint_eq(plen, 120);
	ck_assert_str_eq(loc_of(b.t, "198.51.100.200", NULL)->country, "AU");
	ck_assert_str_eq(loc_of(b.t, "::192.0.2.1", NULL)->country, "");
	ck_assert_str_eq(loc_of(b.t, "2a00:1000::1", NULL)->country, "");
	close_all(&b);

	/* v6 DB without the ::ffff:0:0/96 alias: grafted from ::/96. */
	build1(&b, tpath(flat_dir, "flat-noalias.mmdb"), &geodb_preset_flat);
	ck_assert_str_eq(loc_of(b.t, "172.16.1.1", &plen)->country, "NL");
	ck_assert_uint_eq(plen, 108);
	ck_assert_str_eq(loc_of(b.t, "::172.31.255.255", NULL)->country, "NL");
	ck_assert_str_eq(loc_of(b.t, "172.32.0.0", NULL)->country, "");
	close_all(&b);
}
END_TEST

START_TEST(several_databases)
{
	NEED_FLAT();
	struct built b;
	/* Separate v4 and v6 files. */
	const char *v4v6[] = { tpath(flat_dir, "flat-v4.mmdb"), tpath(flat_dir, "flat-v6only.mmdb") };
	build(&b, v4v6, 2, &geodb_preset_flat);
	ck_assert_str_eq(loc_of(b.t, "192.0.2.1", NULL)->country, "US");
	ck_assert_str_eq(loc_of(b.t, "2a00:3000::1", NULL)->country, "CA");
	ck_assert_str_eq(loc_of(b.t, "10.1.1.1", NULL)->country, "");
	struct xcheck x = { .b = &b };
	ck_assert_int_eq(geotree_walk(b.t, xcheck_leaf, &x), 0);
	close_all(&b);

	/* Precedence: the first DB with a record wins; later ones fill gaps. */
	const char *cc[] = { MMDB("GeoIP2-City-Test.mmdb"), MMDB("GeoIP2-Country-Test.mmdb") };
	build(&b, cc, 2, &geodb_preset_maxmind);
	const struct geo_location *l = loc_of(b.t, "81.2.69.160", NULL);
	ck_assert_int_eq(l->coords, GEO_COORD_DB);
	ck_assert_double_eq(l->lat, 51.5142);
	x.b = &b;
	ck_assert_int_eq(geotree_walk(b.t, xcheck_leaf, &x), 0);
	close_all(&b);
	const char *cc2[] = { MMDB("GeoIP2-Country-Test.mmdb"), MMDB("GeoIP2-City-Test.mmdb") };
	build(&b, cc2, 2, &geodb_preset_maxmind);
	l = loc_of(b.t, "81.2.69.160", NULL);
	ck_assert_int_eq(l->coords, GEO_COORD_CENTROID);
	ck_assert_double_eq(l->lat, 54.0);
	close_all(&b);
}
END_TEST

/* A City-shaped DB of 20k IPv4 + 5k IPv6 random networks from
 * tests/unit/gen/big_mmdb.pl: builds fast, agrees with libmaxminddb on
 * random addresses, and keeps the scope property. */
START_TEST(generated_larger_db)
{
	NEED_FLAT();
	const char *path = tpath(flat_dir, "big.mmdb");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "perl tests/unit/gen/big_mmdb.pl %s 20000 7", path);
	ck_assert_int_eq(system(cmd), 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct built b;
	build1(&b, path, &geodb_preset_maxmind);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	struct geotree_stats st;
	geotree_get_stats(b.t, &st);
	printf("generated_larger_db: %u DB nodes -> %u tree nodes, %u locations, %zu bytes, "
	       "%.1f ms\n", st.db_nodes, st.nodes, st.locations, st.bytes, ms);
	ck_assert_uint_gt(st.nodes, 100000);
	ck_assert_msg(ms < 2000, "build took %.1f ms", ms);
	rng_state = 99;
	for (int i = 0; i < 200000; i++) {
		uint8_t a[16] = { 0 };
		if (i & 1) {
			a[10] = a[11] = 0xff;
			uint64_t r = rng();
			memcpy(a + 12, &r, 4);
		} else {
			uint64_t r = rng();
			memcpy(a, &r, 8);
			a[0] = 0x24 | (a[0] & 0x07); /* 2400::/5 where the v6 nets are */
		}
		struct geo_location ref;
		int r = geodb_lookup(b.dbs[0], a, &ref, NULL, err, sizeof(err));
		REQUIRE((r) >= (0), "%s:%d %s", __FILE__, __LINE__, err);
		if (r == 0)
			memset(&ref, 0, sizeof(ref));
		REQUIRE(geo_location_eq(geotree_location(b.t, geotree_lookup(b.t, a, NULL)), &ref),
		        "sample %d differs from libmaxminddb", i);
	}
	uint32_t n = geotree_nlocations(b.t);
	uint32_t *dec = malloc(n * sizeof(*dec));
	for (uint32_t i = 0; i < n; i++)
		dec[i] = (uint32_t)(rng() % 4);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct dtree *d = dtree_build(b.t, dec, n, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_ptr_nonnull(d);
	printf("generated_larger_db: dtree %u nodes in %.1f ms\n", dtree_nodes(d),
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	dtree_free(d);
	check_scopes_n(b.t, dec, 3);
	free(dec);
	close_all(&b);
	unlink(path);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("geotree");
	TCase *tc = tcase_create("maxmind");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, known_locations, 0, (int)(sizeof(known) / sizeof(known[0])));
	tcase_add_test(tc, unknown_is_zero);
	tcase_add_test(tc, locations_deduplicated);
	tcase_add_loop_test(tc, matches_libmaxminddb, 0, 4);
	tcase_add_loop_test(tc, scope_never_too_short, 0, 4);
	tcase_add_loop_test(tc, every_network_decided, 0, 4);
	tcase_add_test(tc, dtree_rejects_bad_input);
	suite_add_tcase(s, tc);

	TCase *flat = tcase_create("generated");
	tcase_set_timeout(flat, 120);
	tcase_add_unchecked_fixture(flat, gen_flat_dbs, rm_flat_dbs);
	tcase_add_test(flat, slash8_of_one_decision_gets_slash8);
	tcase_add_loop_test(flat, flat_matches_libmaxminddb, 0, 4);
	tcase_add_test(flat, ipv4_only_and_no_alias);
	tcase_add_test(flat, several_databases);
	tcase_add_test(flat, generated_larger_db);
	suite_add_tcase(s, flat);
	return s;
}

#include "tests/unit/check_main.h"
