/*
 * test_qlog_fmt.c: decision-log lines (compare/formats.md) against lines
 * written by hand: every field, nulls, JSON escapes, numbers rounded as
 * printf's %.4f / %.1f would (ties included), and IPv6 text as RFC 5952
 * and glibc's inet_ntop write it (the longest zero run, the first of
 * equals, mapped and compatible IPv4 dotted).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/dname.h"
#include "common/health.h"
#include "common/qlog.h"

static char line[QLOG_LINE_MAX];

/* line holds n bytes that must end in the newline: cut it off. */
static const char *one_line(size_t n)
{
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(line[n - 1], '\n');
	line[n - 1] = 0;
	return line;
}

static const char *fmt(const struct qlog_rec *r)
{
	return one_line(qlog_format(r, line, sizeof(line)));
}

static const char *fmt_event(const struct qlog_event *ev)
{
	return one_line(qlog_format_event(ev, line, sizeof(line)));
}

static void v6(uint8_t out[16], const uint16_t w[8])
{
	for (int i = 0; i < 8; i++) {
		out[2 * i] = (uint8_t)(w[i] >> 8);
		out[2 * i + 1] = (uint8_t)w[i];
	}
}

START_TEST(full_line)
{
	static struct qlog_rec r;
	memset(&r, 0, sizeof(r));
	r.ts_ms = 1764950400123;   /* 2025-12-05T16:00:00.123Z */
	r.method = QLOG_GEODNS;
	r.arm = QLOG_ANYCAST;
	r.qtype = 28;
	ck_assert_int_gt(dname_from_text("www.ex\\\"am.test.", NULL, r.qname), 0);
	r.has_resolver = true;
	r.resolver[10] = r.resolver[11] = 0xff;
	r.resolver[12] = 192, r.resolver[13] = 0, r.resolver[14] = 2, r.resolver[15] = 1;
	r.ecs_family = 1;
	r.ecs_source = 24;
	r.ecs_addr[0] = 81, r.ecs_addr[1] = 2, r.ecs_addr[2] = 69;
	r.has_client = true;
	memcpy(r.client, r.resolver, 16);
	r.client[15] = 0;
	r.client_len = 120;
	strcpy(r.country, "GB");
	strcpy(r.continent, "EU");
	r.has_coords = true;
	r.lat = 51.5142;
	r.lon = -0.00005;          /* rounds to -0.0001 (not a tie in binary) */
	strcpy(r.pop, "lon\x01");
	r.has_pop_km = true;
	r.pop_km = 0.25;           /* an exact tie: printf rounds to even, 0.2 */
	r.scope = 24;
	strcpy(r.server, "pop\"1");
	ck_assert_str_eq(fmt(&r),
	                 "{\"ts\":\"2025-12-05T16:00:00.123Z\",\"server\":\"pop\\\"1\",\"method\":\"geodns\","
	                 "\"arm\":\"anycast\",\"qname\":\"www.ex\\\\\\\"am.test.\",\"qtype\":\"AAAA\","
	                 "\"resolver\":\"192.0.2.1\",\"ecs\":\"81.2.69.0/24\",\"client\":\"192.0.2.0/24\","
	                 "\"country\":\"GB\",\"continent\":\"EU\",\"lat\":51.5142,\"lon\":-0.0001,"
	                 "\"pop\":\"lon\\u0001\",\"nearest\":null,\"pop_km\":0.2,\"nearest_km\":null,"
	                 "\"scope\":24}");
	/* Nothing known: nulls; another type as TYPEn (RFC 3597). */
	memset(&r, 0, sizeof(r));
	r.ts_ms = 999;
	r.method = QLOG_ANYCAST;
	r.qtype = 65280;
	r.scope = -1;
	ck_assert_str_eq(fmt(&r),
	                 "{\"ts\":\"1970-01-01T00:00:00.999Z\",\"server\":null,\"method\":\"anycast\","
	                 "\"arm\":null,\"qname\":\".\",\"qtype\":\"TYPE65280\",\"resolver\":null,"
	                 "\"ecs\":null,\"client\":null,\"country\":null,\"continent\":null,\"lat\":null,"
	                 "\"lon\":null,\"pop\":null,\"nearest\":null,\"pop_km\":null,\"nearest_km\":null,"
	                 "\"scope\":null}");
}
END_TEST

START_TEST(ipv6_text)
{
	static const struct {
		uint16_t w[8];
		const char *text;
	} cases[] = {
		{ { 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1 }, "2001:db8::1" },
		{ { 0, 0, 0, 0, 0, 0, 0, 1 }, "::1" },
		{ { 0, 0, 0, 0, 0, 0, 0, 0 }, "::" },
		{ { 0xfe80, 0, 0, 0, 0, 0, 0, 0 }, "fe80::" },
		{ { 0x2001, 0xdb8, 0, 0, 1, 0, 0, 1 }, "2001:db8::1:0:0:1" },      /* first of equals */
		{ { 1, 0, 0, 2, 0, 0, 0, 3 }, "1:0:0:2::3" },                     /* the longest */
		{ { 0x2001, 0xdb8, 0, 1, 1, 1, 1, 1 }, "2001:db8:0:1:1:1:1:1" },  /* one zero: kept */
		{ { 0xabcd, 0x0abc, 0x00ab, 0x000a, 0, 0, 0xffff, 0x10 }, "abcd:abc:ab:a::ffff:10" },
		{ { 0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201 }, "::ffff:192.0.2.1" },
		{ { 0, 0, 0, 0, 0, 0, 0xc000, 0x0201 }, "::192.0.2.1" },
		{ { 0, 0, 0, 0, 0, 0xfffe, 0xc000, 0x0201 }, "::fffe:c000:201" },
		{ { 0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201 }, "64:ff9b::c000:201" },
	};
	static struct qlog_rec r;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* An IPv6 ECS option's address is always IPv6 text (a resolver
		 * or client address is IPv4 text when v4-mapped). */
		memset(&r, 0, sizeof(r));
		r.ecs_family = 2;
		r.ecs_source = 128;
		v6(r.ecs_addr, cases[i].w);
		char want[128];
		snprintf(want, sizeof(want), "\"ecs\":\"%s/128\"", cases[i].text);
		ck_assert_msg(strstr(fmt(&r), want), "%s not in %s", want, line);
	}
}
END_TEST

/* PoP health event lines (compare/formats.md "Decision log"): the keys in
 * their order, ts and server as answer lines write them. */
START_TEST(health_event)
{
	static struct qlog_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts_ms = 1795860010050;   /* 2026-11-28T10:00:10.050Z */
	strcpy(ev.server, "fra1");
	strcpy(ev.pop, "fra");
	ev.state = HEALTH_DOWN;
	ck_assert_str_eq(fmt_event(&ev), "{\"ts\":\"2026-11-28T10:00:10.050Z\",\"server\":\"fra1\","
	                                 "\"event\":\"health\",\"pop\":\"fra\",\"state\":\"down\"}");
	ev.state = HEALTH_UP;
	ck_assert_str_eq(fmt_event(&ev), "{\"ts\":\"2026-11-28T10:00:10.050Z\",\"server\":\"fra1\","
	                                 "\"event\":\"health\",\"pop\":\"fra\",\"state\":\"up\"}");
	/* An identity with a quote, a backslash and control bytes; a PoP
	 * name with a quote; the ms of a second's first millisecond. */
	ev.ts_ms = 7;
	strcpy(ev.server, "a\"b\\c\x01\x1f\x7f");
	strcpy(ev.pop, "p\"q");
	ev.state = HEALTH_DRAIN;
	ck_assert_str_eq(fmt_event(&ev),
	                 "{\"ts\":\"1970-01-01T00:00:00.007Z\",\"server\":\"a\\\"b\\\\c\\u0001\\u001f\\u007f\","
	                 "\"event\":\"health\",\"pop\":\"p\\\"q\",\"state\":\"drain\"}");
	/* No identity: null, as in answer lines. */
	ev.server[0] = 0;
	ck_assert_str_eq(fmt_event(&ev), "{\"ts\":\"1970-01-01T00:00:00.007Z\",\"server\":null,"
	                                 "\"event\":\"health\",\"pop\":\"p\\\"q\",\"state\":\"drain\"}");
	/* A buffer below QLOG_LINE_MAX is refused, as for answer lines. */
	ck_assert_uint_eq(qlog_format_event(&ev, line, QLOG_LINE_MAX - 1), 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("qlog_fmt");
	TCase *tc = tcase_create("qlog_fmt");
	tcase_add_test(tc, full_line);
	tcase_add_test(tc, ipv6_text);
	tcase_add_test(tc, health_event);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
