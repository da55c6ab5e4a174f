/*
 * test_geotree.c: the compiled lookup tree against MaxMind's test DBs and
 * generated flat DBs: exact locations and prefix lengths (IPv4, IPv6,
 * IPv4-mapped, ::/96, 6to4), unknown networks -> id 0, agreement with
 * libmaxminddb over every network of every DB, multi-DB precedence, and
 * the decision tree's scope property: never too short (every address
 * under the returned prefix has the same decision) and merged where
 * siblings agree (a /8 of one decision gets /8). And the table-driven
 * lookups against the reference bit-walk: same value and prefix length
 * for millions of addresses on every DB, a generated big DB and edge-case
 * CIDR trees.
 */
#include <check.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "geodns/geodb.h"
#include "geodns/geotree.h"
#include "geodns/geotree_int.h"
#include "tests/unit/geo_test_util.h"

static char err[GEODB_ERRLEN];

/* Open paths[0..n-1] and build one tree. DBs stay open in dbs[] for
 * cross-checks; close_all() frees both. */
struct built {
	struct geodb *dbs[4];
	size_t n;
	struct geotree *t;
};

static void build(struct built *b, const char *const *paths, size_t n,
                  const struct geodb_fields *f)
{
	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < n; i++) {
		b->dbs[i] = geodb_open(paths[i], f, err, sizeof(err));
		ck_assert_msg(b->dbs[i] != NULL, "%s", err);
	}
	b->n = n;
	b->t = geotree_build(b->dbs, n, err, sizeof(err));
	ck_assert_msg(b->t != NULL, "%s", err);
}

static void build1(struct built *b, const char *path, const struct geodb_fields *f)
{
	build(b, &path, 1, f);
}

static void close_all(struct built *b)
{
	geotree_free(b->t);
	for (size_t i = 0; i < b->n; i++)
		geodb_close(b->dbs[i]);
}

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

static const char *const maxmind_dbs[] = { "GeoIP2-City-Test.mmdb", "GeoLite2-City-Test.mmdb",
	                                   "GeoIP2-Country-Test.mmdb",
	                                   "GeoLite2-Country-Test.mmdb" };

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

#define NEED_FLAT()                                        \
	do {                                               \
		if (!flat_dir[0]) {                        \
			printf("%s\n", flat_skip_reason); \
			return;                            \
		}                                          \
	} while (0)

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

/* ---- table-driven lookups against the reference bit-walk ---- */

struct eqctx {
	const struct geotree *t;
	struct dtree *d[2];
	unsigned checked, aliased;
};

static const char *ntop(const uint8_t a[16])
{
	static char s[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, a, s, sizeof(s));
	return s;
}

static const uint8_t mapped_pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Table lookups of a equal the bit-walk's, value and length, for the
 * geotree, both dtrees, and dtree_lookup_v4 on IPv4-mapped a. */
static void same_as_bitwalk(struct eqctx *c, const uint8_t a[16])
{
	unsigned l1 = 1000, l2 = 2000;
	uint32_t v1 = geotree_lookup(c->t, a, &l1), v2 = gt_lookup_bitwalk(c->t, a, &l2);
	REQUIRE(v1 == v2 && l1 == l2, "geotree %s: table %u/%u, bit-walk %u/%u", ntop(a), v1, l1,
	        v2, l2);
	REQUIRE(geotree_lookup(c->t, a, NULL) == v2, "geotree %s without length", ntop(a));
	for (int k = 0; k < 2; k++) {
		if (!c->d[k])
			continue;
		l1 = 1000, l2 = 2000;
		v1 = dtree_lookup(c->d[k], a, &l1);
		v2 = gt_dtree_lookup_bitwalk(c->d[k], a, &l2);
		REQUIRE(v1 == v2 && l1 == l2, "dtree %d %s: table %u/%u, bit-walk %u/%u", k, ntop(a),
		        v1, l1, v2, l2);
		REQUIRE(dtree_lookup(c->d[k], a, NULL) == v2, "dtree %s without scope", ntop(a));
		if (memcmp(a, mapped_pfx, 12) == 0) {
			unsigned s = 1000;
			v1 = dtree_lookup_v4(c->d[k], a + 12, &s);
			REQUIRE(v1 == v2 && s == (l2 > 96 ? l2 - 96 : 0),
			        "dtree_lookup_v4 %d %s: %u/%u, bit-walk %u/%u", k, ntop(a), v1, s, v2, l2);
			REQUIRE(dtree_lookup_v4(c->d[k], a + 12, NULL) == v2, "v4 %s without scope",
			        ntop(a));
		}
	}
	c->checked++;
}

/* a +/- 1 as a 128-bit number (wrapping). */
static void addr_step(uint8_t a[16], int up)
{
	for (int i = 15; i >= 0; i--) {
		a[i] = (uint8_t)(a[i] + (up ? 1 : -1));
		if (a[i] != (up ? 0x00 : 0xff))
			break;
	}
}

/* Every leaf (network): its first and last address and the addresses just
 * outside it, where a wrong depth or an off-by-one index would show. The
 * IPv4 subtree's aliases at ::/96 and 2002::/16 (the same nodes, reached
 * through table slots 0 and 0x2002, walked 100+ levels deep per lookup)
 * are sampled, one leaf in 8, to keep the sanitizer build's time sane. */
static int edge_leaf(const uint8_t prefix[16], unsigned len, uint32_t val, void *ctx)
{
	(void)val;
	struct eqctx *c = ctx;
	static const uint8_t zero12[12];
	if (((len > 96 && memcmp(prefix, zero12, 12) == 0) ||
	     (len > 32 && prefix[0] == 0x20 && prefix[1] == 0x02)) &&
	    c->aliased++ % 8 != 0)
		return 0;
	uint8_t a[16];
	memcpy(a, prefix, 16);
	same_as_bitwalk(c, a);
	addr_step(a, 0);
	same_as_bitwalk(c, a);
	memcpy(a, prefix, 16);
	for (unsigned bit = len; bit < 128; bit++)
		a[bit >> 3] |= (uint8_t)(0x80u >> (bit & 7));
	same_as_bitwalk(c, a);
	addr_step(a, 1);
	same_as_bitwalk(c, a);
	return 0;
}

/* n random addresses of every kind: IPv4-mapped, ::/96, 6to4, 2000::/4,
 * 2400::/5, anywhere, and near misses of ::ffff:0:0/96 (one bit of the
 * first 96 flipped, which must not take the IPv4 table). */
static void random_same(struct eqctx *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t a[16];
		uint64_t r1 = rng(), r2 = rng();
		memcpy(a, &r1, 8);
		memcpy(a + 8, &r2, 8);
		switch (i % 8) {
		case 0:
		case 1:
			memcpy(a, mapped_pfx, 12);
			break;
		case 2:
			memset(a, 0, 12);
			break;
		case 3:
			a[0] = 0x20, a[1] = 0x02;
			break;
		case 4:
			a[0] = (uint8_t)(0x20 | (a[0] & 0x0f));
			break;
		case 5:
			a[0] = (uint8_t)(0x24 | (a[0] & 0x07));
			break;
		case 6:
			break;
		case 7: {
			unsigned bit = (unsigned)(r1 >> 32) % 96;
			memcpy(a, mapped_pfx, 12);
			a[bit >> 3] ^= (uint8_t)(0x80u >> (bit & 7));
			break;
		}
		}
		same_as_bitwalk(c, a);
	}
}

/* Every 16-bit table index (both tables) with a few tails each. */
static void every_index_same(struct eqctx *c)
{
	for (uint32_t hi = 0; hi < 65536; hi++) {
		for (int k = 0; k < 3; k++) {
			uint8_t a[16];
			uint64_t r1 = rng(), r2 = rng();
			memcpy(a, &r1, 8);
			memcpy(a + 8, &r2, 8);
			if (k == 1)
				memset(a, 0, 16);
			else if (k == 2)
				memset(a, 0xff, 16);
			a[0] = (uint8_t)(hi >> 8), a[1] = (uint8_t)hi;
			same_as_bitwalk(c, a);
			memcpy(a, mapped_pfx, 12);
			a[12] = (uint8_t)(hi >> 8), a[13] = (uint8_t)hi;
			same_as_bitwalk(c, a);
		}
	}
}

/* The whole comparison for t, with an identity and a 3-valued random
 * decision tree. */
static void check_tables(const struct geotree *t, unsigned nrandom)
{
	uint32_t n = geotree_nlocations(t);
	uint32_t *ident = malloc(n * sizeof(*ident)), *rnd = malloc(n * sizeof(*rnd));
	ck_assert(ident && rnd);
	for (uint32_t i = 0; i < n; i++) {
		ident[i] = i;
		rnd[i] = (uint32_t)(rng() % 3);
	}
	struct eqctx c = { .t = t };
	c.d[0] = dtree_build(t, ident, n, err, sizeof(err));
	ck_assert_msg(c.d[0] != NULL, "%s", err);
	c.d[1] = dtree_build(t, rnd, n, err, sizeof(err));
	ck_assert_msg(c.d[1] != NULL, "%s", err);
	/* Otherwise the comparison would be of the bit-walk with itself. */
	ck_assert(gt_has_tables(t));
	ck_assert(gt_dtree_has_tables(c.d[0]) && gt_dtree_has_tables(c.d[1]));
	ck_assert_int_eq(geotree_walk(t, edge_leaf, &c), 0);
	ck_assert_int_eq(dtree_walk(c.d[0], edge_leaf, &c), 0);
	ck_assert_int_eq(dtree_walk(c.d[1], edge_leaf, &c), 0);
	every_index_same(&c);
	random_same(&c, nrandom);
	ck_assert_uint_ge(c.checked, nrandom + 6 * 65536);
	dtree_free(c.d[0]);
	dtree_free(c.d[1]);
	free(ident);
	free(rnd);
}

START_TEST(tables_match_bitwalk_maxmind)
{
	struct built b;
	build1(&b, MMDB(maxmind_dbs[_i]), &geodb_preset_maxmind);
	rng_state = 1234 + (uint64_t)_i;
	check_tables(b.t, 1u << 19);
	/* And a product with a CIDR overlay (its tables come from gt_seal). */
	static const uint8_t pa[3][16] = {
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 81, 2, 0, 0 },
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 89, 160, 20, 128 },
		{ 0x20, 0x01, 0x04, 0x80 },
	};
	static const uint8_t pl[3] = { 96 + 15, 96 + 25, 20 };
	static const uint32_t pr[3] = { 1, 2, 3 };
	struct geotree *o = geotree_from_prefixes(pa, pl, pr, 3, err, sizeof(err));
	ck_assert_msg(o != NULL, "%s", err);
	struct geotree *p = geotree_product(b.t, o, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	check_tables(p, 1u << 17);
	geotree_free(p);
	geotree_free(o);
	close_all(&b);
}
END_TEST

START_TEST(tables_match_bitwalk_flat)
{
	NEED_FLAT();
	static const char *const names[] = { "flat-v6.mmdb", "flat-v4.mmdb", "flat-v6only.mmdb",
		                             "flat-noalias.mmdb" };
	struct built b;
	build1(&b, tpath(flat_dir, names[_i]), &geodb_preset_flat);
	rng_state = 777 + (uint64_t)_i;
	check_tables(b.t, 1u << 19);
	close_all(&b);
}
END_TEST

START_TEST(tables_match_bitwalk_big)
{
	NEED_FLAT();
	const char *path = tpath(flat_dir, "big-tables.mmdb");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "perl tests/unit/gen/big_mmdb.pl %s 50000 11", path);
	ck_assert_int_eq(system(cmd), 0);
	struct built b;
	build1(&b, path, &geodb_preset_maxmind);
	unlink(path);
	struct geotree_stats st;
	geotree_get_stats(b.t, &st);
	ck_assert_uint_gt(st.nodes, 200000);
	rng_state = 4242;
	check_tables(b.t, 2u << 20);
	close_all(&b);
}
END_TEST

/* Location id at addr (string) in a from_prefixes tree -> its cidr_rule,
 * with the prefix length in *len, after checking it against the walk. */
static uint32_t rule_at(const struct geotree *t, const char *s, unsigned *len)
{
	uint8_t a[16];
	addr16(s, a);
	unsigned l2;
	uint32_t id = geotree_lookup(t, a, len);
	ck_assert_uint_eq(id, gt_lookup_bitwalk(t, a, &l2));
	ck_assert_uint_eq(*len, l2);
	return geotree_location(t, id)->cidr_rule;
}

/* Trees whose leaves sit above, at and below the tables' depths, and the
 * empty tree: exact values and lengths, then the full comparison. */
START_TEST(tables_edge_trees)
{
	struct {
		const char *addr;
		uint8_t len;
		uint32_t rule;
	} pfx[] = {
		{ "10.0.0.0", 96 + 8, 1 },     /* IPv4 leaf above tab4's depth */
		{ "10.20.0.0", 96 + 16, 2 },   /* exactly at it */
		{ "1.2.3.4", 128, 3 },         /* a /32 */
		{ "2001:db8::", 32, 4 },       /* IPv6 below tab6's depth */
		{ "2000::", 3, 5 },            /* IPv6 leaf above it */
		{ "4000::", 16, 6 },           /* exactly at it */
		{ "::ffff:0:0", 96, 7 },       /* all of IPv4 */
		{ "::", 1, 8 },                /* ::/1: a leaf at depth 1 */
	};
	enum { NP = sizeof(pfx) / sizeof(pfx[0]) };
	uint8_t addr[NP][16], len[NP];
	uint32_t rule[NP];
	for (int i = 0; i < NP; i++) {
		addr16(pfx[i].addr, addr[i]);
		len[i] = pfx[i].len;
		rule[i] = pfx[i].rule;
	}
	unsigned l;
	/* The empty tree: one leaf at depth 0. */
	struct geotree *t = geotree_from_prefixes(addr, len, rule, 0, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(rule_at(t, "10.1.1.1", &l), 0);
	ck_assert_uint_eq(l, 0);
	ck_assert_uint_eq(rule_at(t, "2001:db8::1", &l), 0);
	ck_assert_uint_eq(l, 0);
	rng_state = 5;
	check_tables(t, 1u << 16);
	geotree_free(t);

	/* ::/1 alone: IPv4 (under ::/1) ends at depth 1, v4 scope 0. */
	t = geotree_from_prefixes(addr + 7, len + 7, rule + 7, 1, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(rule_at(t, "10.1.1.1", &l), 8);
	ck_assert_uint_eq(l, 1);
	ck_assert_uint_eq(rule_at(t, "8000::1", &l), 0);
	ck_assert_uint_eq(l, 1);
	check_tables(t, 1u << 16);
	geotree_free(t);

	/* The first six: leaves at 104, 128, 32, 16 and shallower ones. */
	t = geotree_from_prefixes(addr, len, rule, 6, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(rule_at(t, "10.99.1.1", &l), 1);
	ck_assert_uint_eq(l, 104);
	ck_assert_uint_eq(rule_at(t, "10.20.255.1", &l), 1); /* rule 1 is earlier */
	ck_assert_uint_eq(l, 104);
	ck_assert_uint_eq(rule_at(t, "1.2.3.4", &l), 3);
	ck_assert_uint_eq(l, 128);
	ck_assert_uint_eq(rule_at(t, "1.2.3.5", &l), 0);
	ck_assert_uint_eq(l, 128);
	ck_assert_uint_eq(rule_at(t, "2001:db8:1::1", &l), 4);
	ck_assert_uint_eq(l, 32);
	ck_assert_uint_eq(rule_at(t, "2400::1", &l), 5); /* splits from 2001:db8:: at bit 5 */
	ck_assert_uint_eq(l, 6);
	ck_assert_uint_eq(rule_at(t, "3fff:1::", &l), 5);
	ck_assert_uint_eq(l, 4);
	ck_assert_uint_eq(rule_at(t, "4000:ffff::", &l), 6);
	ck_assert_uint_eq(l, 16);
	ck_assert_uint_eq(rule_at(t, "4001::", &l), 0);
	ck_assert_uint_eq(l, 16);
	check_tables(t, 1u << 18);
	/* dtree: 10/8 as an IPv4 scope of 8, 1.2.3.4 as 32. */
	uint32_t n = geotree_nlocations(t), dec[16];
	ck_assert_uint_le(n, 16);
	for (uint32_t i = 0; i < n; i++)
		dec[i] = geotree_location(t, i)->cidr_rule;
	struct dtree *d = dtree_build(t, dec, n, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	static const uint8_t ten[4] = { 10, 20, 30, 40 }, one[4] = { 1, 2, 3, 4 };
	ck_assert_uint_eq(dtree_lookup_v4(d, ten, &l), 1);
	ck_assert_uint_eq(l, 8);
	ck_assert_uint_eq(dtree_lookup_v4(d, one, &l), 3);
	ck_assert_uint_eq(l, 32);
	dtree_free(d);
	geotree_free(t);

	/* With all of IPv4 (rule 7) under the finer ones. */
	t = geotree_from_prefixes(addr, len, rule, 7, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(rule_at(t, "9.9.9.9", &l), 7);
	ck_assert_uint_eq(rule_at(t, "10.20.1.1", &l), 1);
	ck_assert_uint_eq(l, 104);
	check_tables(t, 1u << 18);
	geotree_free(t);
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
	tcase_add_loop_test(tc, tables_match_bitwalk_maxmind, 0, 4);
	tcase_add_test(tc, tables_edge_trees);
	suite_add_tcase(s, tc);

	TCase *flat = tcase_create("generated");
	tcase_set_timeout(flat, 120);
	tcase_add_unchecked_fixture(flat, gen_flat_dbs, rm_flat_dbs);
	tcase_add_test(flat, slash8_of_one_decision_gets_slash8);
	tcase_add_loop_test(flat, flat_matches_libmaxminddb, 0, 4);
	tcase_add_test(flat, ipv4_only_and_no_alias);
	tcase_add_test(flat, several_databases);
	tcase_add_test(flat, generated_larger_db);
	tcase_add_loop_test(flat, tables_match_bitwalk_flat, 0, 4);
	tcase_add_test(flat, tables_match_bitwalk_big);
	suite_add_tcase(s, flat);
	return s;
}

#include "tests/unit/check_main.h"
