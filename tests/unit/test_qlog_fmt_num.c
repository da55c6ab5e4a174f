/*
 * test_qlog_fmt_num.c: the numbers of a decision-log line (lat and lon
 * with 4 decimals, pop_km and nearest_km with 1; compare/formats.md) are
 * what printf's %.4f and %.1f write, byte for byte, for millions of
 * values: uniform over the ranges the fields take, near zero (either
 * sign), large, and at and around the halves where rounding decides.
 * printf is the reference implementation here.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/qlog.h"

/* For hot loops: ck_assert reports every passing call to the parent. */
#define REQUIRE(cond, ...)                         \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static double uniform(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng() >> 11) / 9007199254740992.0);
}

/* The line qlog_format writes for a record holding only these numbers,
 * against the same line with the numbers written by snprintf. */
static void check(double lat, double lon, double pop_km, double nearest_km)
{
	static struct qlog_rec r;
	memset(&r, 0, sizeof(r));
	r.method = QLOG_GEODNS;
	r.scope = -1;
	r.has_coords = r.has_pop_km = r.has_nearest_km = true;
	r.lat = lat;
	r.lon = lon;
	r.pop_km = pop_km;
	r.nearest_km = nearest_km;
	char got[QLOG_LINE_MAX], want[QLOG_LINE_MAX];
	size_t n = qlog_format(&r, got, sizeof(got));
	REQUIRE(n > 0, "not formatted");
	got[n] = 0;
	snprintf(want, sizeof(want),
	         "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"server\":null,\"method\":\"geodns\","
	         "\"arm\":null,\"qname\":\".\",\"qtype\":\"TYPE0\",\"resolver\":null,\"ecs\":null,"
	         "\"client\":null,\"country\":null,\"continent\":null,\"lat\":%.4f,\"lon\":%.4f,"
	         "\"pop\":null,\"nearest\":null,\"pop_km\":%.1f,\"nearest_km\":%.1f,\"scope\":null}\n",
	         lat, lon, pop_km, nearest_km);
	REQUIRE(strcmp(got, want) == 0, "%.17g %.17g %.17g %.17g:\n%s%s", lat, lon, pop_km,
	        nearest_km, got, want);
}

START_TEST(uniform_ranges)
{
	for (int i = 0; i < 1000000; i++)
		check(uniform(-90, 90), uniform(-180, 180), uniform(0, 20016), uniform(0, 20016));
}
END_TEST

START_TEST(small_and_large)
{
	for (int i = 0; i < 200000; i++) {
		double e = uniform(-12, 16);   /* 1e-12 .. 1e16: past the fast path's 1e15 */
		double a = pow(10, e) * (rng() & 1 ? -1 : 1);
		double b = pow(10, uniform(-12, 16)) * (rng() & 1 ? -1 : 1);
		check(a, b, fabs(a), b);
	}
	check(0.0, -0.0, 0.0, -0.0);
	check(-0.00004, 0.00004, -0.04, 0.04);
	check(INFINITY, -INFINITY, NAN, 1e300);
}
END_TEST

/* k + 1/2 units of the last decimal, exactly and a few ulps and
 * millionths either side: where round-half-even (printf) and half away
 * from zero differ, and where the fast path hands over to printf. */
START_TEST(halves)
{
	static const double off[] = { 0, 1e-12, -1e-12, 1e-7, -1e-7, 2e-6, -2e-6, 1e-3, -1e-3 };
	for (int i = 0; i < 200000; i++) {
		double k4 = floor(uniform(-1800000, 1800000)), k1 = floor(uniform(0, 200160));
		for (size_t j = 0; j < sizeof(off) / sizeof(off[0]); j++) {
			double a = (k4 + 0.5 + off[j]) / 10000, b = (k1 + 0.5 + off[j]) / 10;
			check(a, nextafter(a, 0), b, nextafter(b, INFINITY));
		}
	}
	/* Exact binary halves: printf rounds them to even. */
	check(0.00005, -0.00015, 0.25, 0.75);
	check(1.00125, -2.00375, 10.05, 1234.25);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("qlog_fmt_num");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, uniform_ranges);
	tcase_add_test(tc, small_and_large);
	tcase_add_test(tc, halves);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
