/*
 * test_edns.c: OPT parsing and writing (RFC 6891), NSID (RFC 5001) and
 * every ECS validity rule of RFC 7871 7.1.2, on raw bytes.
 */
#include <check.h>
#include <string.h>

#include "common/edns.h"
#include "common/wire.h"

START_TEST(ecs_valid)
{
	struct ecs e;
	const uint8_t v4[] = { 0, 1, 24, 0, 192, 0, 2 };
	ck_assert_int_eq(ecs_parse(v4, sizeof(v4), &e), 0);
	ck_assert_uint_eq(e.family, 1);
	ck_assert_uint_eq(e.source, 24);
	ck_assert_uint_eq(e.scope, 0);
	ck_assert_uint_eq(e.addr[0], 192);
	ck_assert_uint_eq(e.addr[2], 2);
	ck_assert_uint_eq(e.addr[3], 0);
	ck_assert_uint_eq(ecs_data_len(&e), 7);

	const uint8_t v4_32[] = { 0, 1, 32, 0, 10, 1, 2, 3 };
	ck_assert_int_eq(ecs_parse(v4_32, sizeof(v4_32), &e), 0);
	ck_assert_uint_eq(e.addr[3], 3);

	const uint8_t v4_0[] = { 0, 1, 0, 0 };
	ck_assert_int_eq(ecs_parse(v4_0, sizeof(v4_0), &e), 0);
	ck_assert_uint_eq(e.source, 0);
	ck_assert_uint_eq(ecs_data_len(&e), 4);

	/* /17: the top bit of the third byte may be set */
	const uint8_t v4_17[] = { 0, 1, 17, 0, 10, 20, 0x80 };
	ck_assert_int_eq(ecs_parse(v4_17, sizeof(v4_17), &e), 0);

	const uint8_t v6[] = { 0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56 };
	ck_assert_int_eq(ecs_parse(v6, sizeof(v6), &e), 0);
	ck_assert_uint_eq(e.family, 2);
	ck_assert_uint_eq(e.source, 56);
	ck_assert_uint_eq(e.addr[6], 0x56);

	uint8_t v6_128[20] = { 0, 2, 128, 0 };
	memset(v6_128 + 4, 0xFF, 16);
	ck_assert_int_eq(ecs_parse(v6_128, sizeof(v6_128), &e), 0);
	ck_assert_uint_eq(e.addr[15], 0xFF);
}
END_TEST

START_TEST(ecs_invalid)
{
	struct ecs e;
	/* shorter than the fixed part */
	const uint8_t s0[] = { 0, 1, 0 };
	ck_assert_int_eq(ecs_parse(s0, 0, &e), -1);
	ck_assert_int_eq(ecs_parse(s0, sizeof(s0), &e), -1);
	/* family not 1/2 */
	const uint8_t f0[] = { 0, 0, 0, 0 };
	const uint8_t f3[] = { 0, 3, 8, 0, 1 };
	const uint8_t f256[] = { 1, 1, 8, 0, 1 };
	ck_assert_int_eq(ecs_parse(f0, sizeof(f0), &e), -1);
	ck_assert_int_eq(ecs_parse(f3, sizeof(f3), &e), -1);
	ck_assert_int_eq(ecs_parse(f256, sizeof(f256), &e), -1);
	/* source beyond the address length */
	const uint8_t v4_33[] = { 0, 1, 33, 0, 1, 2, 3, 4, 0 };
	ck_assert_int_eq(ecs_parse(v4_33, sizeof(v4_33), &e), -1);
	uint8_t v6_129[21] = { 0, 2, 129, 0 };
	ck_assert_int_eq(ecs_parse(v6_129, sizeof(v6_129), &e), -1);
	/* scope must be 0 in a query */
	const uint8_t sc[] = { 0, 1, 24, 24, 192, 0, 2 };
	ck_assert_int_eq(ecs_parse(sc, sizeof(sc), &e), -1);
	/* address length must be exactly ceil(source/8) */
	const uint8_t longer[] = { 0, 1, 24, 0, 192, 0, 2, 0 };
	const uint8_t shorter[] = { 0, 1, 24, 0, 192, 0 };
	const uint8_t zero_extra[] = { 0, 1, 0, 0, 0 };
	ck_assert_int_eq(ecs_parse(longer, sizeof(longer), &e), -1);
	ck_assert_int_eq(ecs_parse(shorter, sizeof(shorter), &e), -1);
	ck_assert_int_eq(ecs_parse(zero_extra, sizeof(zero_extra), &e), -1);
	/* bits beyond the prefix set */
	const uint8_t bits23[] = { 0, 1, 23, 0, 192, 0, 3 };
	const uint8_t bits17[] = { 0, 1, 17, 0, 10, 20, 0x40 };
	const uint8_t bits1[] = { 0, 2, 1, 0, 0x81 };
	ck_assert_int_eq(ecs_parse(bits23, sizeof(bits23), &e), -1);
	ck_assert_int_eq(ecs_parse(bits17, sizeof(bits17), &e), -1);
	ck_assert_int_eq(ecs_parse(bits1, sizeof(bits1), &e), -1);
	/* and the same prefixes with clean bits are fine */
	const uint8_t ok23[] = { 0, 1, 23, 0, 192, 0, 2 };
	ck_assert_int_eq(ecs_parse(ok23, sizeof(ok23), &e), 0);
}
END_TEST

START_TEST(opt_fields)
{
	struct edns_query q;
	ck_assert_int_eq(edns_parse_opt(4096, 0x00008000, NULL, 0, &q), EDNS_OK);
	ck_assert(q.present);
	ck_assert_uint_eq(q.payload, 4096);
	ck_assert_uint_eq(q.version, 0);
	ck_assert(q.do_bit);
	ck_assert(!q.nsid);
	ck_assert(!q.has_ecs);
	ck_assert_int_eq(edns_parse_opt(512, 0x01020000, NULL, 0, &q), EDNS_OK);
	ck_assert_uint_eq(q.ext_rcode, 1);
	ck_assert_uint_eq(q.version, 2);
	ck_assert(!q.do_bit);
}
END_TEST

START_TEST(opt_options)
{
	struct edns_query q;
	/* NSID, an unknown option, ECS */
	const uint8_t o[] = { 0, 3, 0, 0, 0xAB, 0xCD, 0, 2, 9, 9, 0, 8, 0, 6, 0, 1, 16, 0, 10, 20 };
	ck_assert_int_eq(edns_parse_opt(1232, 0, o, sizeof(o), &q), EDNS_OK);
	ck_assert(q.nsid);
	ck_assert(q.has_ecs);
	ck_assert(!q.ecs_invalid);
	ck_assert_uint_eq(q.ecs.source, 16);
	ck_assert_uint_eq(q.ecs.addr[1], 20);
	/* a bad ECS is not a framing error, it is flagged */
	const uint8_t bad[] = { 0, 8, 0, 4, 0, 9, 0, 0 };
	ck_assert_int_eq(edns_parse_opt(1232, 0, bad, sizeof(bad), &q), EDNS_OK);
	ck_assert(q.ecs_invalid);
	ck_assert(!q.has_ecs);
	/* framing: option longer than RDATA, half a header, one stray byte */
	const uint8_t f1[] = { 0, 3, 0, 5, 1 };
	const uint8_t f2[] = { 0, 3, 0 };
	const uint8_t f3[] = { 0, 3, 0, 0, 7 };
	ck_assert_int_eq(edns_parse_opt(1232, 0, f1, sizeof(f1), &q), EDNS_EFORMAT);
	ck_assert_int_eq(edns_parse_opt(1232, 0, f2, sizeof(f2), &q), EDNS_EFORMAT);
	ck_assert_int_eq(edns_parse_opt(1232, 0, f3, sizeof(f3), &q), EDNS_EFORMAT);
	/* COOKIE: a client cookie is kept; the first of two counts; a 9-byte
	 * one is malformed but not a framing error (FORMERR comes later, with
	 * an OPT, RFC 7873 5.2.2). */
	const uint8_t c1[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	ck_assert_int_eq(edns_parse_opt(1232, 0, c1, sizeof(c1), &q), EDNS_OK);
	ck_assert(q.cookie.present && !q.cookie.malformed);
	ck_assert_uint_eq(q.cookie.len, 8);
	ck_assert_uint_eq(q.cookie.data[7], 8);
	ck_assert_int_eq(edns_parse_opt(1232, 0, c1 + 12, sizeof(c1) - 12, &q), EDNS_OK);
	ck_assert(q.cookie.present && q.cookie.malformed);
	ck_assert_int_eq(edns_parse_opt(1232, 0, o, sizeof(o), &q), EDNS_OK);
	ck_assert(!q.cookie.present);
}
END_TEST

START_TEST(opt_write)
{
	uint8_t buf[256];
	struct wire_wr w = wire_wr_init(buf, sizeof(buf));
	struct edns_answer a = { 1232, 1, true, NULL, NULL, NULL, 0 };
	ck_assert_uint_eq(edns_opt_size(&a), 11);
	edns_write_opt(&w, &a);
	ck_assert_int_eq(w.err, 0);
	const uint8_t want[] = { 0, 0, 41, 0x04, 0xD0, 1, 0, 0x80, 0, 0, 0 };
	ck_assert_uint_eq(w.pos, sizeof(want));
	ck_assert(memcmp(buf, want, sizeof(want)) == 0);

	struct ecs e;
	const uint8_t v4[] = { 0, 1, 20, 0, 10, 20, 0x30 };
	ck_assert_int_eq(ecs_parse(v4, sizeof(v4), &e), 0);
	struct edns_answer b = { 4096, 0, false, "ns1", &e, NULL, 0 };
	ck_assert_uint_eq(edns_opt_size(&b), 11 + 4 + 3 + 4 + 7);
	w = wire_wr_init(buf, sizeof(buf));
	edns_write_opt(&w, &b);
	ck_assert_uint_eq(w.pos, edns_opt_size(&b));
	const uint8_t want2[] = { 0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 18,
	                          0, 3, 0, 3, 'n', 's', '1',
	                          0, 8, 0, 7, 0, 1, 20, 0, 10, 20, 0x30 };
	ck_assert_uint_eq(w.pos, sizeof(want2));
	ck_assert(memcmp(buf, want2, sizeof(want2)) == 0);

	/* COOKIE (RFC 7873 4): option 10, the 24 bytes as given, after ECS. */
	const uint8_t ck[24] = { 0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57, 1, 0, 0, 0,
	                         0x5c, 0xf7, 0x9f, 0x11, 0x1f, 0x81, 0x30, 0xc3, 0xee, 0xe2, 0x94, 0x80 };
	struct edns_answer k = { 1232, 0, false, NULL, &e, ck, 24 };
	ck_assert_uint_eq(edns_opt_size(&k), 11 + 4 + 7 + 4 + 24);
	w = wire_wr_init(buf, sizeof(buf));
	edns_write_opt(&w, &k);
	ck_assert_uint_eq(w.pos, 50);
	const uint8_t want3[] = { 0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 39,
	                          0, 8, 0, 7, 0, 1, 20, 0, 10, 20, 0x30, 0, 10, 0, 24 };
	ck_assert(memcmp(buf, want3, sizeof(want3)) == 0);
	ck_assert(memcmp(buf + sizeof(want3), ck, 24) == 0);

	/* empty NSID string: no option */
	struct edns_answer c = { 1232, 0, false, "", NULL, NULL, 0 };
	ck_assert_uint_eq(edns_opt_size(&c), 11);

	/* does not fit: sticky error */
	w = wire_wr_init(buf, 10);
	edns_write_opt(&w, &a);
	ck_assert_int_ne(w.err, 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("edns");
	TCase *tc = tcase_create("edns");
	tcase_add_test(tc, ecs_valid);
	tcase_add_test(tc, ecs_invalid);
	tcase_add_test(tc, opt_fields);
	tcase_add_test(tc, opt_options);
	tcase_add_test(tc, opt_write);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
