/*
 * test_rdata.c: presentation-format rdata -> wire bytes (rdata_text.c over
 * libzscanner), one test per type with the wire bytes written out from the
 * defining RFC (RFC 9460 appendix D for SVCB/HTTPS, RFC 3597 5 for the
 * generic form, RFC 1876 for LOC), plus rejections.
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

/* Refused, with a message that starts with the type's name. */
#define CHECK_FAIL(type, text, prefix)                                                \
	do {                                                                          \
		err[0] = 0;                                                           \
		int n_ = rdata_from_text((type), (text), origin, out, sizeof(out), err, \
		                         sizeof(err));                                \
		ck_assert_int_eq(n_, -1);                                             \
		ck_assert_msg(strncmp(err, (prefix), strlen(prefix)) == 0,           \
		              "%s: message '%s'", (text), err);                       \
	} while (0)

START_TEST(test_a)
{
	CHECK_RDATA(RRT_A, "192.0.2.1", 192, 0, 2, 1);
	CHECK_RDATA(RRT_A, "  10.0.0.255 ", 10, 0, 0, 255);
	CHECK_FAIL(RRT_A, "192.0.2.256", "A: ");
	CHECK_FAIL(RRT_A, "192.0.2", "A: ");
	CHECK_FAIL(RRT_A, "2001:db8::1", "A: ");
	CHECK_FAIL(RRT_A, "", "A: ");
	CHECK_FAIL(RRT_A, "1.2.3.4 5.6.7.8", "A: ");
	/* A value is one record: no second line, no directive. */
	CHECK_FAIL(RRT_A, "1.2.3.4\nwww A 5.6.7.8", "A: ");
	CHECK_FAIL(RRT_A, "1.2.3.4\n$ORIGIN evil.", "A: ");
}
END_TEST

START_TEST(test_aaaa)
{
	CHECK_RDATA(RRT_AAAA, "2001:db8::1", 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	            1);
	CHECK_RDATA(RRT_AAAA, "::ffff:192.0.2.1", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0,
	            2, 1);
	CHECK_FAIL(RRT_AAAA, "2001:db8::g", "AAAA: ");
	CHECK_FAIL(RRT_AAAA, "192.0.2.1", "AAAA: ");
	CHECK_FAIL(RRT_AAAA, "1:2:3:4:5:6:7:8:9", "AAAA: ");
}
END_TEST

START_TEST(test_names)
{
	/* Relative to the origin, absolute, "@"; the case is kept as written
	 * (as Knot serves it; DNSSEC canonicalises when signing). */
	CHECK_RDATA(RRT_NS, "ns1", 3, 'n', 's', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't',
	            'e', 's', 't', 0);
	CHECK_RDATA(RRT_CNAME, "WWW.Example.NET.", 3, 'W', 'W', 'W', 7, 'E', 'x', 'a', 'm', 'p', 'l',
	            'e', 3, 'N', 'E', 'T', 0);
	CHECK_RDATA(RRT_PTR, "@", 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0);
	CHECK_RDATA(RRT_PTR, "a\\.b.", 3, 'a', '.', 'b', 0);
	CHECK_FAIL(RRT_NS, "a..b", "NS: ");
	CHECK_FAIL(RRT_CNAME, "a b", "CNAME: ");
	CHECK_FAIL(RRT_CNAME,
	           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.net.", "CNAME: ");
	/* 5 * 60 + 5 > 255 bytes */
	char longname[400] = "";
	for (int i = 0; i < 5; i++)
		strcat(longname, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	CHECK_FAIL(RRT_NS, longname, "NS: ");
	/* Without an origin names are relative to the root. */
	int n = rdata_from_text(RRT_NS, "ns1", NULL, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(n, 5);
	ck_assert_mem_eq(out, "\3ns1", 5);
}
END_TEST

START_TEST(test_mx)
{
	CHECK_RDATA(RRT_MX, "10 mail", 0, 10, 4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p',
	            'l', 'e', 4, 't', 'e', 's', 't', 0);
	CHECK_RDATA(RRT_MX, "65535 .", 0xff, 0xff, 0);
	CHECK_FAIL(RRT_MX, "65536 mail", "MX: ");
	CHECK_FAIL(RRT_MX, "-1 mail", "MX: ");
	CHECK_FAIL(RRT_MX, "mail", "MX: ");
}
END_TEST

START_TEST(test_srv)
{
	CHECK_RDATA(RRT_SRV, "10 5 5060 sip.example.net.", 0, 10, 0, 5, 0x13, 0xc4, 3, 's', 'i',
	            'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0);
	CHECK_RDATA(RRT_SRV, "0 0 0 .", 0, 0, 0, 0, 0, 0, 0);
	CHECK_FAIL(RRT_SRV, "10 5 70000 sip", "SRV: ");
	CHECK_FAIL(RRT_SRV, "10 x 5060 sip", "SRV: ");
	CHECK_FAIL(RRT_SRV, "10 5 5060", "SRV: ");
}
END_TEST

START_TEST(test_soa)
{
	CHECK_RDATA(RRT_SOA, "ns1.x. h.x. 1 2 3 4 4294967295", 3, 'n', 's', '1', 1, 'x', 0, 1, 'h',
	            1, 'x', 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0xff, 0xff, 0xff,
	            0xff);
	CHECK_FAIL(RRT_SOA, "ns1 h 1 2 3 4 4294967296", "SOA: ");
	/* RFC 1035 5.1: parentheses and comments span what would be lines. */
	CHECK_RDATA(RRT_SOA, "ns1.x. h.x. ( 1 ; serial\n 2 3 4 5 )", 3, 'n', 's', '1', 1, 'x', 0, 1,
	            'h', 1, 'x', 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5);
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

	char q[300];
	q[0] = '"';
	memset(q + 1, 'q', 256);
	q[257] = '"';
	q[258] = 0;
	/* A quoted string over 255 bytes is split, as Knot does. */
	n = rdata_from_text(RRT_TXT, q, origin, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(n, 258);
	ck_assert_int_eq(out[0], 255);
	ck_assert_int_eq(out[256], 1);
	CHECK_FAIL(RRT_TXT, "\"abc", "TXT: ");
	CHECK_FAIL(RRT_TXT, "\"a\\300\"", "TXT: ");

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
	/* unquoted value, critical flag */
	CHECK_RDATA(RRT_CAA, "128 issuewild x", 128, 9, 'i', 's', 's', 'u', 'e', 'w', 'i', 'l', 'd',
	            'x');
	/* empty quoted value: "no CA may issue" */
	CHECK_RDATA(RRT_CAA, "0 issue \"\"", 0, 5, 'i', 's', 's', 'u', 'e');
	CHECK_FAIL(RRT_CAA, "256 issue \"x\"", "CAA: ");
	CHECK_FAIL(RRT_CAA, "0 issue", "CAA: ");
	CHECK_FAIL(RRT_CAA, "0 issue a b", "CAA: ");
}
END_TEST

START_TEST(test_svcb)
{
	/* RFC 9460 appendix D.1, AliasMode: "HTTPS 0 foo.example.com." */
	CHECK_RDATA(RRT_HTTPS, "0 foo.example.com.", 0x00, 0x00, 0x03, 0x66, 0x6f, 0x6f, 0x07, 0x65,
	            0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00);
	/* D.2, figure 9: keys sorted, mandatory, alpn, ipv4hint. */
	CHECK_RDATA(RRT_SVCB, "16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1",
	            0x00, 0x10, 0x03, 0x66, 0x6f, 0x6f, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	            0x03, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x04, 0x00,
	            0x01, 0x00, 0x09, 0x02, 0x68, 0x32, 0x05, 0x68, 0x33, 0x2d, 0x31, 0x39, 0x00, 0x04,
	            0x00, 0x04, 0xc0, 0x00, 0x02, 0x01);
	/* D.3: a key twice is a failure case. */
	CHECK_FAIL(RRT_SVCB, "1 foo.example.com. key123=abc key123=def", "SVCB: ");
}
END_TEST

START_TEST(test_generic_and_more)
{
	/* RFC 3597 5: "TYPE731 \# 6 abcd ( ef 01 23 45 )" */
	CHECK_RDATA(731, "\\# 6 abcd ( ef 01 23 45 )", 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45);
	CHECK_RDATA(65280, "\\# 0");
	CHECK_FAIL(731, "\\# 5 abcd", "TYPE731: ");
	/* The generic form for a known type is that type's wire form. */
	CHECK_RDATA(RRT_A, "\\# 4 c0000201", 192, 0, 2, 1);
	/* RFC 1876 2: LOC, latitude 2^31 + arc-milliseconds, altitude in cm
	 * above -100000 m, sizes as mantissa/exponent of centimetres. */
	CHECK_RDATA(29, "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m", 0, 0x00, 0x16, 0x13,
	            0x8b, 0x3c, 0xf0, 0x18, 0x81, 0x0c, 0xbc, 0xe0, 0x00, 0x98, 0x95, 0xb8);
	/* RFC 6698 2.1: TLSA usage selector type data. */
	CHECK_RDATA(52, "3 1 1 0a0b0c", 3, 1, 1, 0x0a, 0x0b, 0x0c);
	/* RFC 4255 3.1: SSHFP algorithm type fingerprint. */
	CHECK_RDATA(44, "4 2 ff00", 4, 2, 0xff, 0x00);
	/* RFC 7553 4.5: URI priority weight target (no length byte). */
	CHECK_RDATA(256, "10 1 \"ftp://a/\"", 0, 10, 0, 1, 'f', 't', 'p', ':', '/', '/', 'a', '/');
	/* RFC 3403 4.1: NAPTR order pref flags services regexp replacement. */
	CHECK_RDATA(35, "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.x.", 0, 100, 0, 10, 1, 'S', 7, 'S',
	            'I', 'P', '+', 'D', '2', 'U', 0, 4, '_', 's', 'i', 'p', 4, '_', 'u', 'd', 'p', 1,
	            'x', 0);
	/* RFC 4034 5.1: DS key tag, algorithm, digest type, digest. */
	CHECK_RDATA(RRT_DS, "12345 13 2 0a0b", 0x30, 0x39, 13, 2, 0x0a, 0x0b);
}
END_TEST

START_TEST(test_types)
{
	ck_assert_int_eq(rr_type_from_name("A"), RRT_A);
	ck_assert_int_eq(rr_type_from_name("aaaa"), RRT_AAAA);
	ck_assert_int_eq(rr_type_from_name("Caa"), RRT_CAA);
	ck_assert_int_eq(rr_type_from_name("soa"), RRT_SOA);
	ck_assert_int_eq(rr_type_from_name("srv"), RRT_SRV);
	ck_assert_int_eq(rr_type_from_name("https"), RRT_HTTPS);
	ck_assert_int_eq(rr_type_from_name("TYPE65280"), 65280);
	ck_assert_int_eq(rr_type_from_name("AX"), -1);
	ck_assert_int_eq(rr_type_from_name(""), -1);
	ck_assert_int_eq(rr_type_from_name("steer"), -1);
	/* Meta types are no zone data (RFC 6895 3.1). */
	ck_assert_int_eq(rr_type_from_name("OPT"), -1);
	ck_assert_int_eq(rr_type_from_name("ANY"), -1);
	ck_assert_int_eq(rr_type_from_name("AXFR"), -1);
	ck_assert_str_eq(rr_type_name(RRT_MX), "MX");
	ck_assert_ptr_null(rr_type_name(65280));
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
	tcase_add_test(tc, test_svcb);
	tcase_add_test(tc, test_generic_and_more);
	tcase_add_test(tc, test_types);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
