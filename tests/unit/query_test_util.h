/*
 * query_test_util.h: fixtures used by test_query.c and test_query_edns.c:
 * RR type numbers, zone-building helpers (add, add_a, add_soa, ...), the
 * example.test./kid.example.test. zones and config that setup() builds and
 * teardown() frees, and run()/q1()/check_soa_auth() for sending a query
 * through query_answer and checking the common header fields. Every
 * function is static: each test file is its own binary.
 */
#ifndef STEERDNS_QUERY_TEST_UTIL_H
#define STEERDNS_QUERY_TEST_UTIL_H

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/dname.h"
#include "common/query.h"
#include "common/zone.h"
#include "tests/unit/dns_test_util.h"

#define T_A 1
#define T_NS 2
#define T_CNAME 5
#define T_SOA 6
#define T_MX 15
#define T_TXT 16
#define T_AAAA 28
#define T_SRV 33
#define T_OPT 41
#define T_DS 43

static __attribute__((unused)) struct config cfg;
static __attribute__((unused)) struct zone *zones[3];
static __attribute__((unused)) uint8_t out[65535];

/* ---- zone building ---- */

static __attribute__((unused)) void add(struct zone *z, const char *owner, uint16_t type, uint32_t ttl,
                const uint8_t *rd, size_t rdlen)
{
	uint8_t o[DNAME_MAXLEN];
	char err[256];
	ck_assert_int_gt(dname_from_text(owner, z->origin, o), 0);
	int r = zone_add_rr(z, o, type, ttl, rd, (uint16_t)rdlen, err, sizeof(err));
	ck_assert_msg(r == 0, "add %s: %s", owner, err);
}

static __attribute__((unused)) size_t nm(uint8_t *out_, const char *text, const struct zone *z)
{
	int n = dname_from_text(text, z->origin, out_);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static __attribute__((unused)) void add_name(struct zone *z, const char *owner, uint16_t type, uint32_t ttl, const char *target)
{
	uint8_t rd[DNAME_MAXLEN];
	add(z, owner, type, ttl, rd, nm(rd, target, z));
}

static __attribute__((unused)) void add_a(struct zone *z, const char *owner, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t rd[4] = { a, b, c, d };
	add(z, owner, T_A, ttl, rd, 4);
}

static __attribute__((unused)) void add_mx(struct zone *z, const char *owner, uint16_t pref, const char *target)
{
	uint8_t rd[2 + DNAME_MAXLEN];
	rd[0] = (uint8_t)(pref >> 8);
	rd[1] = (uint8_t)pref;
	add(z, owner, T_MX, 3600, rd, 2 + nm(rd + 2, target, z));
}

static __attribute__((unused)) void add_txt(struct zone *z, const char *owner, uint32_t ttl, const char *s)
{
	uint8_t rd[256];
	size_t l = strlen(s);
	rd[0] = (uint8_t)l;
	memcpy(rd + 1, s, l);
	add(z, owner, T_TXT, ttl, rd, l + 1);
}

static __attribute__((unused)) void add_soa(struct zone *z, uint32_t ttl, uint32_t minimum)
{
	uint8_t rd[2 * DNAME_MAXLEN + 20];
	size_t n = nm(rd, "ns1", z);
	n += nm(rd + n, "hostmaster", z);
	uint32_t v[5] = { 2024010101u, 7200, 3600, 1209600, minimum };
	for (int i = 0; i < 5; i++) {
		rd[n++] = (uint8_t)(v[i] >> 24);
		rd[n++] = (uint8_t)(v[i] >> 16);
		rd[n++] = (uint8_t)(v[i] >> 8);
		rd[n++] = (uint8_t)v[i];
	}
	add(z, "@", T_SOA, ttl, rd, n);
}

static __attribute__((unused)) struct zone *new_zone(const char *origin)
{
	uint8_t o[DNAME_MAXLEN];
	ck_assert_int_gt(dname_from_text(origin, NULL, o), 0);
	struct zone *z = zone_new(o, "test");
	ck_assert_ptr_nonnull(z);
	return z;
}

static __attribute__((unused)) void finish_zone(struct zone *z)
{
	char err[256];
	ck_assert_msg(zone_finish(z, err, sizeof(err)) == 0, "finish: %s", err);
}

static __attribute__((unused)) void setup(void)
{
	struct zone *z = new_zone("example.test.");
	add_soa(z, 3600, 300);
	add_name(z, "@", T_NS, 3600, "ns1");
	add_name(z, "@", T_NS, 3600, "ns2");
	add_mx(z, "@", 10, "mail");
	add_a(z, "ns1", 3600, 192, 0, 2, 1);
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	v6[15] = 2;
	add(z, "ns2", T_AAAA, 3600, v6, 16);
	add_a(z, "www", 300, 192, 0, 2, 10);
	add_txt(z, "www", 300, "hello");
	add_a(z, "mail", 3600, 192, 0, 2, 25);
	/* SRV 0 5 5060 sip */
	uint8_t srv[6 + DNAME_MAXLEN] = { 0, 0, 0, 5, 0x13, 0xc4 };
	add(z, "_sip._tcp", T_SRV, 3600, srv, 6 + nm(srv + 6, "sip", z));
	add_a(z, "sip", 3600, 192, 0, 2, 50);
	add_a(z, "a.b.c", 3600, 192, 0, 2, 60);
	add_name(z, "alias", T_CNAME, 600, "www");
	add_name(z, "chain1", T_CNAME, 600, "chain2");
	add_name(z, "chain2", T_CNAME, 600, "www");
	add_name(z, "loop1", T_CNAME, 600, "loop2");
	add_name(z, "loop2", T_CNAME, 600, "loop1");
	add_name(z, "dangling", T_CNAME, 600, "nothere");
	add_name(z, "ext", T_CNAME, 600, "www.other.org.");
	add_name(z, "tosub", T_CNAME, 600, "host.sub");
	add_a(z, "*.wild", 120, 192, 0, 2, 99);
	add_name(z, "*.wc", T_CNAME, 120, "www");
	add_a(z, "*.w2", 120, 192, 0, 2, 77);
	add_a(z, "x.y.w2", 120, 192, 0, 2, 78);
	/* delegation with in-bailiwick glue and an out-of-zone NS */
	add_name(z, "sub", T_NS, 86400, "ns.sub");
	add_name(z, "sub", T_NS, 86400, "ns.elsewhere.org.");
	add_a(z, "ns.sub", 86400, 192, 0, 2, 53);
	/* a signed delegation: DS at the cut is parent data */
	add_name(z, "secure", T_NS, 86400, "ns1");
	uint8_t ds[8] = { 0x30, 0x39, 8, 2, 0xAA, 0xBB, 0xCC, 0xDD };
	add(z, "secure", T_DS, 3600, ds, sizeof(ds));
	/* delegation to the child zone we also serve */
	add_name(z, "kid", T_NS, 86400, "ns1");
	/* a big RRset for truncation */
	for (int i = 0; i < 30; i++) {
		char s[120];
		snprintf(s, sizeof(s), "%02d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);
		add_txt(z, "big", 60, s);
	}
	add_name(z, "tobig", T_CNAME, 60, "big");
	/* a referral whose mandatory glue cannot all fit in 512 bytes */
	for (int i = 0; i < 12; i++) {
		char t[64], o[64];
		snprintf(t, sizeof(t), "ns%02d-glue.fat", i);
		add_name(z, "fat", T_NS, 3600, t);
		snprintf(o, sizeof(o), "ns%02d-glue.fat", i);
		add_a(z, o, 3600, 10, 0, 0, (uint8_t)i);
		uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)i };
		add(z, o, T_AAAA, 3600, v6b, 16);
	}
	/* MX answer whose additional data cannot all fit: dropped, no TC */
	for (int i = 0; i < 12; i++) {
		char t[64];
		snprintf(t, sizeof(t), "mx%02d-long", i);
		add_mx(z, "manymx", (uint16_t)i, t);
		uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)i };
		add(z, t, T_AAAA, 3600, v6b, 16);
		add_a(z, t, 3600, 10, 1, 0, (uint8_t)i);
	}
	finish_zone(z);
	zones[0] = z;

	struct zone *k = new_zone("kid.example.test.");
	add_soa(k, 1800, 60);
	add_name(k, "@", T_NS, 3600, "ns1.example.test.");
	add_a(k, "@", 300, 192, 0, 2, 200);
	finish_zone(k);
	zones[1] = k;

	memset(&cfg, 0, sizeof(cfg));
	cfg.server.identity = "ns-test-1";
	cfg.server.version = "steerdns-test";
	cfg.server.edns_payload = 1232;
	cfg.zones.zones = zones;
	cfg.zones.count = 2;
}

static __attribute__((unused)) void teardown(void)
{
	zone_free(zones[0]);
	zone_free(zones[1]);
	zones[0] = zones[1] = NULL;
}

/* ---- running queries ---- */

static __attribute__((unused)) struct query_client udp_cl = { NULL, 0, false };
static __attribute__((unused)) struct query_client tcp_cl = { NULL, 0, true };

static __attribute__((unused)) size_t run(const struct tu_q *q, const struct query_client *cl, struct tu_msg *m)
{
	size_t n = query_answer(&cfg, cl, q->b, q->len, out, sizeof(out));
	if (n)
		tu_decode(out, n, m);
	return n;
}

/* One UDP query without EDNS, with the header checks every answer must pass. */
static __attribute__((unused)) void q1(const char *name, uint16_t type, struct tu_msg *m)
{
	struct tu_q q;
	tu_query(&q, 0x1234, 0x0100, name, type, 1);
	ck_assert_uint_gt(run(&q, &udp_cl, m), 0);
	ck_assert_uint_eq(m->id, 0x1234);
	ck_assert(m->flags & 0x8000);
	ck_assert(m->flags & 0x0100);     /* RD copied */
	ck_assert(!(m->flags & 0x0080));  /* RA never */
	ck_assert_uint_eq(m->qd, 1);
	ck_assert_uint_eq(m->qtype, type);
}

static __attribute__((unused)) void check_soa_auth(const struct tu_msg *m, uint32_t ttl, const char *zone)
{
	ck_assert_uint_eq(m->ns, 1);
	const struct tu_rr *s = tu_find(m, 2, T_SOA);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->ttl, ttl);
	ck_assert_str_eq(s->owner, zone);
}

#endif
