/*
 * test_cookie.c: SipHash-2-4 against the reference vectors of its paper,
 * RFC 9018 server cookies against the RFC's Appendix A vectors, cookie
 * validity (age window, rollover secret, other client address, foreign
 * versions), RFC 7873 option lengths, and the secret file.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cookie.h"
#include "common/siphash.h"

#include "net_test_util.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* SipHash paper, Appendix A: key 00..0f; message 00..0e gives
 * a129ca6149be45e5; the reference vectors.h gives 726fdb47dd0e0e31 for
 * the empty message and, for the 8-byte message 00..07, 93f5f5799a932462. */
START_TEST(siphash_reference_vectors)
{
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	ck_assert_uint_eq(siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
	ck_assert_uint_eq(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	ck_assert_uint_eq(siphash24(key, msg, 8), 0x93f5f5799a932462ULL);
}
END_TEST

struct vec {
	const char *secret, *client_cookie, *ip;
	uint32_t now;
	const char *server_cookie;
};

/* RFC 9018 Appendix A.1-A.3 (A.2 and A.3 are renewals: the cookie made
 * at the query's time). */
static const struct vec rfc9018[] = {
	{ "e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559731985,
	  "010000005cf79f111f8130c3eee29480" },
	{ "e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559734385,
	  "010000005cf7a871d4a564a1442aca77" },
	{ "e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203", 1559734700,
	  "010000005cf7a9acf73a7810aca2381e" },
};

START_TEST(rfc9018_vectors)
{
	for (size_t i = 0; i < sizeof(rfc9018) / sizeof(rfc9018[0]); i++) {
		const struct vec *v = &rfc9018[i];
		uint8_t secret[16], cc[8], want[16], got[16];
		hex(v->secret, secret, 16);
		hex(v->client_cookie, cc, 8);
		hex(v->server_cookie, want, 16);
		struct sockaddr_storage ss = test_addr(v->ip);
		cookie_make(secret, cc, (struct sockaddr *)&ss, v->now, got);
		ck_assert_msg(memcmp(got, want, 16) == 0, "vector A.%zu", i + 1);
		/* The same client as v4-mapped IPv6 (dual-stack socket) hashes as IPv4. */
		char mapped[64];
		snprintf(mapped, sizeof(mapped), "::ffff:%s", v->ip);
		ss = test_addr(mapped);
		cookie_make(secret, cc, (struct sockaddr *)&ss, v->now, got);
		ck_assert_msg(memcmp(got, want, 16) == 0, "vector A.%zu v4-mapped", i + 1);
	}
}
END_TEST

/* The option client | server cookie, parsed (it borrows the bytes: each
 * call gets its own buffer of a small ring). */
static struct cookie_query query_with(const uint8_t cc[8], const uint8_t sc[16])
{
	static uint8_t ring[8][24];
	static unsigned next;
	uint8_t *data = ring[next++ % 8];
	struct cookie_query q;
	memcpy(data, cc, 8);
	memcpy(data + 8, sc, 16);
	cookie_parse(data, 24, &q);
	return q;
}

START_TEST(validity_window_and_rollover)
{
	struct cookie_conf cc = { .enabled = true };
	uint8_t client[8], sc[16];
	hex("e5e973e5a6b2a43f48e7dc849e37bfcf", cc.secret, 16);
	hex("2464c4abcf10c957", client, 8);
	struct sockaddr_storage me = test_addr("2001:db8:220:1:59de:d0f4:8769:82b8");
	struct sockaddr_storage other = test_addr("2001:db8:220:1:59de:d0f4:8769:82b9");
	const uint32_t t = 1559731985;

	cookie_make(cc.secret, client, (struct sockaddr *)&me, t, sc);
	struct cookie_query q = query_with(client, sc);
	ck_assert(!q.malformed);
	ck_assert(cookie_valid(&cc, &q, (struct sockaddr *)&me, t));
	ck_assert(cookie_valid(&cc, &q, (struct sockaddr *)&me, t + COOKIE_MAX_AGE));
	ck_assert(!cookie_valid(&cc, &q, (struct sockaddr *)&me, t + COOKIE_MAX_AGE + 1));
	ck_assert(cookie_valid(&cc, &q, (struct sockaddr *)&me, t - COOKIE_MAX_AHEAD));
	ck_assert(!cookie_valid(&cc, &q, (struct sockaddr *)&me, t - COOKIE_MAX_AHEAD - 1));
	/* Another address, another client cookie, one flipped hash bit. */
	ck_assert(!cookie_valid(&cc, &q, (struct sockaddr *)&other, t));
	uint8_t client2[8];
	memcpy(client2, client, 8);
	client2[7] ^= 1;
	struct cookie_query q2 = query_with(client2, sc);
	ck_assert(!cookie_valid(&cc, &q2, (struct sockaddr *)&me, t));
	sc[15] ^= 0x80;
	q2 = query_with(client, sc);
	ck_assert(!cookie_valid(&cc, &q2, (struct sockaddr *)&me, t));
	sc[15] ^= 0x80;
	/* A version other than 1, or reserved bytes set: not ours. */
	sc[0] = 2;
	q2 = query_with(client, sc);
	ck_assert(!cookie_valid(&cc, &q2, (struct sockaddr *)&me, t));
	sc[0] = 1;
	sc[2] = 1;
	q2 = query_with(client, sc);
	ck_assert(!cookie_valid(&cc, &q2, (struct sockaddr *)&me, t));
	sc[2] = 0;
	/* Rollover: a new secret, the old one as previous, still accepted;
	 * without it, not. */
	struct cookie_conf rolled = cc;
	memcpy(rolled.previous, cc.secret, 16);
	rolled.has_previous = true;
	hex("445536bcd2513298075a5d379663c962", rolled.secret, 16);
	ck_assert(cookie_valid(&rolled, &q, (struct sockaddr *)&me, t + 10));
	rolled.has_previous = false;
	ck_assert(!cookie_valid(&rolled, &q, (struct sockaddr *)&me, t + 10));
	/* Across the 32-bit wrap of the timestamp (RFC 1982). */
	cookie_make(cc.secret, client, (struct sockaddr *)&me, 0xFFFFFFF0u, sc);
	q = query_with(client, sc);
	ck_assert(cookie_valid(&cc, &q, (struct sockaddr *)&me, 0x10));
}
END_TEST

START_TEST(option_lengths)
{
	uint8_t buf[48] = { 0 };
	struct cookie_query q;
	/* RFC 7873 5.2.2: 8, or 16..40; everything else is malformed. */
	for (size_t len = 0; len <= 48; len++) {
		cookie_parse(buf, len, &q);
		bool ok = len == 8 || (len >= 16 && len <= 40);
		ck_assert_msg(q.present && q.malformed == !ok, "length %zu", len);
	}
	/* A valid-length but foreign (24-byte) server cookie is not ours. */
	struct cookie_conf cc = { .enabled = true };
	struct sockaddr_storage me = test_addr("192.0.2.1");
	cookie_parse(buf, 32, &q);
	ck_assert(!q.malformed);
	ck_assert(!cookie_valid(&cc, &q, (struct sockaddr *)&me, 1000));
}
END_TEST

static const char *write_tmp(const char *text)
{
	static char path[] = "/tmp/steerdns-cookie-XXXXXX";
	strcpy(path, "/tmp/steerdns-cookie-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(secret_file)
{
	struct cookie_conf cc;
	char err[256];
	uint8_t want[16], prev[16];
	hex("e5e973e5a6b2a43f48e7dc849e37bfcf", want, 16);
	hex("445536bcd2513298075a5d379663c962", prev, 16);

	const char *p = write_tmp("  E5E973E5A6B2A43F48E7DC849E37BFCF \n\n445536bcd2513298075a5d379663c962\n");
	memset(&cc, 0, sizeof(cc));
	ck_assert_int_eq(cookie_load_secret(p, &cc, err, sizeof(err)), 0);
	ck_assert(memcmp(cc.secret, want, 16) == 0);
	ck_assert(cc.has_previous && memcmp(cc.previous, prev, 16) == 0);
	unlink(p);

	p = write_tmp("e5e973e5a6b2a43f48e7dc849e37bfcf\n");
	memset(&cc, 0, sizeof(cc));
	ck_assert_int_eq(cookie_load_secret(p, &cc, err, sizeof(err)), 0);
	ck_assert(!cc.has_previous);
	unlink(p);

	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "e5e973e5a6b2a43f48e7dc849e37bfc\n", ":1: expected 32 hex digits (a 128-bit secret)" },
		{ "\ne5e973e5a6b2a43f48e7dc849e37bfcg\n", ":2: expected 32 hex digits (a 128-bit secret)" },
		{ "", ": no secret in the file" },
		{ "e5e973e5a6b2a43f48e7dc849e37bfcf\ne5e973e5a6b2a43f48e7dc849e37bfcf\n"
		  "e5e973e5a6b2a43f48e7dc849e37bfcf\n", ":3: more than two secrets (current, previous)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = write_tmp(bad[i].text);
		char want_err[256];
		snprintf(want_err, sizeof(want_err), "%s%s", p, bad[i].msg);
		ck_assert_int_eq(cookie_load_secret(p, &cc, err, sizeof(err)), -1);
		ck_assert_str_eq(err, want_err);
		unlink(p);
	}
	ck_assert_int_eq(cookie_load_secret("/nonexistent/secret", &cc, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/secret: No such file or directory");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("cookie");
	TCase *tc = tcase_create("cookie");
	tcase_add_test(tc, siphash_reference_vectors);
	tcase_add_test(tc, rfc9018_vectors);
	tcase_add_test(tc, validity_window_and_rollover);
	tcase_add_test(tc, option_lengths);
	tcase_add_test(tc, secret_file);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
