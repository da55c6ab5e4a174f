/*
 * test_wire.c: the bounded cursors of common/wire.h (sticky errors, sub
 * cursors) and the response writer of common/msg_build.c (header, name
 * compression, rdata compression rules, whole-RRset rollback, reserve).
 */
#include <check.h>
#include <string.h>

#include "common/dname.h"
#include "common/msg_build.h"
#include "common/wire.h"
#include "tests/unit/dns_test_util.h"

START_TEST(rd_basic_and_sticky)
{
	const uint8_t b[] = { 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE };
	struct wire_rd r = wire_rd_init(b, sizeof(b));
	ck_assert_uint_eq(wire_rd_u8(&r), 0x12);
	ck_assert_uint_eq(wire_rd_u16(&r), 0x3456);
	ck_assert_uint_eq(wire_rd_u32(&r), 0x789ABCDE);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(wire_rd_left(&r), 0);
	ck_assert_uint_eq(wire_rd_u8(&r), 0);
	ck_assert_int_ne(r.err, 0);
	/* sticky: even a read that would fit afterwards returns 0 */
	r = wire_rd_init(b, sizeof(b));
	(void)wire_rd_u32(&r);
	ck_assert_uint_eq(wire_rd_u32(&r), 0);
	ck_assert_int_ne(r.err, 0);
	ck_assert_uint_eq(wire_rd_u8(&r), 0);
	ck_assert_uint_eq(wire_rd_left(&r), 0);
	/* bytes: zero-filled on overrun */
	uint8_t o[8];
	memset(o, 0xFF, sizeof(o));
	r = wire_rd_init(b, sizeof(b));
	wire_rd_bytes(&r, o, 8);
	ck_assert_int_ne(r.err, 0);
	ck_assert_uint_eq(o[0], 0);
	ck_assert_uint_eq(o[7], 0);
	/* skip */
	r = wire_rd_init(b, sizeof(b));
	wire_rd_skip(&r, 6);
	ck_assert_uint_eq(wire_rd_u8(&r), 0xDE);
	wire_rd_skip(&r, 1);
	ck_assert_int_ne(r.err, 0);
}
END_TEST

START_TEST(rd_sub)
{
	const uint8_t b[] = { 0, 3, 1, 2, 3, 9 };
	struct wire_rd r = wire_rd_init(b, sizeof(b));
	uint16_t n = wire_rd_u16(&r);
	struct wire_rd s = wire_rd_sub(&r, n);
	ck_assert_uint_eq(wire_rd_u8(&s), 1);
	ck_assert_uint_eq(wire_rd_u16(&s), 0x0203);
	(void)wire_rd_u8(&s);  /* past the sub cursor, not into the parent's byte */
	ck_assert_int_ne(s.err, 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(wire_rd_u8(&r), 9);
	/* a sub cursor longer than what is left fails both */
	r = wire_rd_init(b, sizeof(b));
	s = wire_rd_sub(&r, 10);
	ck_assert_int_ne(s.err, 0);
	ck_assert_int_ne(r.err, 0);
	ck_assert_uint_eq(wire_rd_u8(&s), 0);
}
END_TEST

START_TEST(wr_basic)
{
	uint8_t b[8];
	struct wire_wr w = wire_wr_init(b, sizeof(b));
	wire_wr_u16(&w, 0xABCD);
	wire_wr_u32(&w, 0x01020304);
	wire_wr_put_u16_at(&w, 0, 0x1111);
	ck_assert_uint_eq(b[0], 0x11);
	ck_assert_uint_eq(b[5], 0x04);
	wire_wr_put_u16_at(&w, 5, 0x2222);  /* beyond what was written: ignored */
	ck_assert_uint_eq(b[5], 0x04);
	wire_wr_u32(&w, 5);                 /* does not fit */
	ck_assert_int_ne(w.err, 0);
	ck_assert_uint_eq(w.pos, 6);
	wire_wr_u8(&w, 1);                  /* sticky */
	ck_assert_uint_eq(w.pos, 6);
}
END_TEST

static void name_wire(uint8_t *out, const char *t)
{
	tu_name(out, t);
}

START_TEST(msg_compression)
{
	uint8_t buf[512];
	struct msg m;
	msg_init(&m, buf, sizeof(buf), 512, 0, 0x1234, MSG_FLAG_QR);
	uint8_t q[DNAME_MAXLEN];
	name_wire(q, "Www.Example.COM");
	ck_assert_int_eq(msg_question(&m, q, 1, 1), 0);
	/* answer owner: the whole qname -> pointer to 12 */
	struct rdata a = { 4, (const uint8_t *)"\x01\x02\x03\x04" };
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 1, 1, 60, &a, 1), 0);
	size_t owner_at = 12 + 17 + 4;
	ck_assert_uint_eq(buf[owner_at], 0xC0);
	ck_assert_uint_eq(buf[owner_at + 1], 12);
	/* CNAME rdata "mail.example.com": "mail" + pointer to "Example.COM" at 16 */
	uint8_t target[DNAME_MAXLEN];
	name_wire(target, "mail.example.com");
	struct rdata c = { (uint16_t)dname_len(target), target };
	size_t at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 5, 1, 60, &c, 1), 0);
	size_t rd = at + 2 + 10;
	ck_assert_uint_eq(buf[rd - 1], 7);  /* rdlength */
	ck_assert_uint_eq(buf[rd], 4);
	ck_assert_uint_eq(buf[rd + 5], 0xC0);
	ck_assert_uint_eq(buf[rd + 6], 16);
	/* a later name can point into that rdata */
	at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AR, target, 1, 1, 60, &a, 1), 0);
	ck_assert_uint_eq(buf[at], 0xC0);
	ck_assert_uint_eq(buf[at + 1], rd);
	/* a different name shares only the common suffix */
	uint8_t other[DNAME_MAXLEN];
	name_wire(other, "x.org");
	at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AR, other, 1, 1, 60, &a, 1), 0);
	ck_assert_uint_eq(buf[at], 1);
	ck_assert_uint_eq(buf[at + 2], 3);
	ck_assert_uint_eq(buf[at + 6], 0);
	size_t len = msg_finish(&m);
	ck_assert_uint_eq(len, m.w.pos);
	struct tu_msg d;
	tu_decode(buf, len, &d);
	ck_assert_uint_eq(d.id, 0x1234);
	ck_assert_uint_eq(d.an, 2);
	ck_assert_uint_eq(d.ar, 2);
	ck_assert_str_eq(d.rr[0].owner, "Www.Example.COM.");
	char t[DNAME_MAXTEXT];
	tu_rdname(&d, &d.rr[1], 0, t, sizeof(t));
	ck_assert_str_eq(t, "mail.Example.COM.");  /* compression is case-insensitive */
	ck_assert_str_eq(d.rr[2].owner, "mail.Example.COM.");
	ck_assert_str_eq(d.rr[3].owner, "x.org.");
}
END_TEST

/* The qname owner by pointer (no compare) and an equal name elsewhere in
 * memory (compared, any case) both become a pointer to the question; a
 * name of the same length that differs does not. */
START_TEST(msg_compression_qname_copies)
{
	uint8_t buf[512];
	struct msg m;
	msg_init(&m, buf, sizeof(buf), 512, 0, 1, MSG_FLAG_QR);
	uint8_t q[DNAME_MAXLEN], copy[DNAME_MAXLEN], other[DNAME_MAXLEN];
	name_wire(q, "Www.Example.COM");
	name_wire(copy, "www.example.com");
	name_wire(other, "wwx.example.com");
	ck_assert_int_eq(msg_question(&m, q, 1, 1), 0);
	struct rdata a = { 4, (const uint8_t *)"\x01\x02\x03\x04" };
	size_t at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 1, 1, 60, &a, 1), 0);
	ck_assert_uint_eq(buf[at], 0xC0);
	ck_assert_uint_eq(buf[at + 1], 12);
	at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, copy, 1, 1, 60, &a, 1), 0);
	ck_assert_uint_eq(buf[at], 0xC0);
	ck_assert_uint_eq(buf[at + 1], 12);
	at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, other, 1, 1, 60, &a, 1), 0);
	ck_assert_uint_eq(buf[at], 3);
	ck_assert(memcmp(buf + at + 1, "wwx", 3) == 0);
	ck_assert_uint_eq(buf[at + 4], 0xC0);
	ck_assert_uint_eq(buf[at + 5], 16);  /* "Example.COM" of the question */
}
END_TEST

START_TEST(msg_rdata_types)
{
	uint8_t buf[512];
	struct msg m;
	msg_init(&m, buf, sizeof(buf), 512, 0, 1, MSG_FLAG_QR);
	uint8_t q[DNAME_MAXLEN];
	name_wire(q, "example.com");
	msg_question(&m, q, 1, 1);
	/* SRV: target stays uncompressed */
	uint8_t srv[64] = { 0, 1, 0, 2, 0, 80 };
	size_t n = 6 + tu_name(srv + 6, "example.com");
	struct rdata s = { (uint16_t)n, srv };
	size_t at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 33, 1, 1, &s, 1), 0);
	ck_assert_uint_eq(buf[at + 11], n);  /* rdlength unchanged: not compressed */
	ck_assert(memcmp(buf + at + 12, srv, n) == 0);
	/* MX is compressed */
	uint8_t mx[64] = { 0, 10 };
	n = 2 + tu_name(mx + 2, "example.com");
	struct rdata x = { (uint16_t)n, mx };
	at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 15, 1, 1, &x, 1), 0);
	ck_assert_uint_eq(buf[at + 11], 4);
	ck_assert_uint_eq(buf[at + 14], 0xC0);
	/* TXT is raw even if it looks like a name */
	struct rdata t = { (uint16_t)n, mx };
	at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 16, 1, 1, &t, 1), 0);
	ck_assert_uint_eq(buf[at + 11], n);
	/* malformed NS rdata (no root label) is copied raw */
	const uint8_t badns[] = { 3, 'a', 'b', 'c' };
	struct rdata b = { 4, badns };
	at = m.w.pos;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 2, 1, 1, &b, 1), 0);
	ck_assert_uint_eq(buf[at + 11], 4);
	ck_assert(memcmp(buf + at + 12, badns, 4) == 0);
	struct tu_msg d;
	tu_decode(buf, msg_finish(&m), &d);
	ck_assert_uint_eq(d.an, 4);
}
END_TEST

START_TEST(msg_rollback_and_reserve)
{
	uint8_t buf[200];
	struct msg m;
	/* limit 100, 11 kept back for an OPT */
	msg_init(&m, buf, sizeof(buf), 100, 11, 7, MSG_FLAG_QR);
	uint8_t q[DNAME_MAXLEN];
	name_wire(q, "example.com");
	msg_question(&m, q, 1, 1);          /* 12 + 17 = 29 */
	uint8_t blob[30];
	memset(blob, 'x', sizeof(blob));
	struct rdata r[2] = { { 30, blob }, { 30, blob } };
	/* 2 x (2 + 10 + 30) = 84 > 100 - 11 - 29 */
	size_t before = m.w.pos;
	unsigned nc = m.ncompr;
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 16, 1, 1, r, 2), -1);
	ck_assert_uint_eq(m.w.pos, before);
	ck_assert_int_eq(m.w.err, 0);
	ck_assert_uint_eq(m.ncompr, nc);
	ck_assert_uint_eq(m.count[MSG_AN], 0);
	/* one fits: 29 + 42 = 71 <= 89 */
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 16, 1, 1, r, 1), 0);
	/* the next does not fit before the reserve ... */
	ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, q, 16, 1, 1, r, 1), -1);
	/* ... but the reserve opens for the OPT */
	msg_open_reserve(&m);
	ck_assert_uint_eq(m.w.cap, 100);
	msg_set_rcode(&m, 3);
	m.flags |= MSG_FLAG_TC;
	size_t len = msg_finish(&m);
	struct tu_msg d;
	tu_decode(buf, len, &d);
	ck_assert_uint_eq(d.an, 1);
	ck_assert_uint_eq(TU_RCODE(&d), 3);
	ck_assert(TU_TC(&d));
	/* a buffer too small for a header gives 0 */
	msg_init(&m, buf, 10, 10, 0, 1, 0);
	ck_assert_uint_eq(msg_finish(&m), 0);
}
END_TEST

START_TEST(msg_many_names)
{
	/* more names than the compression table holds: still valid output */
	static uint8_t buf[16384];
	struct msg m;
	msg_init(&m, buf, sizeof(buf), sizeof(buf), 0, 1, MSG_FLAG_QR);
	uint8_t q[DNAME_MAXLEN];
	name_wire(q, "a.example.com");
	msg_question(&m, q, 1, 1);
	struct rdata a = { 4, (const uint8_t *)"\x01\x02\x03\x04" };
	for (int i = 0; i < 200; i++) {
		char t[64];
		snprintf(t, sizeof(t), "h%d.x%d.example.com", i, i);
		uint8_t n[DNAME_MAXLEN];
		name_wire(n, t);
		ck_assert_int_eq(msg_put_rrset(&m, MSG_AN, n, 1, 1, 1, &a, 1), 0);
	}
	struct tu_msg d;
	tu_decode(buf, msg_finish(&m), &d);
	ck_assert_uint_eq(d.an, 200);
	ck_assert_str_eq(d.rr[199].owner, "h199.x199.example.com.");
	ck_assert_uint_le(m.ncompr, MSG_COMPR_MAX);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("wire");
	tcase_add_test(tc, rd_basic_and_sticky);
	tcase_add_test(tc, rd_sub);
	tcase_add_test(tc, wr_basic);
	tcase_add_test(tc, msg_compression);
	tcase_add_test(tc, msg_compression_qname_copies);
	tcase_add_test(tc, msg_rdata_types);
	tcase_add_test(tc, msg_rollback_and_reserve);
	tcase_add_test(tc, msg_many_names);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
