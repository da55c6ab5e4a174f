/* test_ab.c: the A/B split (steer/ab.h): shares, stability, granularity, scopes. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "steer/ab.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next32(void)
{
	/* xorshift64*: a fixed sequence, so a failure reproduces. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

static struct steer_client v4(uint32_t a, bool ecs_v6)
{
	struct steer_client c;
	memset(&c, 0, sizeof(c));
	c.addr[10] = c.addr[11] = 0xff;
	c.addr[12] = (uint8_t)(a >> 24);
	c.addr[13] = (uint8_t)(a >> 16);
	c.addr[14] = (uint8_t)(a >> 8);
	c.addr[15] = (uint8_t)a;
	c.is_v4 = true;
	c.from_ecs = true;
	c.ecs_v6 = ecs_v6;
	c.source = ecs_v6 ? 120 : 24;
	return c;
}

static struct steer_client v6(uint64_t hi, uint64_t lo)
{
	struct steer_client c;
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 8; i++) {
		c.addr[i] = (uint8_t)(hi >> (56 - 8 * i));
		c.addr[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
	c.from_ecs = true;
	c.ecs_v6 = true;
	c.source = 56;
	return c;
}

/* Share of anycast over n random /24s, in percent. */
static double share_v4(uint32_t bp, unsigned n)
{
	unsigned any = 0;
	for (unsigned i = 0; i < n; i++) {
		struct steer_client c = v4(next32() & 0xffffff00u, false);
		any += ab_arm_of(&c, bp) == AB_ARM_ANYCAST;
	}
	return 100.0 * any / n;
}

START_TEST(shares_within_one_percent)
{
	double s50 = share_v4(5000, 100000);
	ck_assert_msg(s50 > 49.0 && s50 < 51.0, "50%% setting gave %.3f%%", s50);
	double s125 = share_v4(1250, 100000);
	ck_assert_msg(s125 > 11.5 && s125 < 13.5, "12.5%% setting gave %.3f%%", s125);
	/* IPv6 /56s too */
	unsigned any = 0;
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t hi = ((uint64_t)next32() << 32 | next32()) & ~0xffULL;
		struct steer_client c = v6(hi, 0);
		any += ab_arm_of(&c, 5000) == AB_ARM_ANYCAST;
	}
	ck_assert_msg(any > 49000 && any < 51000, "v6 50%%: %u of 100000", any);
	/* the ends of the range are absolute */
	ck_assert(share_v4(0, 10000) == 0.0);
	ck_assert(share_v4(10000, 10000) == 100.0);
}
END_TEST

START_TEST(same_subnet_same_arm)
{
	for (unsigned i = 0; i < 10000; i++) {
		uint32_t net = next32() & 0xffffff00u;
		struct steer_client a = v4(net, false);
		enum ab_arm arm = ab_arm_of(&a, 5000);
		uint64_t h = ab_subnet_hash(&a);
		/* again, another host of the /24, and the v4-mapped IPv6 form */
		struct steer_client b = v4(net | (next32() & 0xff), false);
		struct steer_client m = v4(net | 0x7f, true);
		m.from_ecs = false;  /* as a resolver address */
		ck_assert_int_eq(ab_arm_of(&a, 5000), arm);
		ck_assert_int_eq(ab_arm_of(&b, 5000), arm);
		ck_assert_int_eq(ab_arm_of(&m, 5000), arm);
		ck_assert(ab_subnet_hash(&b) == h && ab_subnet_hash(&m) == h);
		/* two hosts of one /56 */
		uint64_t hi = ((uint64_t)next32() << 32 | next32()) & ~0xffULL;
		struct steer_client x = v6(hi, 0), y = v6(hi | (next32() & 0xff), (uint64_t)next32() << 7);
		ck_assert(ab_subnet_hash(&x) == ab_subnet_hash(&y));
	}
	/* Fixed values: the split must not change between builds, or every
	 * client would switch arms on an upgrade. */
	struct steer_client doc4 = v4(0xc0000200u, false);         /* 192.0.2.0/24 */
	struct steer_client doc6 = v6(0x20010db800000000ULL, 0);   /* 2001:db8::/56 */
	ck_assert(ab_subnet_hash(&doc4) == 0x213d675340c86a8fULL);
	ck_assert(ab_subnet_hash(&doc6) == 0xb3b78a5a17ed5422ULL);
}
END_TEST

START_TEST(neighbour_subnets_differ)
{
	/* The split is per /24, not per /16: neighbours do not all agree. */
	unsigned any = 0;
	for (uint32_t i = 0; i < 256; i++) {
		struct steer_client c = v4(0xcb007100u + (i << 8), false);
		any += ab_arm_of(&c, 5000) == AB_ARM_ANYCAST;
	}
	ck_assert_msg(any > 64 && any < 192, "%u of 256 neighbours anycast", any);
}
END_TEST

START_TEST(scopes_never_span_arms)
{
	struct steer_client a = v4(0xc6336400u, false), m = v4(0xc6336400u, true);
	struct steer_client s = v6(0x20010db812345600ULL, 0);
	for (unsigned g = 0; g <= 32; g++) {
		ck_assert_uint_ge(ab_scope(&a, AB_ARM_GEODNS, (uint8_t)g), 24);
		ck_assert_uint_eq(ab_scope(&a, AB_ARM_GEODNS, (uint8_t)g), g > 24 ? g : 24);
		ck_assert_uint_ge(ab_scope(&m, AB_ARM_GEODNS, (uint8_t)(96 + g)), 120);
	}
	for (unsigned g = 0; g <= 128; g++)
		ck_assert_uint_eq(ab_scope(&s, AB_ARM_GEODNS, (uint8_t)g), g > 56 ? g : 56);
	ck_assert_uint_eq(ab_scope(&a, AB_ARM_ANYCAST, 0), 24);
	ck_assert_uint_eq(ab_scope(&a, AB_ARM_ANYCAST, 30), 24);
	ck_assert_uint_eq(ab_scope(&m, AB_ARM_ANYCAST, 0), 120);
	ck_assert_uint_eq(ab_scope(&s, AB_ARM_ANYCAST, 0), 56);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ab");
	TCase *tc = tcase_create("ab");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, shares_within_one_percent);
	tcase_add_test(tc, same_subnet_same_arm);
	tcase_add_test(tc, neighbour_subnets_differ);
	tcase_add_test(tc, scopes_never_span_arms);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
