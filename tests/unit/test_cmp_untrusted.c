/*
 * test_cmp_untrusted.c: `steerdns compare` on the inputs its fuzz targets
 * (tests/fuzz/fuzz_cmp_decision.c, fuzz_cmp_partial.c) found mishandled,
 * with results worked out by hand from RFC 8259 and compare/formats.md:
 * the decision-log fixed-form scanner leaves every line JSON does not
 * allow (numbers "+1", ".5", "01", "1-2", integers past 64 bits, reals
 * past DBL_MAX, raw control characters and NUL, bytes that are not UTF-8)
 * to jansson, which counts it malformed; a coordinate "-0" is jansson's
 * integer 0, one location with "0.0"; a country code with a quote is
 * saved in a partial file as a JSON string and read back the same; file
 * entries of a partial file with formats of no known name are one
 * "unknown" entry, as they are after a save; time slots only at seconds
 * a "ts" can give (years 0000 to 9999), their latency sums held at the
 * int64 limits instead of overflowing; a resolver name too long for the
 * table cut at a character, not inside one; a time series over 10,000
 * years in whole-week bins, not one bin a week; a "ts" of month 00 is no
 * time.
 *
 * PoPs: 0 fra, 1 iad (no locations needed: nothing here is rated).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/cmp_ctx.h"
#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

static struct pop pops[2] = {
	{ .name = "fra", .index = 0, .lat = 50.11, .lon = 8.68 },
	{ .name = "iad", .index = 1, .lat = 38.95, .lon = -77.45 },
};
static struct geo_config geo = { .pops = pops, .n_pops = 2 };

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/steerdns-cmpu-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write n bytes to tmpdir/name; the path (static). */
static const char *put(const char *name, const char *text, size_t n)
{
	static char p[2][128];
	static int k;
	char *path = p[k++ & 1];
	snprintf(path, 128, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, n, f), n);
	fclose(f);
	return path;
}

/* c saved as a partial file (then freed) and read back into a new one. */
static struct cmp_ctx *saved_and_read(struct cmp_ctx *c)
{
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/saved.partial", tmpdir);
	ck_assert_msg(cmp_save_partial(c, path, err, sizeof(err)) == 0, "%s", err);
	cmp_ctx_free(c);
	c = cmp_ctx_new(&geo, NULL, NULL);
	ck_assert_int_eq(cmp_read_file(c, path), 0);
	return c;
}

/* A decision-log line in the fixed form qlog_format writes: an anycast
 * answer by PoP fra for client 198.51.100.0/24 at (lat, lon), with the
 * server name and pop value given as raw JSON text. */
static void line(char *out, size_t cap, const char *server, const char *lat, const char *lon,
                 const char *pop, const char *scope)
{
	snprintf(out, cap,
	         "{\"ts\":\"2026-11-22T10:00:00.000Z\",\"server\":%s,\"method\":\"anycast\","
	         "\"arm\":null,\"qname\":\"www.example.test.\",\"qtype\":\"A\","
	         "\"resolver\":\"192.0.2.53\",\"ecs\":null,\"client\":\"198.51.100.0/24\","
	         "\"country\":\"DE\",\"continent\":\"EU\",\"lat\":%s,\"lon\":%s,\"pop\":%s,"
	         "\"nearest\":\"fra\",\"pop_km\":0.0,\"nearest_km\":0.0,\"scope\":%s}\n",
	         server, lat, lon, pop, scope);
}

START_TEST(scanner_refuses_what_json_refuses)
{
	/* Each line but the first (which detects the format) and the last
	 * is no JSON (RFC 8259 section 6: no '+', no leading '.' or zero;
	 * section 7: control characters escaped; section 8.1: UTF-8), or
	 * a number jansson refuses (an integer past json_int_t, a real past
	 * DBL_MAX). Before the fix the scanner used all of them. */
	static const char *const bad[][5] = {
		{ "\"fra1\"", "+50.11", "8.68", "\"fra\"", "24" },
		{ "\"fra1\"", "50.11", ".68", "\"fra\"", "24" },
		{ "\"fra1\"", "50.11", "8.68", "\"fra\"", "024" },
		{ "\"fra1\"", "50.11", "8.68", "\"fra\"", "1-2" },
		{ "\"fra1\"", "50.11", "8.68", "\"fra\"", "123456789012345678901" },
		{ "\"fra1\"", "50.11", "-1e309", "\"fra\"", "24" },
		{ "\"fra1\"", "50.11", "8.68", "\"f\001\"", "24" },
		{ "\"fra\377\"", "50.11", "8.68", "\"fra\"", "24" },
	};
	size_t nbad = sizeof(bad) / sizeof(bad[0]);
	char text[8192], l[1024];
	size_t n = 0;
	line(l, sizeof(l), "\"fra1\"", "50.11", "8.68", "\"fra\"", "24");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", l);
	for (size_t i = 0; i < nbad; i++) {
		line(l, sizeof(l), bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4]);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", l);
	}
	/* A NUL in a string: the scanner read "fra". */
	line(l, sizeof(l), "\"fra1\"", "50.11", "8.68", "\"fra@x\"", "24");
	*strchr(l, '@') = 0;
	size_t ln = strlen(l) + 1 + strlen(l + strlen(l) + 1);
	memcpy(text + n, l, ln);
	n += ln;
	line(l, sizeof(l), "\"fra1\"", "50.11", "8.68", "\"iad\"", "24");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", l);
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	ck_assert_int_eq(cmp_read_file(c, put("bad.jsonl", text, n)), 0);
	ck_assert_uint_eq(c->files[0].lines, nbad + 3);
	ck_assert_uint_eq(c->files[0].malformed, nbad + 1);
	ck_assert_uint_eq(c->files[0].records, 2);
	ck_assert_uint_eq(c->files[0].scanned, 1);   /* the last line */
	/* Two anycast observations: fra (line 1), iad (the last). */
	ck_assert_uint_eq(c->n_obs, 2);
	ck_assert_int_eq(c->obs[0].chosen, 0);
	ck_assert_int_eq(c->obs[1].chosen, 1);
	cmp_ctx_free(c);
}
END_TEST

START_TEST(minus_zero_integer_is_zero)
{
	/* jansson reads -0 as the integer 0, -0.0 as the real -0.0: two
	 * observations (folding compares bits), as the full parser makes
	 * them; 0.0 folds with -0. The scanner reads only the fractions. */
	char text[4096], l[1024];
	size_t n = 0;
	static const char *const lats[] = { "1.0", "-0", "-0.0", "0.0" };
	for (int i = 0; i < 4; i++) {
		line(l, sizeof(l), "\"fra1\"", lats[i], "8.68", "\"fra\"", "24");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", l);
	}
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	ck_assert_int_eq(cmp_read_file(c, put("zero.jsonl", text, n)), 0);
	ck_assert_uint_eq(c->files[0].records, 4);
	ck_assert_uint_eq(c->files[0].scanned, 2);   /* -0.0 and 0.0 */
	ck_assert_uint_eq(c->n_obs, 3);
	ck_assert_uint_eq(c->obs[1].count, 2);       /* -0 and 0.0 */
	ck_assert(!signbit(c->obs[1].lat));
	ck_assert_uint_eq(c->obs[2].count, 1);       /* -0.0 */
	ck_assert(signbit(c->obs[2].lat));
	cmp_ctx_free(c);
}
END_TEST

START_TEST(partial_keeps_codes_with_quotes)
{
	/* Country "\"x" (two bytes: a quote, x) and continent "\u0001E"
	 * are codes compare keeps (two bytes); the partial file must write
	 * them as JSON strings and read them back as they were. */
	char l[1024];
	line(l, sizeof(l), "\"fra1\"", "50.11", "8.68", "\"fra\"", "24");
	char *cc = strstr(l, "\"DE\""), *ct = strstr(l, "\"EU\"");
	ck_assert_ptr_nonnull(cc);
	ck_assert_ptr_nonnull(ct);
	char text[1200];
	snprintf(text, sizeof(text), "%.*s\"\\\"x\",\"continent\":\"\\u0001E\"%s",
	         (int)(cc - l), l, ct + 4);
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	ck_assert_int_eq(cmp_read_file(c, put("codes.jsonl", text, strlen(text))), 0);
	ck_assert_uint_eq(c->files[0].records, 1);
	ck_assert_str_eq(c->obs[0].country, "\"x");
	ck_assert_str_eq(c->obs[0].continent, "\001E");
	c = saved_and_read(c);
	ck_assert_uint_eq(c->n_obs, 1);
	ck_assert_str_eq(c->obs[0].country, "\"x");
	ck_assert_str_eq(c->obs[0].continent, "\001E");
	cmp_ctx_free(c);
}
END_TEST

START_TEST(partial_file_entries_by_kept_format)
{
	/* Two entries of one input whose formats are no format's name: both
	 * are kept as "unknown", so the second is the first listed again
	 * (one entry), as it is after a save and a read. */
	static const char text[] =
		"{\"steerdns_compare_partial\":1,\"pops\":[\"fra\",\"iad\"],\"gap_ms\":10000}\n"
		"{\"file\":{\"path\":\"a.jsonl\",\"format\":\"x\",\"lines\":1,\"used\":0,"
		"\"skipped\":1,\"malformed\":0,\"scanned\":0}}\n"
		"{\"file\":{\"path\":\"a.jsonl\",\"format\":\"y\",\"lines\":1,\"used\":0,"
		"\"skipped\":1,\"malformed\":0,\"scanned\":0}}\n";
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	ck_assert_int_eq(cmp_read_file(c, put("formats.partial", text, strlen(text))), 0);
	ck_assert_uint_eq(c->n_files, 1);
	ck_assert_str_eq(c->files[0].format, "unknown");
	ck_assert_uint_eq(c->files[0].skipped, 1);
	cmp_ctx_free(c);
}
END_TEST

/* A partial file: the header for PoPs fra, iad (and compare's default
 * failover gap, which newer readers check), then lines. */
static const char *partial(const char *name, const char *lines)
{
	static char text[4096];
	snprintf(text, sizeof(text),
	         "{\"steerdns_compare_partial\":1,\"pops\":[\"fra\",\"iad\"],\"gap_ms\":10000}\n"
	         "%s",
	         lines);
	return put(name, text, strlen(text));
}

START_TEST(partial_time_slots_within_parse_range)
{
	/* Seconds of 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z (the
	 * leap second 9999-12-31T23:59:60Z): 719528 and 2932897 days from
	 * 1970-01-01, times 86400. One second more or less is no slot
	 * compare makes ("ts" has four year digits). */
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	ck_assert_int_eq(cmp_read_file(c, partial("edges.partial",
	                                          "{\"t\":[0,-62167219200,1,0,0,0,0]}\n"
	                                          "{\"t\":[0,253402300800,1,0,0,0,0]}\n")),
	                 0);
	ck_assert_uint_eq(c->n_tslots, 2);
	cmp_ctx_free(c);
	static const char *const out[] = { "{\"t\":[0,-62167219201,1,0,0,0,0]}\n",
		                           "{\"t\":[0,253402300801,1,0,0,0,0]}\n" };
	for (int i = 0; i < 2; i++) {
		char *msg = NULL;
		size_t len = 0;
		FILE *e = open_memstream(&msg, &len);
		c = cmp_ctx_new(&geo, NULL, e);
		const char *path = partial("out.partial", out[i]);
		ck_assert_int_eq(cmp_read_file(c, path), -1);
		fclose(e);
		char want[256];
		snprintf(want, sizeof(want), "%s:2: partial file: bad time slot\n", path);
		ck_assert_str_eq(msg, want);
		free(msg);
		cmp_ctx_free(c);
	}
}
END_TEST

START_TEST(partial_latency_sums_held_at_int64)
{
	/* Two slots of one second with 9e18 us of inflation each: the sum,
	 * 1.8e19, is past INT64_MAX (9223372036854775807) and held there
	 * (it overflowed, undefined behaviour); -9e18 twice at INT64_MIN. */
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	static const char lines[] = "{\"t\":[0,1795341600,1,1,1,1,9000000000000000000]}\n"
	                            "{\"t\":[0,1795341600,1,1,1,1,9000000000000000000]}\n"
	                            "{\"t\":[1,1795341600,1,1,1,1,-9000000000000000000]}\n"
	                            "{\"t\":[1,1795341600,1,1,1,1,-9000000000000000000]}\n";
	ck_assert_int_eq(cmp_read_file(c, partial("sums.partial", lines)), 0);
	ck_assert_uint_eq(c->n_tslots, 2);
	ck_assert_int_eq(c->tslots[0].lat_sum_us, INT64_MAX);
	ck_assert_uint_eq(c->tslots[0].n_lat, 2);
	ck_assert_int_eq(c->tslots[1].lat_sum_us, INT64_MIN);
	cmp_ctx_free(c);
}
END_TEST

START_TEST(resolver_cut_at_a_character)
{
	/* A resolver of 30 "\u00e4" (60 bytes of UTF-8) is kept in 47
	 * bytes: 23 whole characters, 46 bytes, not 23 and a half, so that
	 * a partial file can save it as a JSON string and read it back. */
	char l[1024], res[128] = "\"";
	for (int i = 0; i < 30; i++)
		strcat(res, "\xc3\xa4");
	strcat(res, "\"");
	line(l, sizeof(l), "\"fra1\"", "50.11", "8.68", "\"fra\"", "24");
	char text[1200], *r = strstr(l, "\"192.0.2.53\"");
	ck_assert_ptr_nonnull(r);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(r - l), l, res, r + strlen("\"192.0.2.53\""));
	char want[64] = "";
	for (int i = 0; i < 23; i++)
		strcat(want, "\xc3\xa4");
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	ck_assert_int_eq(cmp_read_file(c, put("resolver.jsonl", text, strlen(text))), 0);
	ck_assert_uint_eq(c->n_resolvers, 1);
	ck_assert_str_eq(c->resolvers[0].addr, want);
	c = saved_and_read(c);
	ck_assert_uint_eq(c->n_resolvers, 1);
	ck_assert_str_eq(c->resolvers[0].addr, want);
	ck_assert_uint_eq(c->resolvers[0].answers, 1);
	cmp_ctx_free(c);
}
END_TEST

START_TEST(series_of_ten_thousand_years)
{
	/* Two lines, 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: a span
	 * of 62167219200 + 253402300799 = 315569519999 s, past 48 bins of
	 * the widest table width (7 days). Whole weeks then, at least
	 * 315569519999 / (48 * 604800) = 10870.3, so from 10871, and one more
	 * week until the bins from the aligned start number at most 48: with
	 * w weeks the start is floor(-62167219200 / (604800 w)) = -10 bins
	 * from 0 (for w from 10871 to 11026), and the bins are
	 * floor((253402300799 + 10 * 604800 w) / (604800 w)) + 1, which is 49
	 * up to w = 11025 and 48 at w = 11026 (253402300799 / 6668524800 =
	 * 37.99, + 10, + 1). Before: one bin per week, over 521,000 of them. */
	char l[1024], text[2048];
	line(l, sizeof(l), "\"fra1\"", "50.11", "8.68", "\"fra\"", "24");
	char *ts = strstr(l, "2026-11-22T10:00:00.000Z");
	ck_assert_ptr_nonnull(ts);
	memcpy(ts, "0000-01-01T00:00:00.000Z", 24);
	snprintf(text, sizeof(text), "%s", l);
	memcpy(ts, "9999-12-31T23:59:59.000Z", 24);
	strcat(text, l);
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	ck_assert_int_eq(cmp_read_file(c, put("span.jsonl", text, strlen(text))), 0);
	struct cmp_series s;
	ck_assert_int_eq(cmp_series_build(c, &s), 0);
	ck_assert_int_eq(s.bin_s, 11026LL * 604800);
	ck_assert_int_eq(s.start, -10 * 11026LL * 604800);
	ck_assert_uint_eq(s.n_bins, 48);
	ck_assert_uint_eq(s.bins[0 * CG_N + CG_ANYCAST].samples, 1);
	ck_assert_uint_eq(s.bins[47 * CG_N + CG_ANYCAST].samples, 1);
	free(s.bins);
	cmp_ctx_free(c);
}
END_TEST

START_TEST(series_alignment_keeps_48_bins)
{
	/* Seconds 1 and 96: 2 s bins would cover the span in 48 (95 / 2 + 1),
	 * but aligned to 2 they start at 0: (96 - 0) / 2 + 1 = 49 bins. So
	 * the next width, 5 s: start 0, 96 / 5 + 1 = 20 bins, second 1 in
	 * bin 0, second 96 in bin 19. */
	struct cmp_ctx *c = cmp_ctx_new(&geo, NULL, NULL);
	struct cmp_tslot a = { .group = CG_ANYCAST, .sec = 1, .samples = 1 };
	struct cmp_tslot b = { .group = CG_ANYCAST, .sec = 96, .samples = 2 };
	ck_assert_int_eq(cmp_tslot_add(c, &a), 0);
	ck_assert_int_eq(cmp_tslot_add(c, &b), 0);
	struct cmp_series s;
	ck_assert_int_eq(cmp_series_build(c, &s), 0);
	ck_assert_int_eq(s.bin_s, 5);
	ck_assert_int_eq(s.start, 0);
	ck_assert_uint_eq(s.n_bins, 20);
	ck_assert_uint_eq(s.bins[0 * CG_N + CG_ANYCAST].samples, 1);
	ck_assert_uint_eq(s.bins[19 * CG_N + CG_ANYCAST].samples, 2);
	free(s.bins);
	cmp_ctx_free(c);
}
END_TEST

START_TEST(ts_month_00_is_no_time)
{
	/* RFC 3339 5.6: date-month is 01-12. Month 00 was read as month -1
	 * (timegm: December of the year before, year -1 for 0000-00-01),
	 * a slot no partial file may hold. The edges of what is read: 0000-
	 * 01-01 is 719528 days before 1970-01-01, 9999-12-31T23:59:60 is
	 * 2932897 days after. */
	ck_assert(cmp_parse_ts("0000-00-01T00:00:00.000Z") == CMP_NO_TS);
	ck_assert(cmp_parse_ts("2026-00-22T10:00:00Z") == CMP_NO_TS);
	ck_assert(cmp_parse_ts("2026-13-22T10:00:00Z") == CMP_NO_TS);
	ck_assert_int_eq(cmp_parse_ts("0000-01-01T00:00:00.000Z"), -719528LL * 86400 * 1000);
	ck_assert_int_eq(cmp_parse_ts("9999-12-31T23:59:60.999Z"), 2932897LL * 86400 * 1000 + 999);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("cmp_untrusted");
	TCase *tc = tcase_create("cmp_untrusted");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, scanner_refuses_what_json_refuses);
	tcase_add_test(tc, minus_zero_integer_is_zero);
	tcase_add_test(tc, partial_keeps_codes_with_quotes);
	tcase_add_test(tc, partial_file_entries_by_kept_format);
	tcase_add_test(tc, partial_time_slots_within_parse_range);
	tcase_add_test(tc, partial_latency_sums_held_at_int64);
	tcase_add_test(tc, resolver_cut_at_a_character);
	tcase_add_test(tc, series_of_ten_thousand_years);
	tcase_add_test(tc, series_alignment_keeps_48_bins);
	tcase_add_test(tc, ts_month_00_is_no_time);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
