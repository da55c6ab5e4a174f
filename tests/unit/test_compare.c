/*
 * test_compare.c: `steerdns compare` on fixture data whose figures are
 * worked out by hand below: hit rates, nearest-rank percentiles, shares,
 * confusion-matrix cells, continent / country breakdowns, few-samples
 * marking; the A/B arms joined to an RTT CSV; RIPE Atlas samples (NSID
 * from abuf, ping RTTs, errors); malformed lines with their line numbers;
 * an unknown-format file.
 *
 * PoPs (index: name, location, unicast address, identity):
 *   0 fra (50.11, 8.68)   192.0.2.10  fra1
 *   1 ams (52.37, 4.90)   192.0.2.20  ams1
 *   2 iad (38.95, -77.45) 192.0.2.30  iad1
 */
#include <arpa/inet.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/cmp_ctx.h"
#include "compare/cmp_report.h"
#include "compare/cmp_sources.h"
#include "geodns/distance.h"
#include "geodns/geo_config.h"

static struct in_addr v4[3];
static struct pop pops[3] = {
	{ .name = "fra", .index = 0, .lat = 50.11, .lon = 8.68, .identity = "fra1" },
	{ .name = "ams", .index = 1, .lat = 52.37, .lon = 4.9, .identity = "ams1" },
	{ .name = "iad", .index = 2, .lat = 38.95, .lon = -77.45, .identity = "iad1" },
};
static struct geo_config geo = { .pops = pops, .n_pops = 3 };

static char tmpdir[64];
static char *errbuf;
static size_t errlen;
static FILE *errf;

static void setup(void)
{
	inet_pton(AF_INET, "192.0.2.10", &v4[0]);
	inet_pton(AF_INET, "192.0.2.20", &v4[1]);
	inet_pton(AF_INET, "192.0.2.30", &v4[2]);
	for (int i = 0; i < 3; i++) {
		pops[i].v4 = &v4[i];
		pops[i].n_v4 = 1;
	}
	strcpy(tmpdir, "/tmp/steerdns-cmp-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	errf = open_memstream(&errbuf, &errlen);
	ck_assert_ptr_nonnull(errf);
}

static void teardown(void)
{
	char cmd[128];
	fclose(errf);
	free(errbuf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write text to tmpdir/name; returns the path (static buffer rotation). */
static const char *put(const char *name, const char *text)
{
	static char paths[8][128];
	static int k;
	char *p = paths[k++ & 7];
	snprintf(p, 128, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static const char *errs(void)
{
	fflush(errf);
	return errbuf ? errbuf : "";
}

/* RIPE Atlas samples in the repo (tests/data/atlas; the suites run from
 * the repo root). */
static const char *atlas(const char *name)
{
	static char p[2][256];
	static int k;
	char *b = p[k++ & 1];
	snprintf(b, 256, "tests/data/atlas/%s", name);
	return b;
}

START_TEST(percentile_nearest_rank)
{
	static const double v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	/* rank = ceil(p * n / 100): n=10 -> p50 rank 5, p90 rank 9, p99 rank 10. */
	ck_assert_double_eq(cmp_percentile(v, 10, 50), 5);
	ck_assert_double_eq(cmp_percentile(v, 10, 90), 9);
	ck_assert_double_eq(cmp_percentile(v, 10, 99), 10);
	/* n=4: median is rank 2 (no averaging); n=1: the value. */
	ck_assert_double_eq(cmp_percentile(v, 4, 50), 2);
	ck_assert_double_eq(cmp_percentile(v + 6, 1, 99), 7);
	ck_assert(isnan(cmp_percentile(v, 0, 50)));  /* no values: n/a, never 0 */
	/* n=100: p99 is rank 99, not 100 (integer rank, no 0.99*100 drift). */
	double w[100];
	for (int i = 0; i < 100; i++)
		w[i] = i + 1;
	ck_assert_double_eq(cmp_percentile(w, 100, 99), 99);
	ck_assert_double_eq(cmp_percentile(w, 100, 90), 90);
}
END_TEST

/*
 * Five probe runs. anycast RTT is the experienced one for anycast.
 *  1 EU/DE at fra: anycast->ams, rtt fra 5 ams 20 iad 90 anycast 21:
 *    best fra, miss, inflation 21-5 = 16; ecs->fra: hit, 0.
 *  2 EU/DE at fra: anycast->fra, rtt fra 4 ams 10 iad 95 anycast 4: hit, 0;
 *    geodns_resolver pop null -> unknown_pop.
 *  3 EU/NL at ams: anycast->ams, rtt fra 12 ams 2 iad 88 anycast 3: hit,
 *    max(0, 3-2) = 1.
 *  4 NA/US at iad: anycast->fra, rtt fra 80 ams 85 iad 10 anycast 80: miss,
 *    70; ecs->iad: hit, 0.
 *  5 NA/US at iad: anycast->iad, no RTTs: nearest iad, hit (by distance).
 * anycast: 5 samples, 5 rated (4 rtt, 1 distance), 3 hits = 60%.
 *   latency [0, 1, 16, 70]: median rank 2 = 1, p90 rank 4 = 70, p99 = 70;
 *   > 10: 16, 70 = 0.5; > 25: 70 = 0.25.
 *   km [0 (1 is at fra... chosen ams: D(fra,ams)), 0, 0, D(iad,fra), 0]
 *     sorted [0, 0, 0, D(fra,ams), D(iad,fra)]: median rank 3 = 0, p90 rank 5.
 *   confusion chosen x optimal: ams x fra 1, fra x fra 1, ams x ams 1,
 *     fra x iad 1, iad x iad 1.
 *   continents: EU 3 rated, 2 hits, latency [0, 1, 16] median 1;
 *               NA 2 rated, 1 hit, latency [70] median 70.
 *   countries: DE 2/1 [0, 16] median 0; NL 1/1 [1]; US 2/1 [70].
 * geodns-ecs: 2 samples, 2 hits, latency [0, 0] (ecs->fra 5-5, iad 10-10).
 * min_samples 3: few = anycast none of hit/lat/km; NA (2), DE (2), NL (1),
 * geodns-ecs (2) are few; EU (3) is not.
 */
static const char probe_lines[] =
	"{\"vp\":\"p1\",\"vp_addr\":null,\"vp_location\":{\"lat\":50.11,\"lon\":8.68,\"country\":\"DE\","
	"\"continent\":\"EU\"},\"geodns_resolver\":null,\"geodns_ecs\":{\"pop\":\"fra\"},"
	"\"anycast\":{\"nsid\":\"ams1\",\"pop\":\"ams\"},\"rtt_ms\":{\"fra\":5,\"ams\":20,\"iad\":90,"
	"\"anycast\":21},\"k\":5}\n"
	"{\"vp\":\"p2\",\"vp_location\":{\"lat\":50.11,\"lon\":8.68,\"country\":\"DE\",\"continent\":\"EU\"},"
	"\"geodns_resolver\":{\"pop\":null},\"anycast\":{\"pop\":\"fra\"},"
	"\"rtt_ms\":{\"fra\":4,\"ams\":10,\"iad\":95,\"anycast\":4}}\n"
	"\n"
	"{\"vp\":\"p3\",\"vp_location\":{\"lat\":52.37,\"lon\":4.9,\"country\":\"NL\",\"continent\":\"EU\"},"
	"\"anycast\":{\"pop\":\"ams\"},\"rtt_ms\":{\"fra\":12,\"ams\":2,\"iad\":88,\"anycast\":3}}\n"
	"{\"vp\":\"p4\",\"vp_location\":{\"lat\":38.95,\"lon\":-77.45,\"country\":\"US\",\"continent\":\"NA\"},"
	"\"geodns_ecs\":{\"pop\":\"iad\"},\"anycast\":{\"pop\":\"fra\"},"
	"\"rtt_ms\":{\"fra\":80,\"ams\":85,\"iad\":10,\"anycast\":80}}\n"
	"{\"vp\":\"p5\",\"vp_location\":{\"lat\":38.95,\"lon\":-77.45,\"country\":\"US\",\"continent\":\"NA\"},"
	"\"anycast\":{\"pop\":\"iad\"},\"rtt_ms\":null}\n";

static const struct cmp_bucket *find(const struct cmp_bucket *b, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(b[i].key, key))
			return &b[i];
	ck_abort_msg("no bucket %s", key);
	return NULL;
}

START_TEST(probe_figures)
{
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, errf);
	ck_assert_int_eq(cmp_read_file(c, put("probe.jsonl", probe_lines)), 0);
	ck_assert_str_eq(c->files[0].format, "probe");
	ck_assert_uint_eq(c->files[0].lines, 5);
	ck_assert_uint_eq(c->files[0].records, 5);
	ck_assert_uint_eq(c->files[0].malformed, 0);
	ck_assert_uint_eq(c->unknown_pop, 1);
	struct cmp_report *r = cmp_report_build(c, 3);
	ck_assert_ptr_nonnull(r);

	const struct cmp_group_fig *a = &r->g[CG_ANYCAST];
	ck_assert_uint_eq(a->samples, 5);
	ck_assert_uint_eq(a->rated, 5);
	ck_assert_uint_eq(a->by_rtt, 4);
	ck_assert_uint_eq(a->by_dist, 1);
	ck_assert_uint_eq(a->hits, 3);
	ck_assert_uint_eq(a->lat.n, 4);
	ck_assert_double_eq(a->lat.median, 1);
	ck_assert_double_eq(a->lat.p90, 70);
	ck_assert_double_eq(a->lat.p99, 70);
	ck_assert_double_eq(a->lat.over10, 0.5);
	ck_assert_double_eq(a->lat.over25, 0.25);
	ck_assert(!cmp_few(r, a->rated) && !cmp_few(r, a->lat.n));

	double d_fa = geo_distance_km(50.11, 8.68, 52.37, 4.9);
	double d_if = geo_distance_km(38.95, -77.45, 50.11, 8.68);
	ck_assert_uint_eq(a->km.n, 5);
	ck_assert_double_eq(a->km.median, 0);
	ck_assert_double_eq_tol(a->km.p90, d_if, 1e-6);
	ck_assert_double_eq_tol(a->km.mean, (d_fa + d_if) / 5, 1e-6);
	ck_assert(d_fa > 300 && d_fa < 450);  /* Frankfurt-Amsterdam ~ 365 km */

	/* confusion[chosen * 3 + optimal] */
	const size_t *m = a->confusion;
	ck_assert_uint_eq(m[1 * 3 + 0], 1);  /* ams x fra */
	ck_assert_uint_eq(m[0 * 3 + 0], 1);  /* fra x fra */
	ck_assert_uint_eq(m[1 * 3 + 1], 1);  /* ams x ams */
	ck_assert_uint_eq(m[0 * 3 + 2], 1);  /* fra x iad */
	ck_assert_uint_eq(m[2 * 3 + 2], 1);  /* iad x iad */
	size_t sum = 0;
	for (int i = 0; i < 9; i++)
		sum += m[i];
	ck_assert_uint_eq(sum, 5);

	ck_assert_uint_eq(a->n_continents, 2);
	const struct cmp_bucket *eu = find(a->continents, a->n_continents, "EU");
	const struct cmp_bucket *na = find(a->continents, a->n_continents, "NA");
	ck_assert_uint_eq(eu->rated, 3);
	ck_assert_uint_eq(eu->hits, 2);
	ck_assert_double_eq(eu->lat_median, 1);
	ck_assert(!cmp_few(r, eu->rated));
	ck_assert_uint_eq(na->rated, 2);
	ck_assert_uint_eq(na->hits, 1);
	ck_assert_uint_eq(na->n_lat, 1);
	ck_assert_double_eq(na->lat_median, 70);
	ck_assert(cmp_few(r, na->rated));
	ck_assert_uint_eq(a->n_countries, 3);
	ck_assert_str_eq(a->countries[0].key, "DE");  /* sorted */
	ck_assert_uint_eq(a->countries[0].hits, 1);
	ck_assert_double_eq(a->countries[0].lat_median, 0);
	ck_assert_str_eq(a->countries[1].key, "NL");
	ck_assert_uint_eq(a->countries[1].hits, 1);
	ck_assert_str_eq(a->countries[2].key, "US");
	ck_assert_uint_eq(a->countries[2].rated, 2);

	const struct cmp_group_fig *e = &r->g[CG_GEODNS_ECS];
	ck_assert_uint_eq(e->samples, 2);
	ck_assert_uint_eq(e->hits, 2);
	ck_assert_uint_eq(e->lat.n, 2);
	ck_assert_double_eq(e->lat.p99, 0);
	ck_assert(cmp_few(r, e->rated));
	ck_assert_uint_eq(r->g[CG_GEODNS_RESOLVER].samples, 0);

	/* The text report marks few-sample figures and carries the legend. */
	char *txt;
	size_t tl;
	FILE *t = open_memstream(&txt, &tl);
	cmp_report_text(r, t);
	fclose(t);
	/* Wilson 95% of 3/5: 0.2307-0.8824; of 2/2: 0.3424-1 (python, from
	 * the formula in cmp_report.h). Rank intervals for n=4: median ranks
	 * floor(2 - 1.96) -> 1 .. ceil(2 + 1.96) + 1 -> 4: [0, 70]; p90 ranks
	 * floor(3.6 - 1.96 * 0.6) = 2 .. 4: [1, 70]. */
	ck_assert_ptr_nonnull(strstr(txt, "optimal-PoP hit rate   60.0% [23.1-88.2] (3/5)\n"));
	ck_assert_ptr_nonnull(strstr(txt, "median 1.0 [0.0-70.0]  p90 70.0 [1.0-70.0]  p99 70.0  >10ms "
	                                  "50.0%  >25ms 25.0%  (n=4)\n"));
	ck_assert_ptr_nonnull(strstr(txt, "optimal-PoP hit rate   100.0% [34.2-100.0] (2/2) (few samples)"));
	ck_assert_ptr_nonnull(strstr(txt, "nearest-rank"));
	free(txt);
	cmp_report_free(r);
	cmp_ctx_free(c);
}
END_TEST

/*
 * Decision logs joined to an RTT CSV by client /24:
 *  a geodns arm geodns, ECS 198.51.100.0/24 used (client = the ECS subnet)
 *    -> fra; CSV for 198.51.100.x: fra min(30, 25) = 25, ams 12, iad 90:
 *    best ams, miss, inflation 25-12 = 13.
 *  b anycast arm anycast, resolver 203.0.113.7 -> ams; CSV 203.0.113.x:
 *    ams 7, fra 9, iad 80: hit, 0.
 *  c geodns no arm no ECS, 192.0.2.1, located at iad -> iad: steered by
 *    the resolver's address and located there: not rated (it would be a
 *    hit by construction).
 *  d pop "nope" -> skipped (unknown PoP), reported with its line number.
 */
START_TEST(decision_log_ab)
{
	static const char log[] =
		"{\"ts\":\"2026-11-22T10:00:00.123Z\",\"server\":\"fra1\",\"method\":\"geodns\","
		"\"arm\":\"geodns\",\"ecs\":\"198.51.100.0/24\",\"client\":\"198.51.100.0/24\","
		"\"country\":\"DE\",\"continent\":\"EU\",\"lat\":null,\"lon\":null,\"pop\":\"fra\"}\n"
		"{\"server\":\"ams1\",\"method\":\"anycast\",\"arm\":\"anycast\",\"ecs\":null,"
		"\"client\":\"203.0.113.7/32\",\"pop\":\"ams\"}\n"
		"{\"server\":\"iad1\",\"method\":\"geodns\",\"arm\":null,\"ecs\":null,"
		"\"client\":\"192.0.2.1/32\",\"lat\":38.95,\"lon\":-77.45,\"country\":\"US\","
		"\"continent\":\"NA\",\"pop\":\"iad\"}\n"
		"{\"method\":\"geodns\",\"arm\":null,\"ecs\":null,\"client\":\"192.0.2.1/32\",\"pop\":\"nope\"}\n";
	static const char csv[] = "client,pop,rtt_ms\n"
	                          "198.51.100.25,fra,30\n"
	                          "198.51.100.99,ams,12\n"
	                          "198.51.100.7, fra , 25\n"
	                          "203.0.113.200,ams,7\n"
	                          "203.0.113.9,fra,9\n"
	                          "198.51.101.1,iad,1\n"
	                          "198.51.100.3,iad,90\n"
	                          "203.0.113.1,iad,80\n";
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, errf);
	/* CSV after the log on the command line: the join is in phase two. */
	const char *lp = put("decisions.jsonl", log);
	ck_assert_int_eq(cmp_read_file(c, lp), 0);
	ck_assert_int_eq(cmp_read_file(c, put("rtt.csv", csv)), 0);
	ck_assert_str_eq(c->files[0].format, "decision-log");
	ck_assert_str_eq(c->files[1].format, "rtt-csv");
	ck_assert_uint_eq(c->files[1].records, 8);
	ck_assert_uint_eq(c->files[0].skipped, 1);
	char want[256];
	snprintf(want, sizeof(want), "%s:4: skipped: decision log: PoP 'nope' is not in the config",
	         lp);
	ck_assert_msg(strstr(errs(), want), "stderr lacks '%s':\n%s", want, errs());

	struct cmp_report *r = cmp_report_build(c, 30);
	const struct cmp_group_fig *e = &r->g[CG_GEODNS_ECS], *ab = &r->g[CG_AB_GEODNS];
	ck_assert_uint_eq(e->samples, 1);
	ck_assert_uint_eq(e->hits, 0);
	ck_assert_uint_eq(e->by_rtt, 1);
	ck_assert_double_eq(e->lat.median, 13);
	ck_assert_uint_eq(e->confusion[0 * 3 + 1], 1);  /* fra chosen, ams optimal */
	ck_assert_uint_eq(ab->samples, 1);
	ck_assert_double_eq(ab->lat.median, 13);
	ck_assert_str_eq(ab->continents[0].key, "EU");
	ck_assert_uint_eq(r->g[CG_AB_ANYCAST].hits, 1);
	ck_assert_double_eq(r->g[CG_AB_ANYCAST].lat.median, 0);
	ck_assert_uint_eq(r->g[CG_ANYCAST].samples, 1);
	/* b has no location: "??" bucket. */
	ck_assert_str_eq(r->g[CG_ANYCAST].continents[0].key, "??");
	const struct cmp_group_fig *g = &r->g[CG_GEODNS_RESOLVER];
	ck_assert_uint_eq(g->samples, 1);
	ck_assert_uint_eq(g->rated, 0);
	ck_assert_uint_eq(g->unrated_resolver, 1);
	ck_assert_uint_eq(g->km.n, 0);
	ck_assert_uint_eq(g->lat.n, 0);
	ck_assert(isnan(g->lat.median) && isnan(g->km.median));
	ck_assert(cmp_few(r, g->rated));
	cmp_report_free(r);
	cmp_ctx_free(c);
}
END_TEST

START_TEST(malformed_lines)
{
	static const char log[] =
		"{\"method\":\"geodns\",\"ecs\":null,\"client\":\"192.0.2.1\",\"pop\":\"fra\"}\n"
		"{\"method\":\"geodns\", oops\n"
		"{\"method\":\"geodns\",\"ecs\":null,\"client\":\"192.0.2.1\",\"pop\":\"fra\"}\n"
		"{\"method\":\"bgp\",\"pop\":\"fra\"}\n"
		"{\"method\":\"anycast\",\"pop\":7}\n";
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, errf);
	const char *p = put("bad.jsonl", log);
	ck_assert_int_eq(cmp_read_file(c, p), 0);
	ck_assert_uint_eq(c->files[0].lines, 5);
	ck_assert_uint_eq(c->files[0].records, 2);
	ck_assert_uint_eq(c->files[0].malformed, 3);
	char want[256];
	static const int lines[] = { 2, 4, 5 };
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "%s:%d: ", p, lines[i]);
		ck_assert_msg(strstr(errs(), want), "no '%s' on stderr:\n%s", want, errs());
	}
	snprintf(want, sizeof(want), "%s:2: bad JSON at column", p);
	ck_assert_ptr_nonnull(strstr(errs(), want));
	snprintf(want, sizeof(want), "%s:1:", p);
	ck_assert_ptr_null(strstr(errs(), want));

	/* CSV: a bad RTT and a short line, by line number (header is line 1). */
	const char *q = put("r.csv", "client,pop,rtt_ms\n192.0.2.1,fra,abc\n192.0.2.1,fra\n"
	                             "192.0.2.1,fra,3\n");
	ck_assert_int_eq(cmp_read_file(c, q), 0);
	ck_assert_uint_eq(c->files[1].malformed, 2);
	ck_assert_uint_eq(c->files[1].records, 1);
	snprintf(want, sizeof(want), "%s:2: RTT CSV: bad rtt_ms 'abc'", q);
	ck_assert_msg(strstr(errs(), want), "no '%s' on stderr:\n%s", want, errs());
	snprintf(want, sizeof(want), "%s:3: RTT CSV: expected 3 fields", q);
	ck_assert_ptr_nonnull(strstr(errs(), want));
	cmp_ctx_free(c);
}
END_TEST

START_TEST(unknown_format)
{
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, errf);
	const char *p = put("notes.txt", "hello world\nthis is not data\n");
	ck_assert_int_eq(cmp_read_file(c, p), -1);
	ck_assert_msg(strstr(errs(), p) && strstr(errs(), "not a known input format"), "%s", errs());
	/* Valid JSON of no known kind is no known format either. */
	const char *q = put("other.jsonl", "{\"hello\":1}\n");
	ck_assert_int_eq(cmp_read_file(c, q), -1);
	const char *e = put("empty.jsonl", "");
	ck_assert_int_eq(cmp_read_file(c, e), -1);
	ck_assert_int_eq(cmp_read_file(c, "/nonexistent/x.jsonl"), -1);
	ck_assert_ptr_nonnull(strstr(errs(), "/nonexistent/x.jsonl: cannot open"));
	cmp_ctx_free(c);
}
END_TEST

START_TEST(base64_and_nsid)
{
	uint8_t buf[512];
	char nsid[256];
	ck_assert_int_eq(cmp_base64_decode("aGk=", buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "hi", 2);
	ck_assert_int_eq(cmp_base64_decode("aGk", buf, sizeof(buf)), -1);
	ck_assert_int_eq(cmp_base64_decode("a=Gk", buf, sizeof(buf)), -1);
	ck_assert_int_eq(cmp_base64_decode("a!Gk", buf, sizeof(buf)), -1);
	/* Line 23 of dns-results.jsonl: an SOA answer with NSID "dns2.ams". */
	long n = cmp_base64_decode("0geEAAABAAEAAAABCHRlc3R6b25lAAAGAAHADAAGAAEAAAOEAEYDYXJpBWFs"
	                           "cGhhBmFyaWRucwNuZXQCYXUAB3N1cHBvcnQLYXJpc2VydmljZXMDY29tAFOh"
	                           "bEUAAAcIAAABLAAbr4AAAAcIAAApEAAAAAAAAAwAAwAIZG5zMi5hbXM=",
	                           buf, sizeof(buf));
	ck_assert_int_gt(n, 12);
	ck_assert_int_eq(cmp_dns_nsid(buf, (size_t)n, nsid, sizeof(nsid)), 8);
	ck_assert_str_eq(nsid, "dns2.ams");
	/* Truncated: malformed, not "no NSID". */
	ck_assert_int_eq(cmp_dns_nsid(buf, (size_t)n - 3, nsid, sizeof(nsid)), -1);
	/* A bare header (all counts 0): no OPT record, so no NSID. */
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x84, 0 };
	ck_assert_int_eq(cmp_dns_nsid(hdr, sizeof(hdr), nsid, sizeof(nsid)), 0);
}
END_TEST

/* The real Atlas samples: 45 DNS lines holding 56 results (resultsets
 * count each entry): 2 with NSID (k3.ams-ix.k.ripe.net, dns2.ams), 2
 * timeouts, 52 without NSID; 13 pings, one (line 12) with only duplicate
 * replies. PoPs for the pings: zrh 62.2.16.12, zrh2 62.2.16.24. */
START_TEST(atlas_samples)
{
	static struct in_addr a[2];
	static struct pop ap[2] = {
		{ .name = "zrh", .index = 0, .lat = 47.37, .lon = 8.54, .identity = "dns2.ams" },
		{ .name = "zrh2", .index = 1, .lat = 47.37, .lon = 8.54,
		  .identity = "k3.ams-ix.k.ripe.net" },
	};
	static struct geo_config ag = { .pops = ap, .n_pops = 2 };
	inet_pton(AF_INET, "62.2.16.12", &a[0]);
	inet_pton(AF_INET, "62.2.16.24", &a[1]);
	ap[0].v4 = &a[0];
	ap[1].v4 = &a[1];
	ap[0].n_v4 = ap[1].n_v4 = 1;

	struct cmp_ctx *c = cmp_ctx_new(&ag, NULL, errf);
	ck_assert_int_eq(cmp_read_file(c, atlas("dns-results.jsonl")), 0);
	ck_assert_str_eq(c->files[0].format, "atlas");
	ck_assert_uint_eq(c->files[0].lines, 45);
	ck_assert_uint_eq(c->files[0].malformed, 0);
	ck_assert_uint_eq(c->atlas.dns_results, 56);
	ck_assert_uint_eq(c->atlas.dns_nsid, 2);
	ck_assert_uint_eq(c->atlas.dns_errors, 2);
	ck_assert_uint_eq(c->atlas.dns_no_nsid, 52);
	ck_assert_uint_eq(c->n_obs, 2);
	/* Line 8 (prb 14184): k3.ams-ix.k.ripe.net -> zrh2; line 23 dns2.ams -> zrh. */
	ck_assert_int_eq(c->obs[0].chosen, 1);
	ck_assert_int_eq(c->obs[1].chosen, 0);

	ck_assert_int_eq(cmp_read_file(c, atlas("ping-results.jsonl")), 0);
	ck_assert_uint_eq(c->atlas.ping_results, 13);
	ck_assert_uint_eq(c->atlas.ping_no_reply, 1);
	ck_assert_uint_eq(c->n_rows, 12);
	/* Line 1: prb 270 to 62.2.16.12, rtts 43.87, 56.949, 44.346: min 43.87. */
	struct cmp_key k;
	cmp_probe_key(270, &k);
	ck_assert_mem_eq(&c->rows[0].key, &k, sizeof(k));
	ck_assert_int_eq(c->rows[0].pop, 0);
	ck_assert_double_eq(c->rows[0].rtt, 43.87);
	/* Line 11: a lost packet and two dups (36.454, 37.756): 27.768. */
	ck_assert_double_eq(c->rows[10].rtt, 27.768);
	ck_assert_int_eq(c->rows[10].pop, 1);
	char want[300];
	snprintf(want, sizeof(want), "%s:12: skipped: atlas ping result of probe 202 to 62.2.16.24: no reply",
	         atlas("ping-results.jsonl"));
	ck_assert_msg(strstr(errs(), want), "no '%s' in:\n%s", want, errs());
	cmp_ctx_free(c);
}
END_TEST

/*
 * Atlas as one JSON array, joined by prb_id: probe 1 reached fra (NSID
 * fra1) and pings fra 30, ams 10, iad 90: miss, inflation 20. Probe 2
 * reached iad (NSID iad1), pings iad 5, fra 40, ams 45: hit, 0. A timeout result is counted. The
 * ninth element is broken on its second line: reported at file line 11
 * (where the bad token is), the rest unread.
 */
START_TEST(atlas_array_join)
{
	static const char arr[] =
		"[\n"
		"{\"type\":\"dns\",\"prb_id\":1,\"from\":\"198.51.100.1\",\"result\":{\"rt\":3.0,"
		"\"abuf\":\"AACEAAAAAAAAAAABAAApBNAAAAAAAAgAAwAEZnJhMQ==\"}},\n"
		"{\"type\":\"dns\",\"prb_id\":2,\"resultset\":[{\"result\":{\"abuf\":"
		"\"AACEAAAAAAAAAAABAAApBNAAAAAAAAgAAwAEaWFkMQ==\"}},{\"error\":{\"timeout\":5000}}]},\n"
		"{\"type\":\"ping\",\"prb_id\":1,\"dst_addr\":\"192.0.2.10\",\"result\":[{\"rtt\":31},{\"rtt\":30}]},\n"
		"{\"type\":\"ping\",\"prb_id\":1,\"dst_addr\":\"192.0.2.20\",\"result\":[{\"x\":\"*\"},{\"rtt\":10}]},\n"
		"{\"type\":\"ping\",\"prb_id\":2,\"dst_addr\":\"192.0.2.30\",\"result\":[{\"rtt\":5}]},\n"
		"{\"type\":\"ping\",\"prb_id\":1,\"dst_addr\":\"192.0.2.30\",\"result\":[{\"rtt\":90}]},\n"
		"{\"type\":\"ping\",\"prb_id\":2,\"dst_addr\":\"192.0.2.10\",\"result\":[{\"rtt\":40}]},\n"
		"{\"type\":\"ping\",\"prb_id\":2,\"dst_addr\":\"192.0.2.20\",\"result\":[{\"rtt\":45}]},\n"
		"{\"type\":\"ping\",\"prb_id\":2,\n"
		"  \"dst_addr\": oops},\n"
		"{\"type\":\"ping\",\"prb_id\":2,\"dst_addr\":\"192.0.2.10\",\"result\":[{\"rtt\":1}]}\n"
		"]\n";
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, errf);
	const char *p = put("atlas.json", arr);
	ck_assert_int_eq(cmp_read_file(c, p), 0);
	ck_assert_uint_eq(c->files[0].records, 8);
	ck_assert_uint_eq(c->files[0].malformed, 1);
	ck_assert_uint_eq(c->atlas.dns_errors, 1);
	char want[256];
	snprintf(want, sizeof(want), "%s:11: bad JSON", p);
	ck_assert_msg(strstr(errs(), want), "no '%s' in:\n%s", want, errs());
	struct cmp_report *r = cmp_report_build(c, 30);
	const struct cmp_group_fig *a = &r->g[CG_ANYCAST];
	ck_assert_uint_eq(a->samples, 2);
	ck_assert_uint_eq(a->by_rtt, 2);
	ck_assert_uint_eq(a->hits, 1);
	ck_assert_uint_eq(a->lat.n, 2);
	ck_assert_uint_eq(a->lat.n_vals, 2);
	ck_assert_double_eq(a->lat.vals[0].v, 0);
	ck_assert_double_eq(a->lat.vals[1].v, 20);
	ck_assert_uint_eq(a->confusion[0 * 3 + 1], 1);  /* fra chosen, ams optimal */
	ck_assert_uint_eq(a->confusion[2 * 3 + 2], 1);
	cmp_report_free(r);
	cmp_ctx_free(c);
}
END_TEST

/*
 * The decision-log scanner (the fixed form steerdns writes) and jansson
 * (any form) give the same observations: the attribution fixture as
 * written (9 of its 10 lines in the fixed form; D6 has an extra key), and
 * the same lines with their keys in reverse order and a string escaped
 * (all jansson).
 */
START_TEST(decision_scanner_matches_jansson)
{
	FILE *in = fopen("tests/data/compare/attribution/decisions.jsonl", "r");
	ck_assert_ptr_nonnull(in);
	char path[128];
	snprintf(path, sizeof(path), "%s/reordered.jsonl", tmpdir);
	FILE *out = fopen(path, "w");
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, in) > 0) {
		json_t *o = json_loads(line, 0, NULL);
		ck_assert_ptr_nonnull(o);
		json_object_set_new(o, "qname", json_string("a\"b."));
		char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
		fprintf(out, "%s\n", t);
		free(t);
		json_decref(o);
	}
	free(line);
	fclose(in);
	fclose(out);
	struct cmp_ctx *a = cmp_ctx_new(&geo, NULL, errf), *b = cmp_ctx_new(&geo, NULL, errf);
	ck_assert_int_eq(cmp_read_file(a, "tests/data/compare/attribution/decisions.jsonl"), 0);
	ck_assert_int_eq(cmp_read_file(b, path), 0);
	/* Line 1 detects the format (jansson), D6 has ecs_used: 8 scanned. */
	ck_assert_uint_eq(a->files[0].scanned, 8);
	ck_assert_uint_eq(b->files[0].scanned, 0);
	ck_assert_uint_eq(a->files[0].records, 10);
	ck_assert_uint_eq(b->files[0].records, 10);
	ck_assert_uint_eq(a->n_obs, b->n_obs);
	for (size_t i = 0; i < a->n_obs; i++) {
		const struct cmp_obs *x = &a->obs[i], *y = &b->obs[i];
		ck_assert_uint_eq(x->count, y->count);
		ck_assert_uint_eq(x->group, y->group);
		ck_assert_int_eq(x->chosen, y->chosen);
		ck_assert_mem_eq(&x->key, &y->key, sizeof(x->key));
		ck_assert(x->at_resolver == y->at_resolver && x->has_coords == y->has_coords);
		ck_assert(x->lat == y->lat && x->lon == y->lon);
		ck_assert_str_eq(x->country, y->country);
	}
	ck_assert_uint_eq(a->ecs_unused, 3);
	ck_assert_uint_eq(b->ecs_unused, 3);
	cmp_ctx_free(a);
	cmp_ctx_free(b);
}
END_TEST

/* Identical observations fold into one with a count; figures count each. */
START_TEST(observations_fold)
{
	static const char line[] =
		"{\"ts\":\"2026-11-22T10:00:00.000Z\",\"server\":\"fra1\",\"method\":\"anycast\","
		"\"arm\":null,\"qname\":\"w.\",\"qtype\":\"A\",\"resolver\":\"192.0.2.1\",\"ecs\":null,"
		"\"client\":\"192.0.2.1/32\",\"country\":\"DE\",\"continent\":\"EU\",\"lat\":50.11,"
		"\"lon\":8.68,\"pop\":\"ams\",\"nearest\":\"fra\",\"pop_km\":1.0,\"nearest_km\":0.0,"
		"\"scope\":null}\n";
	char text[sizeof(line) * 5];
	text[0] = 0;
	for (int i = 0; i < 5; i++)
		strcat(text, line);
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, errf);
	ck_assert_int_eq(cmp_read_file(c, put("fold.jsonl", text)), 0);
	ck_assert_uint_eq(c->n_obs, 1);
	ck_assert_uint_eq(c->obs[0].count, 5);
	struct cmp_report *r = cmp_report_build(c, 1);
	const struct cmp_group_fig *a = &r->g[CG_ANYCAST];
	/* By distance (no RTTs): nearest fra, chosen ams: 5 misses, each
	 * D(fra, ams) km of inflation. */
	ck_assert_uint_eq(a->samples, 5);
	ck_assert_uint_eq(a->rated, 5);
	ck_assert_uint_eq(a->hits, 0);
	ck_assert_uint_eq(a->km.n, 5);
	ck_assert_uint_eq(a->km.n_vals, 1);
	ck_assert_double_eq_tol(a->km.median, geo_distance_km(50.11, 8.68, 52.37, 4.9), 1e-9);
	cmp_report_free(r);
	cmp_ctx_free(c);
}
END_TEST

/* Failover runs against their definition, computed here by brute force:
 * the sorted answer times split wherever two neighbours are more than the
 * gap apart. Answers go in shuffled, in pieces folded separately and then
 * merged (as partial files do), and the result must not depend on it. */
START_TEST(failover_runs_are_components)
{
	enum { N = 400 };
	int64_t t[N], s[N];
	uint32_t seed = 12345;
	for (int trial = 0; trial < 50; trial++) {
		int64_t gap = 1 + trial % 7;
		for (int i = 0; i < N; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Clustered: gaps both under and over the threshold. */
			t[i] = (int64_t)((seed >> 8) % (N * (1 + trial % 4)));
		}
		memcpy(s, t, sizeof(t));
		for (int i = 1; i < N; i++)   /* insertion sort */
			for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
				int64_t x = s[j];
				s[j] = s[j - 1];
				s[j - 1] = x;
			}
		struct cmp_ctx *a = cmp_ctx_new(&geo, NULL, errf), *b = cmp_ctx_new(&geo, NULL, errf);
		a->gap_ms = b->gap_ms = gap;
		/* a: one answer at a time, in the shuffled order; b: two halves
		 * folded apart, then b's second half added to it run by run. */
		struct cmp_ctx *h = cmp_ctx_new(&geo, NULL, errf);
		h->gap_ms = gap;
		for (int i = 0; i < N; i++) {
			ck_assert_int_eq(cmp_presence_add(a, CG_ANYCAST, 1, t[i], t[i], 1), 0);
			ck_assert_int_eq(cmp_presence_add(i % 2 ? h : b, CG_ANYCAST, 1, t[i], t[i], 1), 0);
		}
		const struct cmp_runs *hr = &h->runs[CG_ANYCAST * 3 + 1];
		for (size_t k = hr->n; k-- > 0;)   /* backwards: not in time order */
			ck_assert_int_eq(cmp_presence_add(b, CG_ANYCAST, 1, hr->r[k].first, hr->r[k].last,
			                                  hr->r[k].n),
			                 0);
		for (int v = 0; v < 2; v++) {
			const struct cmp_runs *r = &(v ? b : a)->runs[CG_ANYCAST * 3 + 1];
			size_t k = 0, start = 0;
			for (size_t i = 1; i <= N; i++) {
				if (i < N && s[i] - s[i - 1] <= gap)
					continue;
				ck_assert_uint_lt(k, r->n);
				ck_assert_int_eq(r->r[k].first, s[start]);
				ck_assert_int_eq(r->r[k].last, s[i - 1]);
				ck_assert_uint_eq(r->r[k].n, i - start);
				k++;
				start = i;
			}
			ck_assert_uint_eq(k, r->n);
		}
		cmp_ctx_free(a);
		cmp_ctx_free(b);
		cmp_ctx_free(h);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tcase_create("compare");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, percentile_nearest_rank);
	tcase_add_test(tc, probe_figures);
	tcase_add_test(tc, decision_log_ab);
	tcase_add_test(tc, malformed_lines);
	tcase_add_test(tc, unknown_format);
	tcase_add_test(tc, base64_and_nsid);
	tcase_add_test(tc, atlas_samples);
	tcase_add_test(tc, atlas_array_join);
	tcase_add_test(tc, decision_scanner_matches_jansson);
	tcase_add_test(tc, observations_fold);
	tcase_add_test(tc, failover_runs_are_components);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
