/*
 * test_rdata.c: presentation-format rdata -> wire bytes (rdata_text.c),
 * one test per type plus the rejections with their exact messages.
 */
#include <check.h>
#include <string.h>

#include "common/dname.h"
#include "common/rdata_text.h"
#include "common/zone.h"

/* example.test. */
static const uint8_t origin[] = "\7example\4test";

static uint8_t out[65535];
static char err[512];

/* Convert and compare with the expected wire bytes. */
#define CHECK_RDATA(type, text, ...)                                                  \
	do {                                                                          \
		static const uint8_t want_[] = { __VA_ARGS__ };                       \
		err[0] = 0;                                                           \
		int n_ = rdata_from_text((type), (text), origin, out, sizeof(out), err, \
		                         sizeof(err));                                \
		ck_assert_msg(n_ == (int)sizeof(want_), "%s: len %d want %zu (%s)",   \
		              (text), n_, sizeof(want_), err);                        \
		ck_assert_mem_eq(out, want_, sizeof(want_));                          \
	} while (0)

#define CHECK_FAIL(type, text, msg)                                                   \
	do {                                                                          \
		err[0] = 0;                                                           \
		int n_ = rdata_from_text((type), (text), origin, out, sizeof(out), err, \
		                         sizeof(err));                                \
		ck_assert_int_eq(n_, -1);                                             \
		ck_assert_str_eq(err, (msg));                                         \
	} while (0)

START_TEST(test_a)
{
	CHECK_RDATA(RRT_A, "192.0.2.1", 192, 0, 2, 1);
	CHECK_RDATA(RRT_A, "  10.0.0.255 ", 10, 0, 0, 255);
	CHECK_FAIL(RRT_A, "192.0.2.256", "A: bad IPv4 address '192.0.2.256'");
	CHECK_FAIL(RRT_A, "192.0.2", "A: bad IPv4 address '192.0.2'");
	CHECK_FAIL(RRT_A, "2001:db8::1", "A: bad IPv4 address '2001:db8::1'");
	CHECK_FAIL(RRT_A, "", "A: empty rdata, expected 'IPv4 address'");
	CHECK_FAIL(RRT_A, "1.2.3.4 5.6.7.8", "A: expected 1 field 'IPv4 address', got 2");
}
END_TEST

START_TEST(test_aaaa)
{
	CHECK_RDATA(RRT_AAAA, "2001:db8::1", 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	            1);
	CHECK_RDATA(RRT_AAAA, "::ffff:192.0.2.1", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0,
	            2, 1);
	CHECK_FAIL(RRT_AAAA, "2001:db8::g", "AAAA: bad IPv6 address '2001:db8::g'");
	CHECK_FAIL(RRT_AAAA, "192.0.2.1", "AAAA: bad IPv6 address '192.0.2.1'");
	CHECK_FAIL(RRT_AAAA, "1:2:3:4:5:6:7:8:9", "AAAA: bad IPv6 address '1:2:3:4:5:6:7:8:9'");
}
END_TEST

START_TEST(test_names)
{
	/* Relative to the origin, absolute, "@", lowercased. */
	CHECK_RDATA(RRT_NS, "ns1", 3, 'n', 's', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't',
	            'e', 's', 't', 0);
	CHECK_RDATA(RRT_CNAME, "WWW.Example.NET.", 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l',
	            'e', 3, 'n', 'e', 't', 0);
	CHECK_RDATA(RRT_PTR, "@", 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0);
	CHECK_RDATA(RRT_PTR, "a\\.b.", 3, 'a', '.', 'b', 0);
	CHECK_FAIL(RRT_NS, "a..b", "NS: bad name 'a..b': bad name syntax");
	CHECK_FAIL(RRT_NS, "\"ns1\"", "NS: a name cannot be quoted");
	CHECK_FAIL(RRT_CNAME, "a b", "CNAME: expected 1 field 'name', got 2");
	CHECK_FAIL(RRT_CNAME,
	           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.net.",
	           "CNAME: bad name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.net.': "
	           "label longer than 63 bytes");
	/* 5 * 60 + 5 > 255 bytes */
	char longname[400] = "";
	for (int i = 0; i < 5; i++)
		strcat(longname, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	int n = rdata_from_text(RRT_NS, longname, origin, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(n, -1);
	ck_assert_msg(strstr(err, "...': name longer than 255 bytes") != NULL, "%s", err);
	/* Without an origin only absolute names are accepted. */
	n = rdata_from_text(RRT_NS, "ns1", NULL, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(n, -1);
	ck_assert_str_eq(err, "NS: 'ns1' must be absolute (end in '.')");
}
END_TEST

START_TEST(test_mx)
{
	CHECK_RDATA(RRT_MX, "10 mail", 0, 10, 4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p',
	            'l', 'e', 4, 't', 'e', 's', 't', 0);
	CHECK_RDATA(RRT_MX, "65535 .", 0xff, 0xff, 0);
	CHECK_FAIL(RRT_MX, "65536 mail", "MX preference: 65536 out of range 0..65535");
	CHECK_FAIL(RRT_MX, "-1 mail", "MX preference: expected an integer 0..65535, got '-1'");
	CHECK_FAIL(RRT_MX, "mail", "MX: expected 2 fields 'preference exchange', got 1");
}
END_TEST

START_TEST(test_srv)
{
	CHECK_RDATA(RRT_SRV, "10 5 5060 sip.example.net.", 0, 10, 0, 5, 0x13, 0xc4, 3, 's', 'i',
	            'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0);
	CHECK_RDATA(RRT_SRV, "0 0 0 .", 0, 0, 0, 0, 0, 0, 0);
	CHECK_FAIL(RRT_SRV, "10 5 70000 sip", "SRV port: 70000 out of range 0..65535");
	CHECK_FAIL(RRT_SRV, "10 x 5060 sip", "SRV weight: expected an integer 0..65535, got 'x'");
	CHECK_FAIL(RRT_SRV, "10 5 5060",
	           "SRV: expected 4 fields 'priority weight port target', got 3");
}
END_TEST

START_TEST(test_soa)
{
	CHECK_RDATA(RRT_SOA, "ns1.x. h.x. 1 2 3 4 4294967295", 3, 'n', 's', '1', 1, 'x', 0, 1, 'h',
	            1, 'x', 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0xff, 0xff, 0xff,
	            0xff);
	CHECK_FAIL(RRT_SOA, "ns1 h 1 2 3 4 4294967296",
	           "SOA minimum: 4294967296 out of range 0..4294967295");
}
END_TEST

START_TEST(test_txt)
{
	/* Literal text: one string, no quoting needed. */
	CHECK_RDATA(RRT_TXT, "v=spf1 -all", 11, 'v', '=', 's', 'p', 'f', '1', ' ', '-', 'a', 'l',
	            'l');
	/* Quoted: several strings, escapes. */
	CHECK_RDATA(RRT_TXT, "\"a b\" \"c\\\"d\" \"\\065\\\\\"", 3, 'a', ' ', 'b', 3, 'c', '"', 'd',
	            2, 'A', '\\');
	/* Empty strings. */
	CHECK_RDATA(RRT_TXT, "", 0);
	CHECK_RDATA(RRT_TXT, "\"\"", 0);
	/* Bare tokens after a quoted one are strings too. */
	CHECK_RDATA(RRT_TXT, "\"x\" y", 1, 'x', 1, 'y');

	/* Long literal text is cut into 255-byte strings. */
	char big[601];
	memset(big, 'z', 600);
	big[600] = 0;
	int n = rdata_from_text(RRT_TXT, big, origin, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(n, 603);
	ck_assert_int_eq(out[0], 255);
	ck_assert_int_eq(out[256], 255);
	ck_assert_int_eq(out[512], 90);
	ck_assert_int_eq(out[602], 'z');

	/* A quoted string over 255 bytes is an error, not silently split. */
	char q[300];
	q[0] = '"';
	memset(q + 1, 'q', 256);
	q[257] = '"';
	q[258] = 0;
	CHECK_FAIL(RRT_TXT, q, "TXT: string longer than 255 bytes");
	CHECK_FAIL(RRT_TXT, "\"abc", "unterminated quoted string");
	CHECK_FAIL(RRT_TXT, "\"a\\300\"", "TXT: bad \\DDD escape (300 > 255)");
	CHECK_FAIL(RRT_TXT, "\"a\\12\"", "TXT: bad \\DDD escape");
	CHECK_FAIL(RRT_TXT, "\"a\"b", "missing blank after closing quote");

	/* rdata over the caller's capacity */
	n = rdata_from_text(RRT_TXT, big, origin, out, 100, err, sizeof(err));
	ck_assert_int_eq(n, -1);
	ck_assert_str_eq(err, "TXT: rdata longer than 100 bytes");
}
END_TEST

START_TEST(test_caa)
{
	CHECK_RDATA(RRT_CAA, "0 issue \"ca.example.net\"", 0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a',
	            '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'n', 'e', 't');
	/* unquoted value, uppercase tag stored lowercase, critical flag */
	CHECK_RDATA(RRT_CAA, "128 ISSUEWILD ;", 128, 9, 'i', 's', 's', 'u', 'e', 'w', 'i', 'l', 'd',
	            ';');
	/* empty quoted value: "no CA may issue" */
	CHECK_RDATA(RRT_CAA, "0 issue \"\"", 0, 5, 'i', 's', 's', 'u', 'e');
	CHECK_FAIL(RRT_CAA, "256 issue \"x\"", "CAA flags: 256 out of range 0..255");
	CHECK_FAIL(RRT_CAA, "0 is-sue \"x\"", "CAA tag: expected 1..15 letters and digits, got 'is-sue'");
	CHECK_FAIL(RRT_CAA, "0 abcdefghijklmnop x",
	           "CAA tag: expected 1..15 letters and digits, got 'abcdefghijklmnop'");
	CHECK_FAIL(RRT_CAA, "0 issue", "CAA: expected 3 fields 'flags tag value', got 2");
	CHECK_FAIL(RRT_CAA, "0 issue a b", "CAA: expected 3 fields 'flags tag value', got 4");
}
END_TEST

START_TEST(test_types)
{
	ck_assert_int_eq(rr_type_from_name("A"), RRT_A);
	ck_assert_int_eq(rr_type_from_name("aaaa"), RRT_AAAA);
	ck_assert_int_eq(rr_type_from_name("Caa"), RRT_CAA);
	ck_assert_int_eq(rr_type_from_name("soa"), RRT_SOA);
	ck_assert_int_eq(rr_type_from_name("srv"), RRT_SRV);
	ck_assert_int_eq(rr_type_from_name("AX"), -1);
	ck_assert_int_eq(rr_type_from_name(""), -1);
	ck_assert_int_eq(rr_type_from_name("steer"), -1);
	ck_assert_str_eq(rr_type_name(RRT_MX), "MX");
	ck_assert_ptr_null(rr_type_name(RRT_OPT));
	int n = rdata_from_text(RRT_DS, "1 2 3 abcd", origin, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(n, -1);
	ck_assert_str_eq(err, "type 43 is not supported");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("rdata");
	TCase *tc = tcase_create("rdata");
	tcase_add_test(tc, test_a);
	tcase_add_test(tc, test_aaaa);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_mx);
	tcase_add_test(tc, test_srv);
	tcase_add_test(tc, test_soa);
	tcase_add_test(tc, test_txt);
	tcase_add_test(tc, test_caa);
	tcase_add_test(tc, test_types);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
