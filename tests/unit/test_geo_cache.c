/*
 * test_geo_cache.c: the compiled GeoIP trees written to a cache image and
 * read back (geodns/geo_cache.h) are the trees a fresh compile gives, on
 * every test DB (MaxMind's four, City with an ASN overlay and CIDR/ASN
 * rules, the generated flat DBs): node arrays equal node for node, every
 * location equal, the PoP lists and rule table equal, and lookups equal on
 * the first address of every decision network and on random addresses,
 * the nearest PoP and its distance per location equal.
 * Through geo_compile_prev() with a cache dir: the first compile writes the
 * file, the next load reads it; another policy is not served from it.
 * Untrusted file: single-byte changes (every byte of the first 4 KiB,
 * thousands sampled after) are rejected by the checksum; with it
 * recomputed (geo_cache_seal) each is rejected by the structural checks
 * or gives a core whose lookups stay in range; truncations (every length
 * to 1 KiB, thousands sampled after) are rejected. Run under ASan too
 * (make SANITIZE=1).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "geodns/geo_cache.h"
#include "geodns/geo_compile.h"
#include "geodns/geotree.h"
#include "geodns/geotree_int.h"
#include "tests/unit/geotree_test_util.h"

/* A policy over five PoPs: a country rule, a CIDR rule, optionally an
 * ASN rule (with the ASN DB), distance ranking for the rest. */
struct test_conf {
	struct geo_config c;
	struct pop pops[5];
	struct geo_rule rules[3];
	const char *dbs[2];
	const char *codes[1];
	uint32_t asns[1];
	struct geo_cidr cidrs[1];
	unsigned r0[2], r1[1], r2[1];
};

static void make_conf(struct test_conf *t, const char *const *dbs, size_t ndb,
                      const struct geodb_fields *schema, const char *asn_db)
{
	static const char *const names[] = { "lon", "fra", "iad", "sin", "syd" };
	static const double ll[][2] = { { 51.5, -0.12 }, { 50.11, 8.68 }, { 38.95, -77.45 },
		                        { 1.35, 103.82 }, { -33.87, 151.21 } };
	memset(t, 0, sizeof(*t));
	for (size_t p = 0; p < 5; p++)
		t->pops[p] = (struct pop){ .name = names[p], .index = (unsigned)p, .lat = ll[p][0],
			                   .lon = ll[p][1] };
	t->codes[0] = "SE";
	t->r0[0] = 1;
	t->r0[1] = 0;
	t->rules[0] = (struct geo_rule){ .kind = GM_COUNTRY, .codes = t->codes, .n_values = 1,
		                         .pops = t->r0, .n_pops = 2 };
	addr16("::ffff:81.2.69.0", t->cidrs[0].addr);
	t->cidrs[0].len = 96 + 26;
	t->r1[0] = 4;
	t->rules[1] = (struct geo_rule){ .kind = GM_CIDR, .cidrs = t->cidrs, .n_values = 1,
		                         .pops = t->r1, .n_pops = 1 };
	t->asns[0] = 1221;
	t->r2[0] = 3;
	t->rules[2] = (struct geo_rule){ .kind = GM_ASN, .asns = t->asns, .n_values = 1,
		                         .pops = t->r2, .n_pops = 1 };
	for (size_t i = 0; i < ndb; i++)
		t->dbs[i] = dbs[i];
	t->c = (struct geo_config){ .databases = t->dbs, .n_databases = ndb, .schema = *schema,
		                    .asn_database = asn_db, .pops = t->pops, .n_pops = 5,
		                    .rules = t->rules, .n_rules = asn_db ? 3 : 2 };
}

static struct geo_compiled *compile_fresh(const struct geo_config *c)
{
	struct geo_compiled *gc = geo_compile_prev(c, NULL, err, sizeof(err));
	ck_assert_msg(gc != NULL, "%s", err);
	return gc;
}

static void same_trie(const struct trie *a, uint32_t ra, const struct trie *b, uint32_t rb)
{
	ck_assert_uint_eq(ra, rb);
	ck_assert_uint_eq(a->len, b->len);
	ck_assert(memcmp(a->n, b->n, (size_t)a->len * sizeof(*a->n)) == 0);
	ck_assert_uint_eq(a->v4ref, b->v4ref);
	ck_assert_uint_eq(a->v4depth, b->v4depth);
}

struct cmp_ctx {
	const struct geo_compiled *a;
	const struct geo_core *b;
	unsigned n;
};

/* Per decision network of a: the first address answers the same in b. */
static int cmp_leaf(const uint8_t prefix[16], unsigned len, uint32_t value, void *p)
{
	struct cmp_ctx *x = p;
	unsigned sa, sb;
	uint32_t da = dtree_lookup(x->a->tree, prefix, &sa);
	uint32_t db = dtree_lookup(x->b->tree, prefix, &sb);
	REQUIRE(da == value && db == value && sa == len && sb == len,
	        "network /%u: %u/%u vs %u/%u (want %u)", len, da, sa, db, sb, value);
	uint32_t la = geotree_lookup(x->a->loc_tree, prefix, &sa);
	uint32_t lb = geotree_lookup(x->b->loc_tree, prefix, &sb);
	REQUIRE(la == lb && sa == sb, "location lookup differs at a /%u network", len);
	x->n++;
	return 0;
}

/* b (read back) against a (compiled) in every way a reader sees. */
static void same_core(const struct geo_compiled *a, const struct geo_core *b)
{
	ck_assert_uint_eq(a->n_lists, b->n_lists);
	ck_assert_uint_eq(a->fallback_list, b->fallback_list);
	ck_assert_uint_eq(a->n_locs, b->n_locs);
	for (uint32_t d = 0; d < a->n_lists; d++) {
		ck_assert_uint_eq(a->list_len[d], b->list_len[d]);
		ck_assert(memcmp(a->lists + a->list_off[d], b->lists + b->list_off[d],
		                 a->list_len[d] * sizeof(*a->lists)) == 0);
	}
	ck_assert(memcmp(a->loc_rule, b->loc_rule, a->n_locs * sizeof(*a->loc_rule)) == 0);
	ck_assert(memcmp(a->loc_nearest, b->loc_nearest, a->n_locs * sizeof(*a->loc_nearest)) == 0);
	ck_assert(memcmp(a->loc_nearest_km, b->loc_nearest_km,
	                 a->n_locs * sizeof(*a->loc_nearest_km)) == 0);
	same_trie(&a->tree->t, a->tree->root, &b->tree->t, b->tree->root);
	same_trie(&a->loc_tree->t, a->loc_tree->root, &b->loc_tree->t, b->loc_tree->root);
	ck_assert_uint_eq(geotree_nlocations(a->loc_tree), geotree_nlocations(b->loc_tree));
	for (uint32_t i = 0; i < geotree_nlocations(a->loc_tree); i++)
		ck_assert(geo_location_eq(geotree_location(a->loc_tree, i),
		                          geotree_location(b->loc_tree, i)));
	struct cmp_ctx x = { a, b, 0 };
	ck_assert_int_eq(dtree_walk(a->tree, cmp_leaf, &x), 0);
	ck_assert_uint_gt(x.n, 0);
	for (int i = 0; i < 100000; i++) {
		uint8_t addr[16];
		static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff };
		random_under(mapped, i & 1 ? 96 : 0, addr);
		unsigned sa, sb;
		REQUIRE(dtree_lookup(a->tree, addr, &sa) == dtree_lookup(b->tree, addr, &sb) &&
		        sa == sb, "random address %d differs", i);
		REQUIRE(dtree_lookup_v4(a->tree, addr + 12, &sa) ==
		        dtree_lookup_v4(b->tree, addr + 12, &sb) && sa == sb,
		        "random IPv4 address %d differs", i);
	}
}

static void round_trip(const struct geo_config *c)
{
	struct geo_compiled *gc = compile_fresh(c);
	ck_assert_int_eq(gc->origin, GEO_COMPILED);
	size_t len;
	uint64_t key = gc->core->key;
	uint8_t *img = geo_cache_encode(gc->core, &len);
	ck_assert_ptr_nonnull(img);
	char why[128];
	struct geo_core *b = geo_cache_decode(img, len, key, 5, (uint32_t)c->n_rules, why,
	                                      sizeof(why));
	ck_assert_msg(b != NULL, "%s", why);
	same_core(gc, b);
	geo_core_destroy(b);
	/* Wrong key, PoP count or rule count: refused. */
	ck_assert_ptr_null(geo_cache_decode(img, len, key + 1, 5, (uint32_t)c->n_rules, why, sizeof(why)));
	ck_assert_ptr_null(geo_cache_decode(img, len, key, 4, (uint32_t)c->n_rules, why, sizeof(why)));
	ck_assert_ptr_null(geo_cache_decode(img, len, key, 5, 7, why, sizeof(why)));
	free(img);
	geo_compiled_free(gc);
}

START_TEST(round_trip_maxmind)
{
	const char *db = MMDB(maxmind_dbs[_i]);
	struct test_conf t;
	make_conf(&t, &db, 1, &geodb_preset_maxmind, NULL);
	round_trip(&t.c);
}
END_TEST

START_TEST(round_trip_city_asn)
{
	const char *db = MMDB("GeoIP2-City-Test.mmdb");
	struct test_conf t;
	make_conf(&t, &db, 1, &geodb_preset_maxmind, MMDB("GeoLite2-ASN-Test.mmdb"));
	round_trip(&t.c);
}
END_TEST

START_TEST(round_trip_flat)
{
	NEED_FLAT();
	static const char *const names[] = { "flat-v6.mmdb", "flat-v4.mmdb", "flat-v6only.mmdb",
		                             "flat-noalias.mmdb" };
	struct test_conf t;
	const char *two[2] = { tpath(flat_dir, "flat-v4.mmdb"), tpath(flat_dir, "flat-v6only.mmdb") };
	if (_i < 4) {
		const char *db = tpath(flat_dir, names[_i]);
		make_conf(&t, &db, 1, &geodb_preset_flat, NULL);
	} else {
		make_conf(&t, two, 2, &geodb_preset_flat, NULL);
	}
	round_trip(&t.c);
}
END_TEST

/* The compile path with a cache dir: compiled and written, then read. */
START_TEST(compile_uses_cache_file)
{
	char dir[] = "/tmp/steerdns-geocache-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	const char *db = MMDB("GeoIP2-City-Test.mmdb");
	struct test_conf t;
	make_conf(&t, &db, 1, &geodb_preset_maxmind, MMDB("GeoLite2-ASN-Test.mmdb"));
	t.c.cache_dir = dir;
	struct geo_compiled *a = compile_fresh(&t.c);
	ck_assert_int_eq(a->origin, GEO_COMPILED);
	struct geo_compiled *b = compile_fresh(&t.c);
	ck_assert_int_eq(b->origin, GEO_CACHED);
	same_core(a, b->core);
	/* The previous generation's trees: shared, not copied. */
	struct geo_compiled *c = geo_compile_prev(&t.c, b, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->origin, GEO_REUSED);
	ck_assert_ptr_eq(c->core, b->core);
	geo_compiled_free(b); /* c keeps the core alive */
	same_core(a, c->core);
	/* Another policy (a moved PoP) is neither reused nor read from the file. */
	t.pops[4].lat = 10.0;
	struct geo_compiled *d = geo_compile_prev(&t.c, c, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->origin, GEO_COMPILED);
	ck_assert_ptr_ne(d->core, c->core);
	geo_compiled_free(a);
	geo_compiled_free(c);
	geo_compiled_free(d);
	char *path = geo_cache_path(&t.c);
	unlink(path);
	free(path);
	rmdir(dir);
}
END_TEST

/* A decoded core that passed the checks must be safe to use. */
static void use_core(const struct geo_core *c)
{
	for (int i = 0; i < 300; i++) {
		uint8_t a[16];
		for (int k = 0; k < 16; k++)
			a[k] = (uint8_t)rng();
		if (i & 1)
			memcpy(a, (const uint8_t[12]){ [10] = 0xff, [11] = 0xff }, 12);
		unsigned s;
		uint32_t d = dtree_lookup(c->tree, a, &s);
		REQUIRE(d < c->n_lists && s <= 128, "decision %u of %u", d, c->n_lists);
		for (unsigned k = 0; k < c->list_len[d]; k++)
			REQUIRE(c->lists[c->list_off[d] + k] < c->n_pops, "PoP index out of range");
		uint32_t id = geotree_lookup(c->loc_tree, a, &s);
		bool located = geotree_location(c->loc_tree, id)->coords != GEO_COORD_NONE;
		REQUIRE(located ? c->loc_nearest[id] < c->n_pops && c->loc_nearest_km[id] >= 0
		                : c->loc_nearest[id] == GEO_NEAREST_NONE,
		        "nearest PoP of location %u: %u", id, c->loc_nearest[id]);
	}
	ck_assert_uint_lt(c->fallback_list, c->n_lists);
}

static int count_leaf(const uint8_t prefix[16], unsigned len, uint32_t value, void *p)
{
	(void)prefix;
	(void)len;
	(void)value;
	++*(unsigned *)p;
	return 0;
}

START_TEST(corrupt_images_rejected)
{
	const char *db = MMDB("GeoIP2-City-Test.mmdb");
	struct test_conf t;
	make_conf(&t, &db, 1, &geodb_preset_maxmind, MMDB("GeoLite2-ASN-Test.mmdb"));
	struct geo_compiled *gc = compile_fresh(&t.c);
	size_t len;
	uint64_t key = gc->core->key;
	uint8_t *img = geo_cache_encode(gc->core, &len);
	ck_assert_ptr_nonnull(img);
	uint8_t *bad = malloc(len);
	char why[128];
	unsigned loaded = 0, refused = 0;
	/* Every byte of the first 4 KiB (header, DB table, counts, PoP lists,
	 * the start of the locations) and 4,000 random others, one random
	 * change each: the hash refuses all; resealed, the structure checks
	 * refuse or the result is safe to use. (Sampled past 4 KiB so the
	 * suite stays within its timeout under ASan on a busy host.) */
	for (size_t k = 0; k < 4096 + 4000; k++) {
		size_t pos = k < 4096 ? k : (size_t)(rng() % len);
		if (pos >= len)
			continue;
		memcpy(bad, img, len);
		bad[pos] ^= (uint8_t)(1u + rng() % 255u);
		REQUIRE(geo_cache_decode(bad, len, key, 5, 3, why, sizeof(why)) == NULL,
		        "byte %zu changed and accepted", pos);
		if (pos < 40)
			continue;
		geo_cache_seal(bad, len);
		struct geo_core *c = geo_cache_decode(bad, len, key, 5, 3, why, sizeof(why));
		if (!c) {
			refused++;
			continue;
		}
		loaded++;
		use_core(c);
		unsigned n = 0;
		dtree_walk(c->tree, count_leaf, &n);
		geotree_walk(c->loc_tree, count_leaf, &n);
		geo_core_destroy(c);
	}
	/* Both outcomes happen: coordinates may change freely, references not. */
	ck_assert_uint_gt(refused, 0);
	ck_assert_uint_gt(loaded, 0);
	/* Every truncation (and one byte too many), resealed or not. */
	uint8_t *big = malloc(len + 1);
	memcpy(big, img, len);
	big[len] = 0;
	geo_cache_seal(big, len + 1);
	ck_assert_ptr_null(geo_cache_decode(big, len + 1, key, 5, 3, why, sizeof(why)));
	for (size_t k = 0; k < 1024 + 2000; k++) {
		size_t n = k < 1024 ? k : (size_t)(rng() % len);
		REQUIRE(geo_cache_decode(img, n, key, 5, 3, why, sizeof(why)) == NULL, "len %zu", n);
		if (n < 40 || n >= len)
			continue;
		memcpy(bad, img, n);
		geo_cache_seal(bad, n);
		REQUIRE(geo_cache_decode(bad, n, key, 5, 3, why, sizeof(why)) == NULL,
		        "resealed truncation to %zu accepted", n);
	}
	/* Untouched, it still loads. */
	struct geo_core *c = geo_cache_decode(img, len, key, 5, 3, why, sizeof(why));
	ck_assert_msg(c != NULL, "%s", why);
	same_core(gc, c);
	geo_core_destroy(c);
	free(big);
	free(bad);
	free(img);
	geo_compiled_free(gc);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("geo_cache");
	TCase *tc = tcase_create("maxmind");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, round_trip_maxmind, 0, 4);
	tcase_add_test(tc, round_trip_city_asn);
	tcase_add_test(tc, compile_uses_cache_file);
	tcase_add_test(tc, corrupt_images_rejected);
	suite_add_tcase(s, tc);

	TCase *flat = tcase_create("generated");
	tcase_set_timeout(flat, 120);
	tcase_add_unchecked_fixture(flat, gen_flat_dbs, rm_flat_dbs);
	tcase_add_loop_test(flat, round_trip_flat, 0, 5);
	suite_add_tcase(s, flat);
	return s;
}

#include "tests/unit/check_main.h"
