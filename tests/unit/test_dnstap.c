/*
 * test_dnstap.c: the hand protobuf encoder (dnstap_encode) against bytes
 * worked out by hand from the protobuf encoding rules
 * (protobuf.dev/programming-guides/encoding: key = field << 3 | wire type,
 * varints 7 bits a byte low first, fixed32 little-endian) and the field
 * numbers of dnstap.proto (tests/data/dnstap/dnstap.proto). The cases are
 * the length edges of the encoder: a Message body whose bound needs a
 * 2-byte length while the body needs 1 (the body is moved down), and a
 * 20,000-byte response (3-byte lengths). test_dnstap.py has dnstap-ldns
 * and protoc read real output.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnstap.h"

/* AUTH_QUERY from 192.0.2.1#53 over UDP, query time 1 s 2 ns, a 70-byte
 * query of 0xab, identity "id", version "v". The body is 93 bytes (one
 * length byte) while its bound, 70 + 68, needs two. */
START_TEST(query_body_moved_down)
{
	uint8_t head[2 * (DNSTAP_STR_MAX + 3)];
	size_t hl = dnstap_head("id", "v", head);
	static const uint8_t want_head[] = { 0x0a, 0x02, 'i', 'd', 0x12, 0x01, 'v' };
	ck_assert_uint_eq(hl, sizeof(want_head));
	ck_assert_mem_eq(head, want_head, hl);

	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(53) };
	sin.sin_addr.s_addr = htonl(0xc0000201);
	uint8_t query[70];
	memset(query, 0xab, sizeof(query));
	struct dnstap_msg m = {
		.type = DNSTAP_AUTH_QUERY, .head = head, .head_len = hl,
		.peer = (const struct sockaddr *)&sin, .qtime = { 1, 2 },
		.query = query, .qlen = sizeof(query),
	};
	uint8_t want[256], *w = want;
	memcpy(w, want_head, sizeof(want_head));
	w += sizeof(want_head);
	static const uint8_t msg[] = {
		0x72, 93,                        /* message (14), 93 bytes */
		0x08, 0x01,                      /* type AUTH_QUERY */
		0x10, 0x01,                      /* socket_family INET */
		0x18, 0x01,                      /* socket_protocol UDP */
		0x22, 0x04, 192, 0, 2, 1,        /* query_address */
		0x30, 53,                        /* query_port */
		0x40, 0x01,                      /* query_time_sec */
		0x4d, 0x02, 0x00, 0x00, 0x00,    /* query_time_nsec (fixed32) */
		0x52, 70,                        /* query_message, 70 bytes */
	};
	memcpy(w, msg, sizeof(msg));
	w += sizeof(msg);
	memset(w, 0xab, 70);
	w += 70;
	*w++ = 0x78;                             /* type (15) MESSAGE */
	*w++ = 0x01;

	uint8_t *buf = malloc(DNSTAP_ENC_MAX(&m));
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(dnstap_encode(&m, buf, DNSTAP_ENC_MAX(&m) - 1), 0);  /* short */
	size_t n = dnstap_encode(&m, buf, DNSTAP_ENC_MAX(&m));
	ck_assert_uint_eq(n, (size_t)(w - want));
	ck_assert_mem_eq(buf, want, n);
	free(buf);
}
END_TEST

/* AUTH_RESPONSE with no address, no head, the extra line of a steered
 * answer with no arm and no ECS, and a one-byte query and response. */
START_TEST(response_with_extra)
{
	static const uint8_t q = 0x01, r = 0x02;
	struct dnstap_extra x = { .method = "geodns", .arm = "", .pop = "lon", .scope = -1 };
	struct dnstap_msg m = {
		.type = DNSTAP_AUTH_RESPONSE, .extra = &x, .qtime = { 1, 2 }, .rtime = { 3, 4 },
		.query = &q, .qlen = 1, .response = &r, .rlen = 1,
	};
	static const char line[] = "method=geodns arm= pop=lon scope=-1";
	uint8_t want[128], *w = want;
	*w++ = 0x1a;                             /* extra (3) */
	*w++ = sizeof(line) - 1;
	memcpy(w, line, sizeof(line) - 1);
	w += sizeof(line) - 1;
	static const uint8_t msg[] = {
		0x72, 22,
		0x08, 0x02,                      /* AUTH_RESPONSE */
		0x40, 0x01, 0x4d, 0x02, 0x00, 0x00, 0x00,
		0x52, 0x01, 0x01,                /* query_message */
		0x60, 0x03,                      /* response_time_sec (12) */
		0x6d, 0x04, 0x00, 0x00, 0x00,    /* response_time_nsec (13) */
		0x72, 0x01, 0x02,                /* response_message (14) */
		0x78, 0x01,
	};
	memcpy(w, msg, sizeof(msg));
	w += sizeof(msg);
	uint8_t buf[1024];
	size_t n = dnstap_encode(&m, buf, sizeof(buf));
	ck_assert_uint_eq(n, (size_t)(w - want));
	ck_assert_mem_eq(buf, want, n);
}
END_TEST

/* A 20,000-byte response: 20000 = 0x4e20 is a0 9c 01 as a varint, the
 * body 2 + 7 + 7 + 4 + 20000 = 20020 = 0x4e34 is b4 9c 01. */
START_TEST(response_three_byte_lengths)
{
	uint8_t *resp = malloc(20000);
	ck_assert_ptr_nonnull(resp);
	memset(resp, 0x55, 20000);
	struct dnstap_msg m = {
		.type = DNSTAP_AUTH_RESPONSE, .qtime = { 1, 2 }, .rtime = { 3, 4 },
		.response = resp, .rlen = 20000,
	};
	static const uint8_t pre[] = {
		0x72, 0xb4, 0x9c, 0x01,
		0x08, 0x02, 0x40, 0x01, 0x4d, 0x02, 0x00, 0x00, 0x00,
		0x60, 0x03, 0x6d, 0x04, 0x00, 0x00, 0x00,
		0x72, 0xa0, 0x9c, 0x01,
	};
	uint8_t *buf = malloc(DNSTAP_ENC_MAX(&m));
	ck_assert_ptr_nonnull(buf);
	size_t n = dnstap_encode(&m, buf, DNSTAP_ENC_MAX(&m));
	ck_assert_uint_eq(n, sizeof(pre) + 20000 + 2);
	ck_assert_mem_eq(buf, pre, sizeof(pre));
	ck_assert_mem_eq(buf + sizeof(pre), resp, 20000);
	ck_assert_uint_eq(buf[n - 2], 0x78);
	ck_assert_uint_eq(buf[n - 1], 0x01);
	free(buf);
	free(resp);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("dnstap");
	TCase *tc = tcase_create("encode");
	tcase_add_test(tc, query_body_moved_down);
	tcase_add_test(tc, response_with_extra);
	tcase_add_test(tc, response_three_byte_lengths);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
