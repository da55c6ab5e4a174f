/*
 * test_dnssec_sign.c: the parts of online signing that are pure functions,
 * against bytes worked out by hand from the RFCs: the compact-denial NSEC
 * (RFC 9824 3: next name "\000.<owner>", RFC 4034 4.1.2 type bitmap) and
 * the canonical rdata form (RFC 4034 6.2 as amended by RFC 6840 5.1).
 */
#include <check.h>
#include <string.h>

#include "common/dnssec_sign.h"
#include "common/zone.h"

static const uint8_t owner[] = "\3www\7example\4test";   /* 18 bytes with the root */

START_TEST(test_nsec_nxname)
{
	uint8_t out[512];
	int n = dnssec_nsec_compact(owner, NULL, RRT_A, out, sizeof(out));
	/* next name: \000 label then the owner; window 0, 17 bytes: RRSIG (46)
	 * is byte 5 bit 6 (0x02), NSEC (47) byte 5 bit 7 (0x01), NXNAME (128)
	 * byte 16 bit 0 (0x80). */
	static const uint8_t want_bitmap[2 + 17] = { 0, 17, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 0,
	                                             0, 0, 0, 0, 0, 0, 0x80 };
	ck_assert_int_eq(n, 2 + 18 + (int)sizeof(want_bitmap));
	ck_assert_mem_eq(out, "\1\0", 2);
	ck_assert_mem_eq(out + 2, owner, 18);
	ck_assert_mem_eq(out + 20, want_bitmap, sizeof(want_bitmap));
	/* A 255-byte owner leaves no room for "\000.": refused, never a next
	 * name equal to the owner (that NSEC would deny the whole zone). */
	uint8_t longname[255];
	for (int i = 0; i < 4; i++) {
		longname[i * 63] = 62;
		memset(longname + i * 63 + 1, 'a', 62);
	}
	longname[252] = 1;
	longname[253] = 'b';
	longname[254] = 0;
	ck_assert_int_eq(dnssec_nsec_compact(longname, NULL, RRT_A, out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_nsec_nodata)
{
	/* A node with A, MX and CAA (257, window 1), asked for AAAA: the bitmap
	 * lists A MX RRSIG NSEC in window 0 and CAA in window 1. */
	static const uint8_t a[4] = { 192, 0, 2, 1 };
	char err[128];
	struct zone *z = zone_new((const uint8_t *)"\7example\4test", "t");
	ck_assert_int_eq(zone_add_rr(z, owner, RRT_A, 60, a, 4, err, sizeof(err)), 0);
	ck_assert_int_eq(zone_add_rr(z, owner, RRT_MX, 60, (const uint8_t *)"\0\1\0", 3, err,
	                             sizeof(err)), 0);
	ck_assert_int_eq(zone_add_rr(z, owner, RRT_CAA, 60, (const uint8_t *)"\0\5issue", 7, err,
	                             sizeof(err)), 0);
	uint8_t out[512];
	int n = dnssec_nsec_compact(owner, zone_find(z, owner), RRT_AAAA, out, sizeof(out));
	/* window 0, 6 bytes: A (1) byte 0 0x40; MX (15) byte 1 0x01; RRSIG,
	 * NSEC byte 5 0x03. Window 1, 1 byte: CAA (257 = 256 + 1) 0x40. */
	static const uint8_t want[] = { 0, 6, 0x40, 0x01, 0, 0, 0, 0x03, 1, 1, 0x40 };
	ck_assert_int_eq(n, 20 + (int)sizeof(want));
	ck_assert_mem_eq(out + 20, want, sizeof(want));
	/* A steered node also has A and AAAA, except the type asked. */
	struct znode *node = (struct znode *)zone_find(z, owner);
	int x;
	node->steer = &x;
	n = dnssec_nsec_compact(owner, node, RRT_MX, out, sizeof(out));
	/* A byte 0 0x40, AAAA (28) byte 3 0x08, RRSIG NSEC byte 5 0x03; CAA */
	static const uint8_t want2[] = { 0, 6, 0x40, 0, 0, 0x08, 0, 0x03, 1, 1, 0x40 };
	ck_assert_int_eq(n, 20 + (int)sizeof(want2));
	ck_assert_mem_eq(out + 20, want2, sizeof(want2));
	node->steer = NULL;
	zone_free(z);
}
END_TEST

START_TEST(test_canonical)
{
	/* MX: the exchange lowercased (RFC 4034 6.2 lists MX). */
	uint8_t mx[] = { 0, 10, 4, 'M', 'a', 'I', 'l', 1, 'X', 0 };
	dnssec_rdata_canonical(RRT_MX, mx, sizeof(mx));
	ck_assert_mem_eq(mx, "\0\12\4mail\1x\0", sizeof(mx));
	/* SRV: the target lowercased. */
	uint8_t srv[] = { 0, 1, 0, 2, 0, 3, 2, 'A', 'B', 0 };
	dnssec_rdata_canonical(RRT_SRV, srv, sizeof(srv));
	ck_assert_mem_eq(srv, "\0\1\0\2\0\3\2ab\0", sizeof(srv));
	/* NAPTR: only the replacement, after order, preference and three strings. */
	uint8_t naptr[] = { 0, 1, 0, 2, 1, 'S', 1, 'X', 0, 2, 'A', 'B', 0 };
	dnssec_rdata_canonical(35, naptr, sizeof(naptr));
	ck_assert_mem_eq(naptr, "\0\1\0\2\1S\1X\0\2ab\0", sizeof(naptr));
	/* RFC 6840 5.1: not in the list, so left alone: HTTPS, TXT. */
	uint8_t https[] = { 0, 1, 3, 'W', 'E', 'B', 0 };
	dnssec_rdata_canonical(RRT_HTTPS, https, sizeof(https));
	ck_assert_mem_eq(https, "\0\1\3WEB\0", sizeof(https));
	uint8_t txt[] = { 2, 'A', 'B' };
	dnssec_rdata_canonical(RRT_TXT, txt, sizeof(txt));
	ck_assert_mem_eq(txt, "\2AB", sizeof(txt));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("dnssec_sign");
	TCase *tc = tcase_create("dnssec_sign");
	tcase_add_test(tc, test_nsec_nxname);
	tcase_add_test(tc, test_nsec_nodata);
	tcase_add_test(tc, test_canonical);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
