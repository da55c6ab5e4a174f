/*
 * test_distance.c: haversine distances against known city pairs, PoP
 * ranking (order, ties, distances), the nearest of a distance list (the
 * first of equals), and the ISO 3166 table (complete,
 * sorted, sane continents and centroids, case-insensitive lookup).
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "geodns/distance.h"
#include "geodns/iso3166.h"

#define FRA_LAT 50.1109
#define FRA_LON 8.6821
#define IAD_LAT 39.0438
#define IAD_LON (-77.4874)

START_TEST(haversine_known_pairs)
{
	/* Frankfurt - Ashburn: about 6,500 km (6,549 on the sphere). */
	double d = geo_distance_km(FRA_LAT, FRA_LON, IAD_LAT, IAD_LON);
	ck_assert_msg(fabs(d - 6500.0) < 65.0, "FRA-IAD %f", d);
	ck_assert_msg(fabs(d - 6549.0) < 5.0, "FRA-IAD %f", d);
	/* Symmetric. */
	ck_assert_double_eq_tol(d, geo_distance_km(IAD_LAT, IAD_LON, FRA_LAT, FRA_LON), 1e-9);
	/* London - New York about 5,570 km; Sydney - Tokyo about 7,826 km. */
	d = geo_distance_km(51.5074, -0.1278, 40.7128, -74.0060);
	ck_assert_msg(fabs(d - 5570.0) < 10.0, "LON-NYC %f", d);
	d = geo_distance_km(-33.8688, 151.2093, 35.6762, 139.6503);
	ck_assert_msg(fabs(d - 7826.0) < 10.0, "SYD-TYO %f", d);
	/* Same point, pole to pole, antipodes, across the date line. */
	ck_assert_double_eq_tol(geo_distance_km(10, 20, 10, 20), 0.0, 1e-9);
	ck_assert_double_eq_tol(geo_distance_km(90, 0, -90, 0), M_PI * GEO_EARTH_RADIUS_KM, 1e-6);
	ck_assert_double_eq_tol(geo_distance_km(0, 0, 0, 180), M_PI * GEO_EARTH_RADIUS_KM, 1e-6);
	/* 1 degree of longitude either side of 180 is 2 degrees, not 358. */
	d = geo_distance_km(0, 179, 0, -179);
	ck_assert_msg(fabs(d - 2 * M_PI * GEO_EARTH_RADIUS_KM / 180) < 0.01, "date line %f", d);
}
END_TEST

START_TEST(rank_orders_and_keeps_ties)
{
	const struct geo_point pops[] = {
		{ 35.6762, 139.6503 },  /* 0 Tokyo */
		{ IAD_LAT, IAD_LON },   /* 1 Ashburn */
		{ FRA_LAT, FRA_LON },   /* 2 Frankfurt */
		{ 51.5074, -0.1278 },   /* 3 London */
		{ FRA_LAT, FRA_LON },   /* 4 Frankfurt again: tie with 2 */
	};
	size_t order[5];
	double dist[5];
	/* A client in Paris. */
	geo_rank(48.8566, 2.3522, pops, 5, order, dist);
	ck_assert_uint_eq(order[0], 3);
	ck_assert_uint_eq(order[1], 2);
	ck_assert_uint_eq(order[2], 4); /* equal distance keeps input order */
	ck_assert_uint_eq(order[3], 1);
	ck_assert_uint_eq(order[4], 0);
	ck_assert_double_eq_tol(dist[2], dist[4], 1e-9);
	ck_assert_double_eq_tol(dist[1], geo_distance_km(48.8566, 2.3522, IAD_LAT, IAD_LON), 1e-9);
	/* A client in Washington DC, without a distance buffer. */
	geo_rank(38.9072, -77.0369, pops, 5, order, NULL);
	ck_assert_uint_eq(order[0], 1);
	ck_assert_uint_eq(order[1], 3);
	ck_assert_uint_eq(order[4], 0);
	/* n = 0 and 1 are fine. */
	geo_rank(0, 0, pops, 0, order, NULL);
	geo_rank(0, 0, pops, 1, order, dist);
	ck_assert_uint_eq(order[0], 0);
}
END_TEST

START_TEST(rank_many_without_buffer)
{
	/* More PoPs than the internal 64-entry buffer: sorted either way. */
	struct geo_point pops[100];
	size_t order[100];
	for (int i = 0; i < 100; i++) {
		pops[i].lat = (double)((i * 37) % 100) - 50.0;
		pops[i].lon = (double)((i * 61) % 300) - 150.0;
	}
	geo_rank(10, 10, pops, 100, order, NULL);
	for (int i = 1; i < 100; i++) {
		double a = geo_distance_km(10, 10, pops[order[i - 1]].lat, pops[order[i - 1]].lon);
		double b = geo_distance_km(10, 10, pops[order[i]].lat, pops[order[i]].lon);
		ck_assert_msg(a <= b, "order %d", i);
	}
}
END_TEST

START_TEST(nearest_first_of_equals)
{
	const double d[] = { 3.0, 1.0, 2.0, 1.0, 0.5, 0.5 };
	ck_assert_uint_eq(geo_nearest(d, 1), 0);
	ck_assert_uint_eq(geo_nearest(d, 4), 1);   /* 1.0 twice: the first */
	ck_assert_uint_eq(geo_nearest(d, 6), 4);
	/* geo_distances fills what geo_distance_km gives, point by point. */
	const struct geo_point pops[] = { { FRA_LAT, FRA_LON }, { IAD_LAT, IAD_LON } };
	double got[2];
	geo_distances(48.8566, 2.3522, pops, 2, got);
	ck_assert(got[0] == geo_distance_km(48.8566, 2.3522, FRA_LAT, FRA_LON));
	ck_assert(got[1] == geo_distance_km(48.8566, 2.3522, IAD_LAT, IAD_LON));
	ck_assert_uint_eq(geo_nearest(got, 2), 0);
}
END_TEST

START_TEST(iso_table_complete_and_sane)
{
	size_t n;
	const struct iso3166_country *t = iso3166_table(&n);
	/* 249 assigned ISO 3166-1 codes + XK + EU + AP. */
	ck_assert_uint_eq(n, 252);
	static const char *const continents[] = { "AF", "AN", "AS", "EU", "NA", "OC", "SA" };
	for (size_t i = 0; i < n; i++) {
		if (i)
			ck_assert_msg(strcmp(t[i - 1].code, t[i].code) < 0, "unsorted at %s", t[i].code);
		int ok = 0;
		for (size_t c = 0; c < 7; c++)
			ok |= strcmp(t[i].continent, continents[c]) == 0;
		ck_assert_msg(ok, "%s continent %s", t[i].code, t[i].continent);
		ck_assert(fabs(t[i].lat) <= 90 && fabs(t[i].lon) <= 180);
		ck_assert_ptr_eq(iso3166_lookup(t[i].code), &t[i]);
	}
}
END_TEST

START_TEST(iso_lookup)
{
	static const struct {
		const char *code, *cont;
		double lat, lon; /* a point in the country the centroid must be near */
	} want[] = {
		{ "DE", "EU", 51.0, 10.0 },   { "de", "EU", 51.0, 10.0 },  { "JP", "AS", 36.0, 138.0 },
		{ "BR", "SA", -10.0, -52.0 }, { "AU", "OC", -25.0, 134.0 }, { "US", "NA", 39.0, -98.0 },
		{ "ZA", "AF", -29.0, 25.0 },  { "AQ", "AN", -80.0, 0.0 },   { "RU", "EU", 60.0, 95.0 },
		{ "NZ", "OC", -41.0, 174.0 }, { "SG", "AS", 1.35, 103.8 },  { "GB", "EU", 54.0, -2.0 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct iso3166_country *c = iso3166_lookup(want[i].code);
		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(c->continent, want[i].cont);
		double d = geo_distance_km(c->lat, c->lon, want[i].lat, want[i].lon);
		ck_assert_msg(d < 1500, "%s centroid %f km off", want[i].code, d);
	}
	ck_assert_ptr_null(iso3166_lookup("QQ"));
	ck_assert_ptr_null(iso3166_lookup("D"));
	ck_assert_ptr_null(iso3166_lookup("DEU"));
	ck_assert_ptr_null(iso3166_lookup("1A"));
	ck_assert_ptr_null(iso3166_lookup(""));
	ck_assert_ptr_null(iso3166_lookup(NULL));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("distance");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, haversine_known_pairs);
	tcase_add_test(tc, rank_orders_and_keeps_ties);
	tcase_add_test(tc, rank_many_without_buffer);
	tcase_add_test(tc, nearest_first_of_equals);
	tcase_add_test(tc, iso_table_complete_and_sane);
	tcase_add_test(tc, iso_lookup);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
