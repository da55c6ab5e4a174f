/*
 * test_dname.c: common/dname.c on hostile input: compression (backward,
 * forward, self and mutual pointers), label and name length limits,
 * truncation, reserved label types; and comparison, hashing, and the
 * presentation-format conversions.
 */
#include <check.h>
#include <string.h>

#include "common/dname.h"

/* "www.example.com." in wire form */
static const uint8_t WWW[] = { 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };

START_TEST(parse_plain)
{
	uint8_t out[DNAME_MAXLEN];
	size_t pos = 0;
	ck_assert_int_eq(dname_parse(WWW, sizeof(WWW), &pos, out, false), (int)sizeof(WWW));
	ck_assert_uint_eq(pos, sizeof(WWW));
	ck_assert(memcmp(out, WWW, sizeof(WWW)) == 0);
	/* root */
	const uint8_t root[] = { 0 };
	pos = 0;
	ck_assert_int_eq(dname_parse(root, 1, &pos, out, false), 1);
	ck_assert_uint_eq(pos, 1);
}
END_TEST

START_TEST(parse_compressed)
{
	/* msg: [0..16] www.example.com, [17..] "mail" + ptr to 4 (example.com) */
	uint8_t msg[64];
	memcpy(msg, WWW, sizeof(WWW));
	size_t n = sizeof(WWW);
	const uint8_t mail[] = { 4, 'm', 'a', 'i', 'l', 0xC0, 4 };
	memcpy(msg + n, mail, sizeof(mail));
	size_t pos = n;
	uint8_t out[DNAME_MAXLEN];
	int len = dname_parse(msg, n + sizeof(mail), &pos, out, true);
	ck_assert_int_eq(len, 5 + 13);
	ck_assert_uint_eq(pos, n + sizeof(mail));  /* advanced past the pointer only */
	char text[DNAME_MAXTEXT];
	ck_assert_int_gt(dname_to_text(out, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "mail.example.com.");
	/* a pointer chain: ptr -> ptr -> name */
	msg[n + 7] = 0xC0;
	msg[n + 8] = (uint8_t)(n + 5);
	pos = n + 7;
	len = dname_parse(msg, n + 9, &pos, out, true);
	ck_assert_int_eq(len, 13);
	ck_assert_uint_eq(pos, n + 9);
	/* compression refused where not allowed */
	pos = n;
	ck_assert_int_eq(dname_parse(msg, n + sizeof(mail), &pos, out, false), DNAME_ECOMPRESS);
}
END_TEST

START_TEST(parse_bad_pointers)
{
	uint8_t out[DNAME_MAXLEN];
	size_t pos;
	/* forward pointer */
	const uint8_t fwd[] = { 0xC0, 2, 0 };
	pos = 0;
	ck_assert_int_eq(dname_parse(fwd, sizeof(fwd), &pos, out, true), DNAME_EPTR);
	/* pointer to itself */
	const uint8_t self[] = { 1, 'a', 0xC0, 2 };
	pos = 2;
	ck_assert_int_eq(dname_parse(self, sizeof(self), &pos, out, true), DNAME_EPTR);
	/* two pointers to each other: the second is not before the first */
	const uint8_t loop[] = { 0xC0, 2, 0xC0, 0 };
	pos = 2;
	ck_assert_int_eq(dname_parse(loop, sizeof(loop), &pos, out, true), DNAME_EPTR);
	/* a label then a pointer back into that same label run */
	const uint8_t back[] = { 1, 'a', 1, 'b', 0xC0, 0 };
	pos = 2;
	/* 2 -> "b" -> ptr 0 -> "a" -> ptr 0 again: must not loop */
	uint8_t l2[] = { 1, 'a', 0xC0, 0 };
	pos = 0;
	ck_assert_int_lt(dname_parse(l2, sizeof(l2), &pos, out, true), 0);
	pos = 2;
	int r = dname_parse(back, sizeof(back), &pos, out, true);
	ck_assert_int_lt(r, 0);
	/* pointer cut in half */
	const uint8_t half[] = { 1, 'a', 0xC0 };
	pos = 0;
	ck_assert_int_eq(dname_parse(half, sizeof(half), &pos, out, true), DNAME_ETRUNC);
	/* pointer out of the message */
	const uint8_t far[] = { 0, 0, 0, 0xC0, 0xFF };
	pos = 3;
	ck_assert_int_lt(dname_parse(far, sizeof(far), &pos, out, true), 0);
}
END_TEST

START_TEST(parse_limits)
{
	uint8_t out[DNAME_MAXLEN];
	uint8_t msg[600];
	size_t pos;
	/* label of 63 fine, 64 (0x40: a reserved label type) rejected */
	memset(msg, 'a', sizeof(msg));
	msg[0] = 63;
	msg[64] = 0;
	pos = 0;
	ck_assert_int_eq(dname_parse(msg, 65, &pos, out, false), 65);
	msg[0] = 64;
	msg[65] = 0;
	pos = 0;
	ck_assert_int_eq(dname_parse(msg, 66, &pos, out, false), DNAME_ELABEL);
	msg[0] = 0x80;
	pos = 0;
	ck_assert_int_eq(dname_parse(msg, 66, &pos, out, false), DNAME_ELABEL);
	/* exactly 255: 3 x 63-byte labels (192) + one 61 (62) + root = 255 */
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		msg[n++] = 63;
		memset(msg + n, 'b', 63);
		n += 63;
	}
	msg[n++] = 61;
	memset(msg + n, 'c', 61);
	n += 61;
	msg[n++] = 0;
	ck_assert_uint_eq(n, 255);
	pos = 0;
	ck_assert_int_eq(dname_parse(msg, n, &pos, out, false), 255);
	/* 256 */
	msg[192] = 62;
	memset(msg + 193, 'c', 62);
	msg[255] = 0;
	pos = 0;
	ck_assert_int_eq(dname_parse(msg, 256, &pos, out, false), DNAME_ETOOLONG);
	/* too long only through a pointer */
	uint8_t m2[600];
	size_t k = 0;
	for (int i = 0; i < 3; i++) {
		m2[k++] = 63;
		memset(m2 + k, 'd', 63);
		k += 63;
	}
	m2[k++] = 0;              /* 193 bytes */
	size_t second = k;
	m2[k++] = 63;
	memset(m2 + k, 'e', 63);
	k += 63;
	m2[k++] = 0xC0;
	m2[k++] = 0;
	pos = second;
	ck_assert_int_eq(dname_parse(m2, k, &pos, out, true), DNAME_ETOOLONG);
	/* truncated label */
	const uint8_t tr[] = { 5, 'a', 'b' };
	pos = 0;
	ck_assert_int_eq(dname_parse(tr, sizeof(tr), &pos, out, false), DNAME_ETRUNC);
	/* missing root */
	const uint8_t nr[] = { 1, 'a' };
	pos = 0;
	ck_assert_int_eq(dname_parse(nr, sizeof(nr), &pos, out, false), DNAME_ETRUNC);
	pos = 0;
	ck_assert_int_eq(dname_parse(nr, 0, &pos, out, false), DNAME_ETRUNC);
}
END_TEST

START_TEST(compare_and_misc)
{
	const uint8_t upper[] = { 3, 'W', 'w', 'W', 7, 'E', 'x', 'A', 'm', 'P', 'l', 'E', 3, 'C', 'O', 'M', 0 };
	const uint8_t ex[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
	const uint8_t other[] = { 3, 'w', 'w', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
	const uint8_t root[] = { 0 };
	ck_assert(dname_equal(WWW, upper));
	ck_assert(!dname_equal(WWW, other));
	ck_assert(!dname_equal(WWW, ex));
	ck_assert_uint_eq(dname_hash(WWW), dname_hash(upper));
	ck_assert_uint_ne(dname_hash(WWW), dname_hash(other));
	ck_assert(dname_is_sub(upper, ex));
	ck_assert(dname_is_sub(ex, ex));
	ck_assert(dname_is_sub(ex, root));
	ck_assert(!dname_is_sub(ex, WWW));
	/* label boundaries matter: "xample.com" is not a parent of "example.com" */
	const uint8_t xample[] = { 6, 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
	ck_assert(!dname_is_sub(ex, xample));
	ck_assert_int_eq(dname_labels(WWW), 3);
	ck_assert_int_eq(dname_labels(root), 0);
	ck_assert_uint_eq(dname_len(WWW), sizeof(WWW));
	ck_assert_ptr_eq(dname_strip(WWW, 1), WWW + 4);
	ck_assert_ptr_eq(dname_strip(WWW, 5), WWW + 16);  /* stops at the root */
	uint8_t low[sizeof(upper)];
	memcpy(low, upper, sizeof(upper));
	dname_lower(low);
	ck_assert(memcmp(low, WWW, sizeof(WWW)) == 0);
}
END_TEST

/* The answer path's helpers: bytewise lowercasing, label offsets, and a
 * hash built label by label from the root that matches dname_hash. */
START_TEST(lookup_helpers)
{
	for (int c = 0; c < 256; c++)
		ck_assert_uint_eq(dname_lc((uint8_t)c), (c >= 'A' && c <= 'Z') ? c + 32 : c);
	const uint8_t upper[] = { 3, 'W', 'w', 'W', 7, 'E', 'x', 'A', 'm', 'P', 'l', 'E', 3, 'C', 'O', 'M', 0 };
	uint8_t lc[sizeof(upper)];
	dname_copy_lower(lc, upper, sizeof(upper));
	ck_assert(memcmp(lc, WWW, sizeof(WWW)) == 0);

	struct dname_labels l;
	dname_label_offsets(WWW, &l);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_uint_eq(l.len, sizeof(WWW));
	ck_assert_uint_eq(l.off[0], 0);
	ck_assert_uint_eq(l.off[1], 4);
	ck_assert_uint_eq(l.off[2], 12);
	ck_assert_uint_eq(l.off[3], 16);  /* the root */
	size_t sl;
	ck_assert_ptr_eq(dname_suffix(WWW, &l, 2, &sl), WWW + 4);
	ck_assert_uint_eq(sl, 13);
	ck_assert_ptr_eq(dname_suffix(WWW, &l, 0, &sl), WWW + 16);
	ck_assert_uint_eq(sl, 1);
	ck_assert_ptr_eq(dname_suffix(WWW, &l, 3, &sl), WWW);
	ck_assert_uint_eq(sl, sizeof(WWW));
	const uint8_t root[] = { 0 };
	dname_label_offsets(root, &l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_uint_eq(l.len, 1);

	/* hash(www.example.com) = step(step(step(root, com), example), www) */
	uint32_t h = DNAME_HASH_ROOT;
	ck_assert_uint_eq(dname_hash(root), h);
	h = dname_hash_label(h, WWW + 12);
	ck_assert_uint_eq(dname_hash(WWW + 12), h);
	h = dname_hash_label(h, WWW + 4);
	ck_assert_uint_eq(dname_hash(WWW + 4), h);
	h = dname_hash_label(h, WWW);
	ck_assert_uint_eq(dname_hash(WWW), h);
	ck_assert_uint_eq(dname_hash(upper), h);
	/* label boundaries are part of the hash: "ab.c" vs "a.bc" */
	const uint8_t abc1[] = { 2, 'a', 'b', 1, 'c', 0 }, abc2[] = { 1, 'a', 2, 'b', 'c', 0 };
	ck_assert_uint_ne(dname_hash(abc1), dname_hash(abc2));
}
END_TEST

START_TEST(text_conversions)
{
	uint8_t out[DNAME_MAXLEN];
	uint8_t origin[DNAME_MAXLEN];
	char text[DNAME_MAXTEXT];
	ck_assert_int_eq(dname_from_text("Example.COM.", NULL, origin), 13);
	ck_assert_int_eq(dname_from_text("WWW", origin, out), (int)sizeof(WWW));
	ck_assert(memcmp(out, WWW, sizeof(WWW)) == 0);  /* lowercased, origin appended */
	ck_assert_int_eq(dname_from_text("@", origin, out), 13);
	ck_assert_int_eq(dname_from_text(".", NULL, out), 1);
	ck_assert_int_eq(out[0], 0);
	/* escapes */
	ck_assert_int_gt(dname_from_text("a\\.b.c.", NULL, out), 0);
	ck_assert_int_eq(out[0], 3);
	ck_assert_int_eq(out[2], '.');
	ck_assert_int_gt(dname_from_text("\\065.", NULL, out), 0);
	ck_assert_int_eq(out[1], 'a');  /* lowercased after unescaping */
	ck_assert_int_eq(dname_to_text(out, text, sizeof(text)), 2);
	ck_assert_int_gt(dname_from_text("\\000x.", NULL, out), 0);
	ck_assert_int_gt(dname_to_text(out, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "\\000x.");
	ck_assert_int_gt(dname_from_text("a\\.b.c.", NULL, out), 0);
	ck_assert_int_gt(dname_to_text(out, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "a\\.b.c.");
	/* errors */
	ck_assert_int_eq(dname_from_text("a..b.", NULL, out), DNAME_ESYNTAX);
	ck_assert_int_eq(dname_from_text("", NULL, out), DNAME_ESYNTAX);
	ck_assert_int_eq(dname_from_text("rel", NULL, out), DNAME_ESYNTAX);
	ck_assert_int_eq(dname_from_text("\\256.", NULL, out), DNAME_ESYNTAX);
	ck_assert_int_eq(dname_from_text("\\1.", NULL, out), DNAME_ESYNTAX);
	char l64[80];
	memset(l64, 'a', 64);
	strcpy(l64 + 64, ".");
	ck_assert_int_eq(dname_from_text(l64, NULL, out), DNAME_ELABEL);
	char big[300] = "";
	for (int i = 0; i < 5; i++)
		strcat(big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(big, "abcd.");
	ck_assert_int_eq(dname_from_text(big, NULL, out), DNAME_ETOOLONG);
	/* to_text with a small buffer */
	ck_assert_int_eq(dname_to_text(WWW, text, 5), -1);
	ck_assert_int_eq(dname_to_text(WWW, text, sizeof(text)), 16);
	ck_assert_str_eq(text, "www.example.com.");
	const uint8_t root[] = { 0 };
	ck_assert_int_eq(dname_to_text(root, text, sizeof(text)), 1);
	ck_assert_str_eq(text, ".");
	/* round trip of a parsed wire name keeps its case */
	const uint8_t mixed[] = { 2, 'A', 'b', 0 };
	ck_assert_int_gt(dname_to_text(mixed, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "Ab.");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("dname");
	TCase *tc = tcase_create("dname");
	tcase_add_test(tc, parse_plain);
	tcase_add_test(tc, parse_compressed);
	tcase_add_test(tc, parse_bad_pointers);
	tcase_add_test(tc, parse_limits);
	tcase_add_test(tc, compare_and_misc);
	tcase_add_test(tc, lookup_helpers);
	tcase_add_test(tc, text_conversions);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
