/*
 * test_probe_dns.c: the probe's query bytes (OPT with empty NSID and ECS),
 * response reading (answers, NSID, ECS scope, extended RCODE, mismatches,
 * malformed framing), address/subnet parsing, the median and the PoP maps.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "compare/probe.h"
#include "compare/probe_dns.h"
#include "compare/probe_net.h"
#include "geodns/geo_config.h"

static const uint8_t www_geo[] = { 3, 'w', 'w', 'w', 3, 'g', 'e', 'o', 4, 't', 'e', 's', 't', 0 };

static void geo_question(struct probe_question *q)
{
	memset(q, 0, sizeof(*q));
	memcpy(q->qname, www_geo, sizeof(www_geo));
	q->qtype = 1;
	q->qclass = 1;
}

START_TEST(build_query)
{
	struct probe_question q;
	uint8_t buf[PROBE_QUERY_MAX];

	geo_question(&q);
	q.rd = true;
	q.nsid = true;
	q.has_ecs = true;
	ck_assert_int_eq(probe_parse_subnet("198.51.100.77/24", &q.ecs), 0);
	int n = probe_dns_build(&q, 0xbeef, buf, sizeof(buf));
	const uint8_t want[] = {
		0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
		3, 'w', 'w', 'w', 3, 'g', 'e', 'o', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 15,
		0, 3, 0, 0,                                 /* empty NSID */
		0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100,      /* ECS /24, host bits cut */
	};
	ck_assert_int_eq(n, (int)sizeof(want));
	ck_assert(memcmp(buf, want, sizeof(want)) == 0);

	/* no options, no RD: an empty OPT */
	geo_question(&q);
	n = probe_dns_build(&q, 1, buf, sizeof(buf));
	ck_assert_int_eq(n, 12 + 18 + 11);
	ck_assert_uint_eq(buf[2], 0);
	ck_assert_uint_eq(buf[n - 1], 0);

	/* does not fit */
	ck_assert_int_eq(probe_dns_build(&q, 1, buf, 20), -1);
}
END_TEST

/* A response to www.geo.test A: CNAME-free, two A records (the second
 * owner compressed), an authority NS, and an OPT with ext RCODE, NSID and
 * ECS scope 20. */
static size_t make_response(uint8_t *m, uint16_t id, uint8_t ext_rcode)
{
	size_t n = 0;
	const uint8_t hdr[] = { (uint8_t)(id >> 8), (uint8_t)id, 0x84, 0x00, 0, 1, 0, 2, 0, 1, 0, 1 };
	memcpy(m + n, hdr, sizeof(hdr));
	n += sizeof(hdr);
	memcpy(m + n, www_geo, sizeof(www_geo));
	n += sizeof(www_geo);
	const uint8_t rest[] = {
		0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 10,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 11,
		0xc0, 16, 0, 2, 0, 1, 0, 0, 0, 30, 0, 2, 0xc0, 12,
		0, 0, 41, 0x04, 0xd0, ext_rcode, 0, 0, 0, 0, 19,
		0, 3, 0, 4, 'f', 'r', 'a', 0x01,
		0, 8, 0, 7, 0, 1, 24, 20, 198, 51, 100,
	};
	memcpy(m + n, rest, sizeof(rest));
	return n + sizeof(rest);
}

START_TEST(parse_response)
{
	struct probe_question q;
	struct probe_reply r;
	uint8_t m[512];

	geo_question(&q);
	size_t n = make_response(m, 0x1234, 0);
	ck_assert_int_eq(probe_dns_parse(&q, 0x1234, m, n, &r), PROBE_PARSE_OK);
	ck_assert_uint_eq(r.rcode, 0);
	ck_assert(r.aa);
	ck_assert_uint_eq(r.n_a, 2);
	char t[INET_ADDRSTRLEN];
	ck_assert_str_eq(inet_ntop(AF_INET, &r.a[0], t, sizeof(t)), "192.0.2.10");
	ck_assert_str_eq(inet_ntop(AF_INET, &r.a[1], t, sizeof(t)), "192.0.2.11");
	ck_assert(r.has_nsid);
	ck_assert_uint_eq(strlen(r.nsid), 4);
	ck_assert(memcmp(r.nsid, "fra\x01", 4) == 0);
	ck_assert(r.has_ecs);
	ck_assert_uint_eq(r.ecs_source, 24);
	ck_assert_uint_eq(r.ecs_scope, 20);

	/* extended RCODE: BADVERS = 16 (RFC 6891 9) */
	n = make_response(m, 7, 1);
	ck_assert_int_eq(probe_dns_parse(&q, 7, m, n, &r), PROBE_PARSE_OK);
	ck_assert_uint_eq(r.rcode, 16);
	ck_assert_str_eq(probe_rcode_name(r.rcode), "BADVERS");

	/* question name case does not matter (RFC 4343) */
	n = make_response(m, 7, 0);
	m[13] = 'W';
	ck_assert_int_eq(probe_dns_parse(&q, 7, m, n, &r), PROBE_PARSE_OK);
}
END_TEST

START_TEST(parse_rejects)
{
	struct probe_question q;
	struct probe_reply r;
	uint8_t m[512];

	geo_question(&q);
	size_t n = make_response(m, 5, 0);
	ck_assert_int_eq(probe_dns_parse(&q, 6, m, n, &r), PROBE_PARSE_MISMATCH);   /* ID */
	m[2] &= 0x7f;
	ck_assert_int_eq(probe_dns_parse(&q, 5, m, n, &r), PROBE_PARSE_MISMATCH);   /* QR clear */
	n = make_response(m, 5, 0);
	q.qtype = 28;
	ck_assert_int_eq(probe_dns_parse(&q, 5, m, n, &r), PROBE_PARSE_MISMATCH);   /* qtype */
	geo_question(&q);
	m[14] = 'x';
	ck_assert_int_eq(probe_dns_parse(&q, 5, m, n, &r), PROBE_PARSE_MISMATCH);   /* qname */
	n = make_response(m, 5, 0);
	/* every truncation is malformed, never an overread */
	for (size_t cut = 12; cut < n; cut++)
		ck_assert_int_eq(probe_dns_parse(&q, 5, m, cut, &r), PROBE_PARSE_MALFORMED);
	ck_assert_int_eq(probe_dns_parse(&q, 5, m, 11, &r), PROBE_PARSE_MALFORMED);
	/* a forward compression pointer */
	m[30] = 0xc0;
	m[31] = 200;
	ck_assert_int_eq(probe_dns_parse(&q, 5, m, n, &r), PROBE_PARSE_MALFORMED);
}
END_TEST

START_TEST(hostport)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char t[64];

	ck_assert_int_eq(probe_parse_hostport("192.0.2.1", 53, &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 53);
	ck_assert_int_eq(probe_parse_hostport("192.0.2.1:5353", 53, &ss, &len), 0);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5353);
	ck_assert_str_eq(probe_addr_text(&ss, t, sizeof(t)), "192.0.2.1");
	ck_assert_int_eq(probe_parse_hostport("2001:db8::1", 53, &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 53);
	ck_assert_int_eq(probe_parse_hostport("[2001:db8::1]:99", 53, &ss, &len), 0);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 99);
	ck_assert_str_eq(probe_addr_text(&ss, t, sizeof(t)), "2001:db8::1");
	ck_assert_int_eq(probe_parse_hostport("[2001:db8::1]", 53, &ss, &len), 0);
	ck_assert_int_eq(probe_parse_hostport("192.0.2.1:0", 53, &ss, &len), -1);
	ck_assert_int_eq(probe_parse_hostport("192.0.2.1:70000", 53, &ss, &len), -1);
	ck_assert_int_eq(probe_parse_hostport("192.0.2.1:", 53, &ss, &len), -1);
	ck_assert_int_eq(probe_parse_hostport("example.com", 53, &ss, &len), -1);
	ck_assert_int_eq(probe_parse_hostport("[2001:db8::1", 53, &ss, &len), -1);
	ck_assert_int_eq(probe_parse_hostport("[2001:db8::1]x", 53, &ss, &len), -1);
}
END_TEST

START_TEST(subnets)
{
	struct ecs e;
	struct sockaddr_storage ss;
	socklen_t len;

	ck_assert_int_eq(probe_parse_subnet("10.1.2.3/12", &e), 0);
	ck_assert_uint_eq(e.family, ECS_FAMILY_IPV4);
	ck_assert_uint_eq(e.source, 12);
	ck_assert_uint_eq(e.addr[0], 10);
	ck_assert_uint_eq(e.addr[1], 0);   /* 1 = 0000 0001: beyond /12 */
	ck_assert_int_eq(probe_parse_subnet("10.1.2.3", &e), 0);
	ck_assert_uint_eq(e.source, 32);
	ck_assert_uint_eq(e.addr[3], 3);
	ck_assert_int_eq(probe_parse_subnet("10.0.0.0/33", &e), -1);
	ck_assert_int_eq(probe_parse_subnet("10.0.0.0/", &e), -1);
	ck_assert_int_eq(probe_parse_subnet("2001:db8:ffff::/40", &e), 0);
	ck_assert_uint_eq(e.family, ECS_FAMILY_IPV6);
	ck_assert_uint_eq(e.addr[4], 0xff);
	ck_assert_uint_eq(e.addr[5], 0);

	ck_assert_int_eq(probe_parse_hostport("203.0.113.77", 0, &ss, &len), 0);
	probe_default_subnet(&ss, &e);
	ck_assert_uint_eq(e.source, 24);
	ck_assert_uint_eq(e.addr[2], 113);
	ck_assert_uint_eq(e.addr[3], 0);
	ck_assert_int_eq(probe_parse_hostport("2001:db8:1:2:3::9", 0, &ss, &len), 0);
	probe_default_subnet(&ss, &e);
	ck_assert_uint_eq(e.family, ECS_FAMILY_IPV6);
	ck_assert_uint_eq(e.source, 56);
	ck_assert_uint_eq(e.addr[6], 0);    /* 0x0002 at bytes 6-7 is beyond /56 */
	ck_assert_uint_eq(e.addr[5], 1);
}
END_TEST

START_TEST(median)
{
	double a[] = { 5, 1, 3 };
	ck_assert_double_eq(probe_median(a, 3), 3);
	double b[] = { 4, 1, 2, 10 };
	ck_assert_double_eq(probe_median(b, 4), 3);
	double c[] = { 7 };
	ck_assert_double_eq(probe_median(c, 1), 7);
}
END_TEST

START_TEST(pop_maps)
{
	struct in_addr a1[2], a2[1], x;
	inet_pton(AF_INET, "192.0.2.1", &a1[0]);
	inet_pton(AF_INET, "192.0.2.2", &a1[1]);
	inet_pton(AF_INET, "198.51.100.1", &a2[0]);
	struct pop pops[2];
	memset(pops, 0, sizeof(pops));
	pops[0].name = "fra";
	pops[0].identity = "fra1";
	pops[0].v4 = a1;
	pops[0].n_v4 = 2;
	pops[1].name = "ams";
	pops[1].identity = NULL;   /* default: the name */
	pops[1].v4 = a2;
	pops[1].n_v4 = 1;
	struct geo_config geo;
	memset(&geo, 0, sizeof(geo));
	geo.pops = pops;
	geo.n_pops = 2;

	ck_assert_ptr_eq(probe_pop_by_v4(&geo, &a1[1]), &pops[0]);
	ck_assert_ptr_eq(probe_pop_by_v4(&geo, &a2[0]), &pops[1]);
	inet_pton(AF_INET, "192.0.2.3", &x);
	ck_assert_ptr_null(probe_pop_by_v4(&geo, &x));
	ck_assert_ptr_null(probe_pop_by_v4(NULL, &x));
	ck_assert_ptr_eq(probe_pop_by_nsid(&geo, "fra1"), &pops[0]);
	ck_assert_ptr_null(probe_pop_by_nsid(&geo, "fra"));   /* identity, not name */
	ck_assert_ptr_eq(probe_pop_by_nsid(&geo, "ams"), &pops[1]);
	ck_assert_ptr_null(probe_pop_by_nsid(&geo, NULL));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("probe_dns");
	TCase *tc = tcase_create("probe_dns");
	tcase_add_test(tc, build_query);
	tcase_add_test(tc, parse_response);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, hostport);
	tcase_add_test(tc, subnets);
	tcase_add_test(tc, median);
	tcase_add_test(tc, pop_maps);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
