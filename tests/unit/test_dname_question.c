/*
 * test_dname_question.c: the answer path's fast name helpers agree with the
 * plain ones they replace: dname_copy_lower (eight bytes at a time) with
 * the per-byte dname_lc table for every byte value at every position,
 * dname_bytes_equal_ci (the same, for compression's name compares) with a
 * byte loop, and
 * dname_parse_question (one pass) with dname_parse + dname_copy_lower +
 * dname_label_offsets on well-formed, truncated, over-long, compressed and
 * random names.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"

/* Every byte value at every position of buffers of length 1..26 (three
 * words and every tail), and
 * nothing written past len. */
START_TEST(copy_lower_every_byte)
{
	uint8_t src[48], dst[48];
	for (size_t len = 1; len <= 26; len++) {
		for (size_t at = 0; at < len; at++) {
			for (unsigned b = 0; b < 256; b++) {
				for (size_t i = 0; i < sizeof(src); i++)
					src[i] = (uint8_t)('A' + (i * 7 + len) % 58);  /* 'A'..'z' and between */
				src[at] = (uint8_t)b;
				memset(dst, 0xEE, sizeof(dst));
				dname_copy_lower(dst, src, len);
				/* one assertion per case: Check's are slow */
				size_t bad = sizeof(dst);
				for (size_t i = 0; i < sizeof(dst) && bad == sizeof(dst); i++)
					if (dst[i] != (i < len ? dname_lc(src[i]) : 0xEE))
						bad = i;
				ck_assert_uint_eq(bad, sizeof(dst));
			}
		}
	}
	/* dname_lc itself: exactly 'A'..'Z' change, by 0x20 */
	for (unsigned b = 0; b < 256; b++)
		ck_assert_uint_eq(dname_lc((uint8_t)b), b >= 'A' && b <= 'Z' ? b + 0x20 : b);
}
END_TEST

/* dname_bytes_equal_ci against a byte loop over dname_lc: pairs that
 * differ in one byte (any value, any position) or only in case. */
START_TEST(bytes_equal_ci)
{
	uint8_t a[32], b[32];
	for (size_t len = 0; len <= 26; len++) {
		for (size_t at = 0; at < len; at++) {
			for (unsigned v = 0; v < 256; v++) {
				for (size_t i = 0; i < len; i++)
					a[i] = b[i] = (uint8_t)('A' + (i * 5 + len) % 58);
				b[at] = (uint8_t)v;
				if (len > 1)
					a[(at + 1) % len] ^= 0x20 * (a[(at + 1) % len] >= 'A' && a[(at + 1) % len] <= 'Z');
				bool ref = true;
				for (size_t i = 0; i < len; i++)
					if (dname_lc(a[i]) != dname_lc(b[i]))
						ref = false;
				ck_assert_int_eq(dname_bytes_equal_ci(a, b, len), ref);
			}
		}
	}
	ck_assert(dname_bytes_equal_ci(a, b, 0));
}
END_TEST

/* Parse msg at pos both ways and require the same result. */
static void agree(const uint8_t *msg, size_t len, size_t pos0)
{
	uint8_t out_a[DNAME_MAXLEN], out_b[DNAME_MAXLEN], lc_a[DNAME_MAXLEN], lc_b[DNAME_MAXLEN];
	struct dname_labels la, lb;
	size_t pa = pos0, pb = pos0;

	int ra = dname_parse_question(msg, len, &pa, out_a, lc_a, &la);
	int rb = dname_parse(msg, len, &pb, out_b, false);
	ck_assert_int_eq(ra, rb);
	if (ra < 0)
		return;
	ck_assert_uint_eq(pa, pb);
	ck_assert(memcmp(out_a, out_b, (size_t)ra) == 0);
	dname_copy_lower(lc_b, out_b, (size_t)rb);
	ck_assert(memcmp(lc_a, lc_b, (size_t)ra) == 0);
	dname_label_offsets(lc_b, &lb);
	ck_assert_uint_eq(la.n, lb.n);
	ck_assert_uint_eq(la.len, lb.len);
	ck_assert(memcmp(la.off, lb.off, (size_t)la.n + 1) == 0);
}

/* A random well-formed name of mixed case at msg, returns its length. */
static size_t random_name(uint8_t *msg, size_t maxlen)
{
	size_t n = 0;
	for (;;) {
		size_t lab = (size_t)(rand() % 64);
		if (rand() % 3 == 0)
			lab = (size_t)(rand() % 4);
		if (n + 1 + lab + 1 > maxlen || rand() % 6 == 0)
			break;
		msg[n++] = (uint8_t)lab;
		for (size_t i = 0; i < lab; i++)
			msg[n++] = (uint8_t)(rand() % 2 ? 'A' + rand() % 26 : rand() % 256);
	}
	msg[n++] = 0;
	return n;
}

START_TEST(parse_question_agrees)
{
	uint8_t msg[600];
	srand(7);
	for (int t = 0; t < 5000; t++) {
		size_t off = (size_t)(rand() % 13);
		memset(msg, 0, sizeof(msg));
		size_t n = random_name(msg + off, t % 2 ? 255 : 400);
		agree(msg, off + n, off);             /* whole */
		agree(msg, off + (size_t)rand() % (n + 1), off);  /* truncated */
		msg[off + (size_t)rand() % n] = (uint8_t)(rand() % 256);  /* one byte changed */
		agree(msg, off + n, off);
	}
	/* random bytes */
	for (int t = 0; t < 5000; t++) {
		size_t len = (size_t)(rand() % 300);
		for (size_t i = 0; i < len; i++)
			msg[i] = (uint8_t)(rand() % 4 ? rand() % 64 : rand() % 256);
		agree(msg, len, 0);
	}
}
END_TEST

START_TEST(parse_question_limits)
{
	uint8_t msg[600];
	uint8_t out[DNAME_MAXLEN], lc[DNAME_MAXLEN];
	struct dname_labels l;
	size_t pos;

	/* 127 one-byte labels and the root: 255 bytes, the most labels */
	for (size_t i = 0; i < 127; i++) {
		msg[2 * i] = 1;
		msg[2 * i + 1] = 'X';
	}
	msg[254] = 0;
	pos = 0;
	ck_assert_int_eq(dname_parse_question(msg, 255, &pos, out, lc, &l), 255);
	ck_assert_uint_eq(l.n, 127);
	ck_assert_uint_eq(l.off[127], 254);
	ck_assert_uint_eq(lc[1], 'x');
	agree(msg, 255, 0);
	/* one more label: 256 bytes */
	msg[254] = 1;
	msg[255] = 'x';
	msg[256] = 0;
	pos = 0;
	ck_assert_int_eq(dname_parse_question(msg, 257, &pos, out, lc, &l), DNAME_ETOOLONG);
	agree(msg, 257, 0);
	/* a pointer, and the reserved label types */
	const uint8_t ptr[] = { 1, 'a', 0xC0, 0 };
	pos = 0;
	ck_assert_int_eq(dname_parse_question(ptr, sizeof(ptr), &pos, out, lc, &l), DNAME_ECOMPRESS);
	const uint8_t l40[] = { 0x41, 0 };
	pos = 0;
	ck_assert_int_eq(dname_parse_question(l40, sizeof(l40), &pos, out, lc, &l), DNAME_ELABEL);
	/* empty input */
	pos = 0;
	ck_assert_int_eq(dname_parse_question(ptr, 0, &pos, out, lc, &l), DNAME_ETRUNC);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("dname_question");
	TCase *tc = tcase_create("dname_question");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, copy_lower_every_byte);
	tcase_add_test(tc, bytes_equal_ci);
	tcase_add_test(tc, parse_question_agrees);
	tcase_add_test(tc, parse_question_limits);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
