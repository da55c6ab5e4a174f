/*
 * test_rrl.c: response rate limiting against figures worked out by hand
 * from the definition in common/rrl.h (balance credited `rate` a second up
 * to `rate`, debited one a response, floor -rate*window; over the limit
 * every `slip`th truncated, the rest dropped), prefixes, classes, names,
 * exemptions, and exact totals with two threads on one account.
 */
#include <arpa/inet.h>
#include <check.h>
#include <pthread.h>
#include <string.h>

#include "common/dname.h"
#include "common/rrl.h"

#include "net_test_util.h"

static struct rrl_conf conf(uint32_t rate, uint32_t slip, uint32_t window)
{
	struct rrl_conf c = { .enabled = true, .rate = rate, .slip = slip, .window = window,
	                      .ipv4_prefix = 24, .ipv6_prefix = 56 };
	return c;
}

struct tally {
	unsigned pass, slip, drop;
};

static struct tally burst(struct rrl_table *t, const struct rrl_conf *c, const char *ip,
                          enum rrl_class cls, const uint8_t *name, uint32_t now, unsigned n,
                          uint32_t *ctr)
{
	struct tally r = { 0, 0, 0 };
	struct sockaddr_storage ss = test_addr(ip);
	for (unsigned i = 0; i < n; i++) {
		switch (rrl_account(t, c, (struct sockaddr *)&ss, cls, name, now, ctr)) {
		case RRL_PASS: r.pass++; break;
		case RRL_SLIP: r.slip++; break;
		case RRL_DROP: r.drop++; break;
		}
	}
	return r;
}

static const uint8_t WWW[] = "\3www\7example\4test";
static const uint8_t MAIL[] = "\4mail\7example\4test";

START_TEST(flood_rate_slip_window)
{
	struct rrl_table *t = rrl_table_new(12);
	struct rrl_conf c = conf(5, 2, 15);
	uint32_t ctr = 0;
	/* 100 at t=1000: balance 5 -> the first 5 pass (4..0), 95 over: the
	 * 2nd, 4th, ... over-limit one slips: 47 slip, 48 dropped. Balance
	 * ends at max(5 - 100, -75) = -75. */
	struct tally r = burst(t, &c, "198.51.100.7", RRL_POSITIVE, WWW, 1000, 100, &ctr);
	ck_assert_uint_eq(r.pass, 5);
	ck_assert_uint_eq(r.slip, 47);
	ck_assert_uint_eq(r.drop, 48);
	/* One second on: -75 + 5 = -70: still over. Another host of the same
	 * /24 shares the account. */
	r = burst(t, &c, "198.51.100.200", RRL_POSITIVE, WWW, 1001, 1, &ctr);
	ck_assert_uint_eq(r.pass, 0);
	/* That took it to -71. At t=1015: -71 + 14*5 = -1, debit -> -2: over.
	 * At t=1016: -2 + 5 = 3 -> 2: passes, then 2 more (1, 0), then over. */
	r = burst(t, &c, "198.51.100.7", RRL_POSITIVE, WWW, 1015, 1, &ctr);
	ck_assert_uint_eq(r.pass, 0);
	r = burst(t, &c, "198.51.100.7", RRL_POSITIVE, WWW, 1016, 4, &ctr);
	ck_assert_uint_eq(r.pass, 3);
	/* The next /24, another name, another class: each its own account. */
	r = burst(t, &c, "198.51.101.7", RRL_POSITIVE, WWW, 1016, 6, &ctr);
	ck_assert_uint_eq(r.pass, 5);
	r = burst(t, &c, "198.51.100.7", RRL_POSITIVE, MAIL, 1016, 6, &ctr);
	ck_assert_uint_eq(r.pass, 5);
	r = burst(t, &c, "198.51.100.7", RRL_NXDOMAIN, WWW, 1016, 6, &ctr);
	ck_assert_uint_eq(r.pass, 5);
	rrl_table_free(t);
}
END_TEST

START_TEST(slip_settings)
{
	struct rrl_table *t = rrl_table_new(12);
	uint32_t ctr = 0;
	/* slip 0: everything over the limit is dropped; slip 1: truncated. */
	struct rrl_conf c = conf(3, 0, 1);
	struct tally r = burst(t, &c, "203.0.113.1", RRL_ERROR, NULL, 50, 20, &ctr);
	ck_assert(r.pass == 3 && r.slip == 0 && r.drop == 17);
	c = conf(3, 1, 1);
	r = burst(t, &c, "203.0.114.1", RRL_ERROR, NULL, 50, 20, &ctr);
	ck_assert(r.pass == 3 && r.slip == 17 && r.drop == 0);
	/* slip 3 with a fresh counter: over-limit #3, #6, ... slip: 17 -> 5. */
	ctr = 0;
	c = conf(3, 3, 1);
	r = burst(t, &c, "203.0.115.1", RRL_ERROR, NULL, 50, 20, &ctr);
	ck_assert(r.pass == 3 && r.slip == 5 && r.drop == 12);
	/* window 1: floor -3, so after a flood one second refills 3 of it:
	 * -3 + 3 = 0 -> -1: over; the second second: -1 + 3 = 2 -> passes. */
	r = burst(t, &c, "203.0.115.1", RRL_ERROR, NULL, 51, 1, &ctr);
	ck_assert_uint_eq(r.pass, 0);
	r = burst(t, &c, "203.0.115.1", RRL_ERROR, NULL, 52, 1, &ctr);
	ck_assert_uint_eq(r.pass, 1);
	rrl_table_free(t);
}
END_TEST

START_TEST(ipv6_prefixes_and_mapped)
{
	struct rrl_table *t = rrl_table_new(12);
	struct rrl_conf c = conf(2, 0, 1);
	uint32_t ctr = 0;
	/* One /56: 2001:db8:0:ab00::/56 covers ab00..abff in the 4th group. */
	ck_assert_uint_eq(burst(t, &c, "2001:db8:0:ab01::1", RRL_POSITIVE, WWW, 7, 1, &ctr).pass, 1);
	ck_assert_uint_eq(burst(t, &c, "2001:db8:0:abff::9", RRL_POSITIVE, WWW, 7, 2, &ctr).pass, 1);
	ck_assert_uint_eq(burst(t, &c, "2001:db8:0:ac00::1", RRL_POSITIVE, WWW, 7, 2, &ctr).pass, 2);
	/* A v4-mapped source counts with its IPv4 /24. */
	ck_assert_uint_eq(burst(t, &c, "192.0.2.10", RRL_POSITIVE, WWW, 7, 1, &ctr).pass, 1);
	ck_assert_uint_eq(burst(t, &c, "::ffff:192.0.2.99", RRL_POSITIVE, WWW, 7, 2, &ctr).pass, 1);
	/* ipv6_prefix 128: each address its own account. */
	c.ipv6_prefix = 128;
	ck_assert_uint_eq(burst(t, &c, "2001:db8:1::1", RRL_POSITIVE, WWW, 7, 2, &ctr).pass, 2);
	ck_assert_uint_eq(burst(t, &c, "2001:db8:1::2", RRL_POSITIVE, WWW, 7, 2, &ctr).pass, 2);
	rrl_table_free(t);
}
END_TEST

START_TEST(exempt_networks)
{
	struct netprefix ex[2];
	ck_assert_int_eq(netprefix_parse("192.0.2.0/25", &ex[0]), 0);
	ck_assert_int_eq(netprefix_parse("2001:db8::/32", &ex[1]), 0);
	ck_assert_int_eq(netprefix_parse("192.0.2.0/33", &ex[0]), NETPREFIX_ELEN);
	ck_assert_int_eq(netprefix_parse("192.0.2/24", &ex[0]), NETPREFIX_ESYNTAX);
	ck_assert_int_eq(netprefix_parse("192.0.2.0/25", &ex[0]), 0);
	struct rrl_conf c = conf(1, 0, 1);
	c.exempt = ex;
	c.n_exempt = 2;
	const char *in[] = { "192.0.2.0", "192.0.2.127", "::ffff:192.0.2.5", "2001:db8:ffff::1" };
	const char *out[] = { "192.0.2.128", "192.0.3.1", "2001:db9::1", "::1" };
	for (int i = 0; i < 4; i++) {
		struct sockaddr_storage a = test_addr(in[i]), b = test_addr(out[i]);
		ck_assert_msg(rrl_exempt(&c, (struct sockaddr *)&a), "%s", in[i]);
		ck_assert_msg(!rrl_exempt(&c, (struct sockaddr *)&b), "%s", out[i]);
	}
}
END_TEST

struct hammer {
	struct rrl_table *t;
	struct rrl_conf c;
	unsigned pass;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	struct sockaddr_storage ss = test_addr("100.64.1.1");
	uint32_t ctr = 0;
	for (int i = 0; i < 200000; i++)
		if (rrl_account(h->t, &h->c, (struct sockaddr *)&ss, RRL_POSITIVE, WWW, 9, &ctr) ==
		    RRL_PASS)
			h->pass++;
	return NULL;
}

START_TEST(two_threads_one_account)
{
	struct rrl_table *t = rrl_table_new(10);
	struct hammer h[2] = { { t, conf(1000, 0, 1), 0 }, { t, conf(1000, 0, 1), 0 } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, hammer_run, &h[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* Within one second exactly `rate` responses pass, however they race. */
	ck_assert_uint_eq(h[0].pass + h[1].pass, 1000);
	rrl_table_free(t);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("rrl");
	TCase *tc = tcase_create("rrl");
	tcase_add_test(tc, flood_rate_slip_window);
	tcase_add_test(tc, slip_settings);
	tcase_add_test(tc, ipv6_prefixes_and_mapped);
	tcase_add_test(tc, exempt_networks);
	tcase_add_test(tc, two_threads_one_account);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
