/*
 * test_steer_private.c: steer_addr_private (geodns/steer.h), which decides
 * whether an ECS subnet locates the client: the first and last address of
 * every non-routable range and the neighbours just outside it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "geodns/steer.h"

/* The 128-bit form steer uses: IPv6 as is, IPv4 as ::ffff:a.b.c.d. */
static bool priv(const char *text)
{
	uint8_t a[16];
	memset(a, 0, sizeof(a));
	if (strchr(text, ':')) {
		ck_assert_int_eq(inet_pton(AF_INET6, text, a), 1);
	} else {
		a[10] = a[11] = 0xff;
		ck_assert_int_eq(inet_pton(AF_INET, text, a + 12), 1);
	}
	return steer_addr_private(a);
}

START_TEST(ipv4_ranges)
{
	static const char *inside[] = {
		"0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255",
		"100.64.0.0", "100.127.255.255", "127.0.0.0", "127.255.255.255",
		"169.254.0.0", "169.254.255.255", "172.16.0.0", "172.31.255.255",
		"192.168.0.0", "192.168.255.255", "224.0.0.0", "239.255.255.255",
		"240.0.0.0", "255.255.255.255",
	};
	static const char *outside[] = {
		"1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
		"126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
		"172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0",
		"223.255.255.255", "192.0.2.1", "81.2.69.1", "8.8.8.8",
	};
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		ck_assert_msg(priv(inside[i]), "%s should be private", inside[i]);
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		ck_assert_msg(!priv(outside[i]), "%s should be public", outside[i]);
}
END_TEST

START_TEST(ipv6_ranges)
{
	static const char *inside[] = {
		"::", "::1", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff00::", "ff02::1",
	};
	static const char *outside[] = {
		"::2", "::100", "1::", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::",
		"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::", "2001:db8::1", "2a00:1450::1",
		/* IPv4-compatible and NAT64 forms are not the IPv4 ranges */
		"::10.0.0.1", "64:ff9b::10.0.0.1", "::fffe:10.0.0.1",
	};
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		ck_assert_msg(priv(inside[i]), "%s should be private", inside[i]);
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		ck_assert_msg(!priv(outside[i]), "%s should be public", outside[i]);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("steer_private");
	TCase *tc = tcase_create("ranges");
	tcase_add_test(tc, ipv4_ranges);
	tcase_add_test(tc, ipv6_ranges);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
