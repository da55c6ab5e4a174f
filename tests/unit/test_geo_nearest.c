/*
 * test_geo_nearest.c: the nearest PoP and its distance that geo_compile
 * stores per location (geo_compiled.loc_nearest, loc_nearest_km), and
 * what the decision log's locator (geodns_locator.place) writes from
 * them, against a great-circle distance computed here from its
 * definition: for every location of MaxMind's test DBs (tests/data/mmdb),
 * alone, two together and with the ASN DB, under the PoPs of the test
 * configs (policy rules included: the nearest PoP is by distance whatever
 * the policy says) and a set with two PoPs at the same place (ties keep
 * config order). Run under ASan too (make SANITIZE=1).
 */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/qlog.h"
#include "geodns/geo_compile.h"
#include "geodns/geodns_module.h"
#include "geodns/geotree.h"
#include "tests/unit/geotree_test_util.h"

/* compare/formats.md: great-circle distances on a sphere of the mean
 * Earth radius (IUGG), in km. */
#define RADIUS_KM 6371.0088
/* Two computations of one distance differ in their last bits: far below
 * the 0.1 km the log prints, far above a wrong PoP. */
#define TOL_KM 1e-9

/* hav(x) = sin^2(x / 2). Central angle c between two points:
 * hav(c) = hav(lat2 - lat1) + cos(lat1) cos(lat2) hav(lon2 - lon1),
 * c = 2 atan2(sqrt(hav c), sqrt(1 - hav c)); distance R c. */
static double hav(double x)
{
	double s = sin(x / 2);
	return s * s;
}

static double great_circle_km(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = M_PI / 180;
	double h = hav((lat2 - lat1) * rad) + cos(lat1 * rad) * cos(lat2 * rad) * hav((lon2 - lon1) * rad);
	if (h > 1)
		h = 1;
	return RADIUS_KM * 2 * atan2(sqrt(h), sqrt(1 - h));
}

struct pop_def {
	const char *name;
	double lat, lon;
};

/* The PoP sets, from the configs the tests and the bench run. */
static const struct pop_def bench_pops[] = {   /* tests/bench, test_geo_cache, config/run.yaml */
	{ "lon", 51.5, -0.12 }, { "fra", 50.11, 8.68 }, { "iad", 38.95, -77.45 },
	{ "sin", 1.35, 103.82 }, { "syd", -33.87, 151.21 },
};
static const struct pop_def every_key_pops[] = {   /* tests/data/configs/geodns-every-key.yaml */
	{ "fra", 50.11, 8.68 }, { "iad", 38.95, -77.45 }, { "sin", 1.35, 103.82 },
	{ "syd", -33.87, 151.21 },
};
static const struct pop_def dlog_pops[] = {   /* tests/integration/test_decision_log.py */
	{ "lon", 51.5, -0.12 }, { "iad", 38.95, -77.45 },
};
static const struct pop_def ab_pops[] = {   /* tests/data/configs/ab.yaml */
	{ "lon", 51.5, -0.12 }, { "nyc", 40.7, -74.0 },
};
static const struct pop_def tie_pops[] = {   /* fra twice: the first must win */
	{ "iad", 38.95, -77.45 }, { "fra", 50.11, 8.68 }, { "lon", 51.5, -0.12 },
	{ "fra2", 50.11, 8.68 }, { "syd", -33.87, 151.21 },
};
static const struct pop_def one_pop[] = { { "sin", 1.35, 103.82 } };

static const struct {
	const struct pop_def *pops;
	size_t n;
	bool rules;   /* geodns-every-key.yaml's location rules */
} pop_sets[] = {
	{ bench_pops, 5, false }, { every_key_pops, 4, true }, { dlog_pops, 2, false },
	{ ab_pops, 2, false },    { tie_pops, 5, false },      { one_pop, 1, false },
};
#define N_SETS (sizeof(pop_sets) / sizeof(pop_sets[0]))

/* The DB combinations: each City/Country DB alone, the two of
 * geodns-every-key.yaml together, and City with the ASN DB. */
static const struct {
	const char *dbs[2];
	size_t n;
	const char *asn;
} db_sets[] = {
	{ { "GeoIP2-City-Test.mmdb" }, 1, NULL },
	{ { "GeoLite2-City-Test.mmdb" }, 1, NULL },
	{ { "GeoIP2-Country-Test.mmdb" }, 1, NULL },
	{ { "GeoLite2-Country-Test.mmdb" }, 1, NULL },
	{ { "GeoIP2-City-Test.mmdb", "GeoLite2-City-Test.mmdb" }, 2, NULL },
	{ { "GeoIP2-City-Test.mmdb" }, 1, "GeoLite2-ASN-Test.mmdb" },
};
#define N_DB_SETS (sizeof(db_sets) / sizeof(db_sets[0]))

struct test_conf {
	struct geo_config c;
	struct pop pops[8];
	const char *dbs[2];
	struct geo_rule rules[3];
	const char *eu_af[2], *cn_ru[2], *us_ca[1];
	unsigned r_fra[1], r_sin_fra[2], r_iad_sin[2];
};

static void make_conf(struct test_conf *t, size_t set, size_t dbset)
{
	memset(t, 0, sizeof(*t));
	for (size_t p = 0; p < pop_sets[set].n; p++) {
		const struct pop_def *d = &pop_sets[set].pops[p];
		t->pops[p] = (struct pop){ .name = d->name, .index = (unsigned)p, .lat = d->lat,
			                   .lon = d->lon };
	}
	size_t nr = 0;
	if (pop_sets[set].rules) {
		/* continent [EU, AF] -> fra; country [CN, RU] -> sin, fra;
		 * subdivision US-CA -> iad, sin (indexes in every_key_pops). */
		t->eu_af[0] = "EU";
		t->eu_af[1] = "AF";
		t->r_fra[0] = 0;
		t->rules[nr++] = (struct geo_rule){ .kind = GM_CONTINENT, .codes = t->eu_af,
			                            .n_values = 2, .pops = t->r_fra, .n_pops = 1 };
		t->cn_ru[0] = "CN";
		t->cn_ru[1] = "RU";
		t->r_sin_fra[0] = 2;
		t->r_sin_fra[1] = 0;
		t->rules[nr++] = (struct geo_rule){ .kind = GM_COUNTRY, .codes = t->cn_ru,
			                            .n_values = 2, .pops = t->r_sin_fra, .n_pops = 2 };
		t->us_ca[0] = "US-CA";
		t->r_iad_sin[0] = 1;
		t->r_iad_sin[1] = 2;
		t->rules[nr++] = (struct geo_rule){ .kind = GM_SUBDIVISION, .codes = t->us_ca,
			                            .n_values = 1, .pops = t->r_iad_sin, .n_pops = 2 };
	}
	for (size_t i = 0; i < db_sets[dbset].n; i++)
		t->dbs[i] = MMDB(db_sets[dbset].dbs[i]);
	t->c = (struct geo_config){ .databases = t->dbs, .n_databases = db_sets[dbset].n,
		                    .schema = geodb_preset_maxmind,
		                    .asn_database = db_sets[dbset].asn ? MMDB(db_sets[dbset].asn) : NULL,
		                    .pops = t->pops, .n_pops = pop_sets[set].n, .rules = t->rules,
		                    .n_rules = nr };
}

/* Distances from loc to every PoP (here, not by the code under test) and
 * the nearest: the smallest, the first in config order among equals. */
static size_t expect_nearest(const struct geo_config *c, const struct geo_location *loc,
                             double *d)
{
	size_t best = 0;
	for (size_t p = 0; p < c->n_pops; p++) {
		d[p] = great_circle_km(loc->lat, loc->lon, c->pops[p].lat, c->pops[p].lon);
		if (d[p] < d[best])
			best = p;
	}
	return best;
}

/* got is the nearest PoP: best, or (two PoPs at distances equal up to
 * rounding) one at another place as near. */
static bool same_nearest(const struct geo_config *c, const double *d, size_t got, size_t best)
{
	if (got == best)
		return true;
	const struct pop *a = &c->pops[got], *b = &c->pops[best];
	bool same_place = a->lat == b->lat && a->lon == b->lon;
	return !same_place && fabs(d[got] - d[best]) <= TOL_KM;
}

struct walk_ctx {
	const struct geo_compiled *gc;
	uint8_t *seen;          /* per location id */
	unsigned placed;        /* locations checked through the locator */
};

/* The first network of each location: what the locator writes into a
 * decision-log record for a client there, for every answered PoP and
 * for none. */
static int check_leaf(const uint8_t prefix[16], unsigned len, uint32_t id, void *p)
{
	(void)len;
	struct walk_ctx *x = p;
	const struct geo_compiled *gc = x->gc;
	const struct geo_config *c = gc->conf;
	if (id == GEO_LOC_UNKNOWN || x->seen[id])
		return 0;
	x->seen[id] = 1;
	x->placed++;
	const struct geo_location *loc = geotree_location(gc->loc_tree, id);
	double d[8];
	bool located = loc->coords != GEO_COORD_NONE;
	size_t best = located ? expect_nearest(c, loc, d) : 0;
	struct steer_client cl = { .from_ecs = true };
	memcpy(cl.addr, prefix, 16);
	for (int pop = -1; pop < (int)c->n_pops; pop++) {
		struct qlog_rec r;
		memset(&r, 0, sizeof(r));
		geodns_locator.place(gc, &cl, pop, &r);
		REQUIRE(memcmp(r.country, loc->country, 3) == 0 &&
		        memcmp(r.continent, loc->continent, 3) == 0, "location %u: country", id);
		if (!located) {
			REQUIRE(!r.has_coords && !r.nearest[0] && !r.has_nearest_km && !r.has_pop_km,
			        "location %u without coordinates has a nearest PoP", id);
			continue;
		}
		REQUIRE(r.has_coords && r.lat == loc->lat && r.lon == loc->lon, "location %u", id);
		size_t got = c->n_pops;
		for (size_t k = 0; k < c->n_pops; k++)
			if (strcmp(r.nearest, c->pops[k].name) == 0)
				got = k;
		REQUIRE(got < c->n_pops && same_nearest(c, d, got, best),
		        "location %u (%f,%f): nearest %s, want %s", id, loc->lat, loc->lon, r.nearest,
		        c->pops[best].name);
		REQUIRE(r.has_nearest_km && fabs(r.nearest_km - d[best]) <= TOL_KM,
		        "location %u: nearest_km %.12f, want %.12f", id, r.nearest_km, d[best]);
		if (pop < 0) {
			REQUIRE(!r.has_pop_km, "location %u: pop_km without a PoP", id);
		} else {
			REQUIRE(r.has_pop_km && fabs(r.pop_km - d[pop]) <= TOL_KM,
			        "location %u: pop_km to %s %.12f, want %.12f", id, c->pops[pop].name,
			        r.pop_km, d[pop]);
		}
	}
	return 0;
}

/* Every location of the DB set dbset under PoP set set. */
static void check_set(size_t set, size_t dbset)
{
	struct test_conf t;
	make_conf(&t, set, dbset);
	struct geo_compiled *gc = geo_compile(&t.c, err, sizeof(err));
	ck_assert_msg(gc != NULL, "%s", err);
	unsigned located = 0;
	for (uint32_t id = 0; id < gc->n_locs; id++) {
		const struct geo_location *loc = geotree_location(gc->loc_tree, id);
		if (loc->coords == GEO_COORD_NONE) {
			REQUIRE(gc->loc_nearest[id] == GEO_NEAREST_NONE,
			        "location %u has no coordinates but nearest %u", id, gc->loc_nearest[id]);
			continue;
		}
		located++;
		double d[8];
		size_t best = expect_nearest(&t.c, loc, d);
		size_t got = gc->loc_nearest[id];
		REQUIRE(got < t.c.n_pops && same_nearest(&t.c, d, got, best),
		        "location %u (%f,%f): nearest %zu, want %zu", id, loc->lat, loc->lon, got, best);
		REQUIRE(fabs(gc->loc_nearest_km[id] - d[best]) <= TOL_KM,
		        "location %u: %.12f km, want %.12f", id, gc->loc_nearest_km[id], d[best]);
	}
	/* Each DB places clients (the Country DBs at country centroids). */
	ck_assert_uint_gt(located, 5);

	struct walk_ctx x = { gc, calloc(gc->n_locs, 1), 0 };
	ck_assert_ptr_nonnull(x.seen);
	ck_assert_int_eq(geotree_walk(gc->loc_tree, check_leaf, &x), 0);
	ck_assert_uint_gt(x.placed, 5);
	free(x.seen);
	geo_compiled_free(gc);
}

START_TEST(nearest_equals_great_circle)
{
	check_set((size_t)_i / N_DB_SETS, (size_t)_i % N_DB_SETS);
}
END_TEST

/* Two PoPs at one place: every client nearer to it than to the others
 * gets the first of the two, never the second. */
START_TEST(ties_keep_config_order)
{
	struct test_conf t;
	make_conf(&t, 4, 0);
	struct geo_compiled *gc = geo_compile(&t.c, err, sizeof(err));
	ck_assert_msg(gc != NULL, "%s", err);
	unsigned fra = 0;
	for (uint32_t id = 0; id < gc->n_locs; id++) {
		ck_assert_uint_ne(gc->loc_nearest[id], 3);
		fra += gc->loc_nearest[id] == 1;
	}
	ck_assert_uint_gt(fra, 0);
	geo_compiled_free(gc);
}
END_TEST

/* The definition above on hand-picked points: the same point, pole to
 * pole, across the date line, one degree of latitude. */
START_TEST(definition_sane)
{
	ck_assert_double_eq_tol(great_circle_km(10, 20, 10, 20), 0.0, 1e-12);
	ck_assert_double_eq_tol(great_circle_km(90, 0, -90, 0), M_PI * RADIUS_KM, 1e-6);
	ck_assert_double_eq_tol(great_circle_km(0, 179, 0, -179), 2 * M_PI * RADIUS_KM / 180, 1e-6);
	/* One degree of latitude is R * pi / 180 anywhere on a sphere. */
	ck_assert_double_eq_tol(great_circle_km(10, 33, 11, 33), M_PI * RADIUS_KM / 180, 1e-6);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("geo_nearest");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, definition_sane);
	tcase_add_loop_test(tc, nearest_equals_great_circle, 0, (int)(N_SETS * N_DB_SETS));
	tcase_add_test(tc, ties_keep_config_order);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
