/*
 * test_query.c: query_answer end to end on hand-built packets, asserting
 * on the decoded response bytes: flags, RCODEs, counts, owners (and their
 * case), TTLs, compression, additional data, EDNS and truncation; anycast
 * answers of steered names (address, TTL, ECS scope 0, NODATA). Also a
 * mutation fuzz run (build with SANITIZE=1 to catch out-of-bounds access).
 */
#include <arpa/inet.h>
#include <check.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "anycast/anycast_conf.h"
#include "common/config.h"
#include "common/dname.h"
#include "common/query.h"
#include "common/steer_rec.h"
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

static struct config cfg;
static struct zone *zones[3];
static uint8_t out[65535];

/* ---- zone building ---- */

static void add(struct zone *z, const char *owner, uint16_t type, uint32_t ttl,
                const uint8_t *rd, size_t rdlen)
{
	uint8_t o[DNAME_MAXLEN];
	char err[256];
	ck_assert_int_gt(dname_from_text(owner, z->origin, o), 0);
	int r = zone_add_rr(z, o, type, ttl, rd, (uint16_t)rdlen, err, sizeof(err));
	ck_assert_msg(r == 0, "add %s: %s", owner, err);
}

static size_t nm(uint8_t *out_, const char *text, const struct zone *z)
{
	int n = dname_from_text(text, z->origin, out_);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static void add_name(struct zone *z, const char *owner, uint16_t type, uint32_t ttl, const char *target)
{
	uint8_t rd[DNAME_MAXLEN];
	add(z, owner, type, ttl, rd, nm(rd, target, z));
}

static void add_a(struct zone *z, const char *owner, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t rd[4] = { a, b, c, d };
	add(z, owner, T_A, ttl, rd, 4);
}

static void add_mx(struct zone *z, const char *owner, uint16_t pref, const char *target)
{
	uint8_t rd[2 + DNAME_MAXLEN];
	rd[0] = (uint8_t)(pref >> 8);
	rd[1] = (uint8_t)pref;
	add(z, owner, T_MX, 3600, rd, 2 + nm(rd + 2, target, z));
}

static void add_txt(struct zone *z, const char *owner, uint32_t ttl, const char *s)
{
	uint8_t rd[256];
	size_t l = strlen(s);
	rd[0] = (uint8_t)l;
	memcpy(rd + 1, s, l);
	add(z, owner, T_TXT, ttl, rd, l + 1);
}

static void add_soa(struct zone *z, uint32_t ttl, uint32_t minimum)
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

static struct zone *new_zone(const char *origin)
{
	uint8_t o[DNAME_MAXLEN];
	ck_assert_int_gt(dname_from_text(origin, NULL, o), 0);
	struct zone *z = zone_new(o, "test");
	ck_assert_ptr_nonnull(z);
	return z;
}

static void finish_zone(struct zone *z)
{
	char err[256];
	ck_assert_msg(zone_finish(z, err, sizeof(err)) == 0, "finish: %s", err);
}

static void setup(void)
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

static void teardown(void)
{
	zone_free(zones[0]);
	zone_free(zones[1]);
	zones[0] = zones[1] = NULL;
}

/* ---- running queries ---- */

static struct query_client udp_cl = { NULL, 0, false };
static struct query_client tcp_cl = { NULL, 0, true };

static size_t run(const struct tu_q *q, const struct query_client *cl, struct tu_msg *m)
{
	size_t n = query_answer(&cfg, cl, q->b, q->len, out, sizeof(out));
	if (n)
		tu_decode(out, n, m);
	return n;
}

/* One UDP query without EDNS, with the header checks every answer must pass. */
static void q1(const char *name, uint16_t type, struct tu_msg *m)
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

static void check_soa_auth(const struct tu_msg *m, uint32_t ttl, const char *zone)
{
	ck_assert_uint_eq(m->ns, 1);
	const struct tu_rr *s = tu_find(m, 2, T_SOA);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->ttl, ttl);
	ck_assert_str_eq(s->owner, zone);
}

/* ---- header and framing ---- */

START_TEST(drop_short_and_responses)
{
	struct tu_q q;
	tu_query(&q, 1, 0x0100, "www.example.test", T_A, 1);
	ck_assert_uint_eq(query_answer(&cfg, &udp_cl, q.b, 11, out, sizeof(out)), 0);
	ck_assert_uint_eq(query_answer(&cfg, &udp_cl, q.b, 0, out, sizeof(out)), 0);
	q.b[2] |= 0x80;  /* QR */
	ck_assert_uint_eq(query_answer(&cfg, &udp_cl, q.b, q.len, out, sizeof(out)), 0);
}
END_TEST

START_TEST(header_echo)
{
	struct tu_q q;
	struct tu_msg m;
	/* RD clear, CD and AD set in the query: cleared in the answer */
	tu_query(&q, 0xBEEF, 0x0030, "www.example.test", T_A, 1);
	ck_assert_uint_gt(run(&q, &udp_cl, &m), 0);
	ck_assert_uint_eq(m.id, 0xBEEF);
	ck_assert_uint_eq(m.flags & 0x0100, 0);
	ck_assert_uint_eq(m.flags & 0x00F0, 0);  /* RA, Z, AD, CD */
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(TU_RCODE(&m), 0);
}
END_TEST

START_TEST(opcode_notimp)
{
	struct tu_q q;
	struct tu_msg m;
	tu_query(&q, 7, (2 << 11) | 0x0100, "www.example.test", T_A, 1);  /* STATUS */
	ck_assert_uint_gt(run(&q, &udp_cl, &m), 0);
	ck_assert_uint_eq(TU_RCODE(&m), 4);
	ck_assert_uint_eq((m.flags >> 11) & 0xF, 2);
	ck_assert(m.flags & 0x0100);
	ck_assert_uint_eq(m.qd, 1);  /* question echoed */
	ck_assert_str_eq(m.qname, "www.example.test.");
	ck_assert_uint_eq(m.an + m.ns + m.ar, 0);
	/* NOTIFY and UPDATE are not implemented either, whatever the zone
	 * section holds, and even with no question at all. */
	tu_query(&q, 8, 4 << 11, "example.test", T_SOA, 1);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 4);
	tu_query(&q, 9, 5 << 11, "example.test", T_A, 1);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 4);
	tu_query(&q, 9, 5 << 11, "example.test", T_SOA, 1);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 4);
	ck_assert_uint_eq(m.qd, 1);
	tu_query(&q, 10, 5 << 11, "example.test", T_SOA, 1);
	q.b[5] = 0;
	q.len = 12;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 4);
	ck_assert_uint_eq(m.qd, 0);
}
END_TEST

START_TEST(qdcount_errors)
{
	struct tu_q q;
	struct tu_msg m;
	tu_query(&q, 5, 0x0100, "www.example.test", T_A, 1);
	q.b[5] = 0;
	q.len = 12;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert_uint_eq(m.qd, 0);
	/* no question with an unknown opcode: NOTIMP */
	q.b[2] = 3 << 3;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 4);
	/* two questions: FORMERR, nothing echoed */
	tu_query(&q, 5, 0x0100, "www.example.test", T_A, 1);
	size_t ql = q.len - 12;
	memcpy(q.b + q.len, q.b + 12, ql);
	q.len += ql;
	q.b[5] = 2;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert_uint_eq(m.qd, 0);
	ck_assert_uint_eq(m.id, 5);
}
END_TEST

START_TEST(malformed_question)
{
	struct tu_q q;
	struct tu_msg m;
	/* compression pointer in the question */
	tu_query(&q, 6, 0x0100, "www.example.test", T_A, 1);
	q.b[12] = 0xC0;
	q.b[13] = 0x0C;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert_uint_eq(m.qd, 0);
	/* truncated: type/class missing */
	tu_query(&q, 6, 0x0100, "www.example.test", T_A, 1);
	q.len -= 3;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert_uint_eq(m.qd, 0);
	/* truncated inside the name */
	q.len = 16;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	/* label type 0x40 / length 64 */
	tu_query(&q, 6, 0x0100, "www.example.test", T_A, 1);
	q.b[12] = 0x40;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	/* name longer than 255 */
	char longname[400] = "";
	for (int i = 0; i < 5; i++)
		strcat(longname, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(longname, "example.test");
	tu_query(&q, 6, 0x0100, longname, T_A, 1);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert_uint_eq(m.qd, 0);
}
END_TEST

START_TEST(trailing_garbage_and_bad_records)
{
	struct tu_q q;
	struct tu_msg m;
	tu_query(&q, 6, 0x0100, "www.example.test", T_A, 1);
	q.b[q.len++] = 0x00;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert_uint_eq(m.qd, 1);  /* the question did parse */
	ck_assert_str_eq(m.qname, "www.example.test.");
	ck_assert(!TU_AA(&m));
	ck_assert_uint_eq(m.an + m.ns + m.ar, 0);
	/* ANCOUNT 1 without a record */
	tu_query(&q, 6, 0x0100, "www.example.test", T_A, 1);
	q.b[7] = 1;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	/* NSCOUNT 1 with an A record of 3 bytes */
	tu_query(&q, 6, 0x0100, "www.example.test", T_A, 1);
	uint8_t rr[] = { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3 };
	memcpy(q.b + q.len, rr, sizeof(rr));
	q.len += sizeof(rr);
	q.b[9] = 1;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	/* the same with a proper 4-byte A record is fine */
	rr[11] = 4;
	tu_query(&q, 6, 0x0100, "www.example.test", T_A, 1);
	memcpy(q.b + q.len, rr, sizeof(rr));
	q.len += sizeof(rr);
	q.b[q.len++] = 4;
	q.b[9] = 1;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 1);
	/* a record with a forward compression pointer */
	tu_query(&q, 6, 0x0100, "www.example.test", T_A, 1);
	uint8_t fwd[] = { 0xC0, 0x40, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4 };
	memcpy(q.b + q.len, fwd, sizeof(fwd));
	q.len += sizeof(fwd);
	q.b[7] = 1;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
}
END_TEST

/* ---- classes ---- */

START_TEST(chaos)
{
	struct tu_q q;
	struct tu_msg m;
	const char *names[] = { "id.server", "HOSTNAME.bind" };
	for (int i = 0; i < 2; i++) {
		tu_query(&q, 1, 0, names[i], T_TXT, 3);
		run(&q, &udp_cl, &m);
		ck_assert_uint_eq(TU_RCODE(&m), 0);
		ck_assert_uint_eq(m.an, 1);
		ck_assert_uint_eq(m.rr[0].cls, 3);
		ck_assert_uint_eq(m.rr[0].ttl, 0);
		ck_assert_uint_eq(m.rr[0].type, T_TXT);
		ck_assert_uint_eq(m.b[m.rr[0].rdoff], strlen("ns-test-1"));
		ck_assert(memcmp(m.b + m.rr[0].rdoff + 1, "ns-test-1", 9) == 0);
		/* owner keeps the query's case via a pointer to the question */
		ck_assert_uint_eq(m.b[m.rr[0].owner_off], 0xC0);
		ck_assert_uint_eq(m.b[m.rr[0].owner_off + 1], 12);
		ck_assert(!TU_AA(&m));  /* Knot sets no AA on CHAOS answers */
	}
	tu_query(&q, 1, 0, "version.bind", T_TXT, 3);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert(memcmp(m.b + m.rr[0].rdoff + 1, "steerdns-test", 13) == 0);
	cfg.server.version = NULL;
	tu_query(&q, 1, 0, "version.server", T_TXT, 3);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);
	ck_assert_uint_eq(m.an, 0);
	tu_query(&q, 1, 0, "other.bind", T_TXT, 3);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);
	tu_query(&q, 1, 0, "id.server", T_A, 3);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);
	/* other classes */
	tu_query(&q, 1, 0, "www.example.test", T_A, 4);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);
	ck_assert_uint_eq(m.qclass, 4);
	/* class ANY is answered like IN */
	tu_query(&q, 1, 0, "www.example.test", T_A, 255);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].cls, 1);
}
END_TEST

START_TEST(refused_outside)
{
	struct tu_msg m;
	q1("www.example.org", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);
	ck_assert(!TU_AA(&m));
	ck_assert_uint_eq(m.an + m.ns + m.ar, 0);
	q1("test", T_SOA, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);
}
END_TEST

START_TEST(transfers)
{
	struct tu_q q;
	struct tu_msg m;
	tu_query(&q, 1, 0, "example.test", 252, 1);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);  /* AXFR over UDP: REFUSED */
	run(&q, &tcp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);  /* and over TCP */
	ck_assert(!TU_AA(&m));
	ck_assert_uint_eq(m.an + m.ns, 0);
	tu_query(&q, 1, 0, "example.test", 251, 1);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);
	tu_query(&q, 1, 0, "example.test", 0, 1);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 4);
}
END_TEST

/* ---- lookup semantics ---- */

START_TEST(positive_case_kept)
{
	struct tu_msg m;
	q1("WwW.ExAmPlE.TeSt", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert(TU_AA(&m));
	ck_assert_str_eq(m.qname, "WwW.ExAmPlE.TeSt.");
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.ns, 0);
	ck_assert_uint_eq(m.ar, 0);
	ck_assert_str_eq(m.rr[0].owner, "WwW.ExAmPlE.TeSt.");
	ck_assert_uint_eq(m.rr[0].ttl, 300);
	ck_assert_uint_eq(m.rr[0].rdlen, 4);
	ck_assert_uint_eq(m.b[m.rr[0].rdoff + 3], 10);
	/* compressed to the question */
	ck_assert_uint_eq(m.b[m.rr[0].owner_off], 0xC0);
	ck_assert_uint_eq(m.b[m.rr[0].owner_off + 1], 12);
	ck_assert_uint_eq(m.len, 12 + 22 + 16);
}
END_TEST

START_TEST(nodata_nxdomain)
{
	struct tu_msg m;
	q1("www.example.test", T_MX, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 300, "example.test.");
	q1("nope.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 3);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 300, "example.test.");
	/* SOA owner compressed into the question's suffix */
	const struct tu_rr *s = tu_find(&m, 2, T_SOA);
	ck_assert_uint_eq(m.b[s->owner_off], 0xC0);
	char t[DNAME_MAXTEXT];
	tu_rdname(&m, s, 0, t, sizeof(t));
	ck_assert_str_eq(t, "ns1.example.test.");
	/* empty non-terminals exist: NODATA */
	q1("b.c.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 300, "example.test.");
	q1("c.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	q1("z.b.c.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 3);
	/* the apex SOA itself */
	q1("example.test", T_SOA, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].ttl, 3600);
	ck_assert_uint_eq(m.ns, 0);
}
END_TEST

START_TEST(wildcards)
{
	struct tu_msg m;
	q1("Foo.wild.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 1);
	ck_assert_str_eq(m.rr[0].owner, "Foo.wild.example.test.");
	ck_assert_uint_eq(m.rr[0].ttl, 120);
	ck_assert_uint_eq(m.b[m.rr[0].rdoff + 3], 99);
	/* deeper names are covered by the same wildcard */
	q1("a.b.wild.example.test", T_A, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_str_eq(m.rr[0].owner, "a.b.wild.example.test.");
	/* wildcard NODATA */
	q1("foo.wild.example.test", T_MX, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 300, "example.test.");
	/* the wildcard asked for literally */
	q1("*.wild.example.test", T_A, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_str_eq(m.rr[0].owner, "*.wild.example.test.");
	/* RFC 4592: y.w2 exists as an empty non-terminal: NODATA, no synthesis */
	q1("y.w2.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 0);
	ck_assert_uint_eq(m.ns, 1);
	q1("z.w2.example.test", T_A, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.b[m.rr[0].rdoff + 3], 77);
	/* closest encloser y.w2 has no wildcard: NXDOMAIN */
	q1("q.y.w2.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 3);
	q1("x.y.w2.example.test", T_A, &m);
	ck_assert_uint_eq(m.b[m.rr[0].rdoff + 3], 78);
	/* no wildcard at the apex */
	q1("zzz.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 3);
}
END_TEST

START_TEST(cnames)
{
	struct tu_msg m;
	char t[DNAME_MAXTEXT];
	q1("ALIAS.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 2);
	ck_assert_uint_eq(m.rr[0].type, T_CNAME);
	ck_assert_str_eq(m.rr[0].owner, "ALIAS.example.test.");
	ck_assert_uint_eq(m.rr[0].ttl, 600);
	tu_rdname(&m, &m.rr[0], 0, t, sizeof(t));
	ck_assert_str_eq(t, "www.example.test.");
	/* target "www" + pointer: 4 bytes label + 2 bytes pointer */
	ck_assert_uint_eq(m.rr[0].rdlen, 6);
	ck_assert_uint_eq(m.rr[1].type, T_A);
	ck_assert_str_eq(m.rr[1].owner, "www.example.test.");
	ck_assert_uint_eq(m.b[m.rr[1].owner_off], 0xC0);  /* points into the CNAME rdata */
	ck_assert_uint_eq(m.b[m.rr[1].owner_off + 1], m.rr[0].rdoff);
	/* asking for the CNAME itself */
	q1("alias.example.test", T_CNAME, &m);
	ck_assert_uint_eq(m.an, 1);
	/* ANY at a CNAME: the CNAME only, not followed */
	q1("alias.example.test", 255, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].type, T_CNAME);
	/* two links */
	q1("chain1.example.test", T_A, &m);
	ck_assert_uint_eq(m.an, 3);
	ck_assert_str_eq(m.rr[1].owner, "chain2.example.test.");
	ck_assert_uint_eq(m.rr[2].type, T_A);
	/* chain ending in NODATA */
	q1("chain1.example.test", T_MX, &m);
	ck_assert_uint_eq(m.an, 2);
	check_soa_auth(&m, 300, "example.test.");
	/* loop: each CNAME once, NOERROR, no SOA */
	q1("loop1.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 2);
	ck_assert_uint_eq(m.ns, 0);
	/* dangling: NXDOMAIN with the CNAME and the SOA (as Knot) */
	q1("dangling.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 3);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 1);
	check_soa_auth(&m, 300, "example.test.");
	/* out of zone: just the CNAME */
	q1("ext.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.ns, 0);
	/* wildcard CNAME is followed; owner is the name asked */
	q1("Q.wc.example.test", T_A, &m);
	ck_assert_uint_eq(m.an, 2);
	ck_assert_str_eq(m.rr[0].owner, "Q.wc.example.test.");
	ck_assert_uint_eq(m.rr[0].type, T_CNAME);
	ck_assert_uint_eq(m.rr[1].type, T_A);
	/* CNAME into a delegation: CNAME, then a referral, AA kept */
	q1("tosub.example.test", T_A, &m);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(tu_count(&m, 2, T_NS), 2);
	ck_assert_uint_eq(tu_count(&m, 3, T_A), 1);
}
END_TEST

START_TEST(delegations)
{
	struct tu_msg m;
	char t[DNAME_MAXTEXT];
	const char *names[] = { "www.sub.example.test", "sub.example.test", "a.b.sub.example.test",
	                        "ns.sub.example.test" };
	for (int i = 0; i < 4; i++) {
		q1(names[i], T_A, &m);
		ck_assert_uint_eq(TU_RCODE(&m), 0);
		ck_assert(!TU_AA(&m));
		ck_assert_uint_eq(m.an, 0);
		ck_assert_uint_eq(m.ns, 2);
		ck_assert_uint_eq(tu_count(&m, 2, T_NS), 2);
		ck_assert_str_eq(m.rr[0].owner, "sub.example.test.");
		ck_assert_uint_eq(m.rr[0].ttl, 86400);
		/* glue: only the in-zone target */
		ck_assert_uint_eq(m.ar, 1);
		ck_assert_str_eq(m.rr[2].owner, "ns.sub.example.test.");
		ck_assert_uint_eq(m.rr[2].type, T_A);
		ck_assert_uint_eq(m.b[m.rr[2].owner_off], 0xC0);
	}
	/* NS at the cut is a referral too */
	q1("sub.example.test", T_NS, &m);
	ck_assert(!TU_AA(&m));
	ck_assert_uint_eq(m.an, 0);
	ck_assert_uint_eq(m.ns, 2);
	tu_rdname(&m, &m.rr[1], 0, t, sizeof(t));
	ck_assert_str_eq(t, "ns.elsewhere.org.");
	/* DS at the cut: the parent answers, authoritatively */
	q1("sub.example.test", T_DS, &m);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 300, "example.test.");
	q1("secure.example.test", T_DS, &m);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].type, T_DS);
	ck_assert_uint_eq(m.rr[0].ttl, 3600);
	/* DS below the cut is a referral */
	q1("x.secure.example.test", T_DS, &m);
	ck_assert(!TU_AA(&m));
	ck_assert_uint_eq(tu_count(&m, 2, T_NS), 1);
	/* the child zone we serve answers for itself ... */
	q1("kid.example.test", T_A, &m);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 1);
	q1("kid.example.test", T_SOA, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].ttl, 1800);
	/* ... but its DS comes from the parent (NODATA with the parent SOA) */
	q1("kid.example.test", T_DS, &m);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 300, "example.test.");
	/* NXDOMAIN in the child uses the child's negative TTL */
	q1("nope.kid.example.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 3);
	check_soa_auth(&m, 60, "kid.example.test.");
}
END_TEST

START_TEST(additional_and_compression)
{
	struct tu_msg m;
	char t[DNAME_MAXTEXT];
	q1("example.test", T_MX, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.ar, 1);
	tu_rdname(&m, &m.rr[0], 2, t, sizeof(t));
	ck_assert_str_eq(t, "mail.example.test.");
	/* MX rdata: pref + "mail" + pointer */
	ck_assert_uint_eq(m.rr[0].rdlen, 2 + 5 + 2);
	ck_assert_str_eq(m.rr[1].owner, "mail.example.test.");
	ck_assert_uint_eq(m.rr[1].type, T_A);
	ck_assert_uint_eq(m.rr[1].section, 3);
	/* NS at the apex: A of ns1 and AAAA of ns2, AA, no referral */
	q1("example.test", T_NS, &m);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 2);
	ck_assert_uint_eq(tu_count(&m, 3, T_A), 1);
	ck_assert_uint_eq(tu_count(&m, 3, T_AAAA), 1);
	/* SRV: target written uncompressed, its A in additional */
	q1("_sip._tcp.example.test", T_SRV, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].rdlen, 6 + 18);
	tu_rdname(&m, &m.rr[0], 6, t, sizeof(t));
	ck_assert_str_eq(t, "sip.example.test.");
	for (size_t i = 0; i < 18; i++)
		ck_assert_uint_lt(m.b[m.rr[0].rdoff + 6 + i], 0xC0);
	ck_assert_uint_eq(m.ar, 1);
	ck_assert_str_eq(m.rr[1].owner, "sip.example.test.");
	/* SOA rdata names compressed */
	q1("example.test", T_SOA, &m);
	ck_assert_uint_eq(m.rr[0].rdlen, (3 + 1 + 2) + (10 + 1 + 2) + 20);  /* ns1+ptr, hostmaster+ptr */
	/* ANY (RFC 8482): one RRset, the lowest type at the name, as Knot */
	q1("example.test", 255, &m);
	ck_assert_uint_eq(tu_count(&m, 1, T_SOA), 0);
	ck_assert_uint_eq(tu_count(&m, 1, T_NS), 2);
	ck_assert_uint_eq(tu_count(&m, 1, T_MX), 0);
	ck_assert_uint_eq(m.an, 2);
	ck_assert_uint_ge(m.ar, 2);  /* glue for the NS targets */
	q1("www.example.test", 255, &m);  /* A and TXT there: A only */
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(tu_count(&m, 1, T_A), 1);
}
END_TEST

/* ---- EDNS ---- */

static void ask_edns(const char *name, uint16_t type, uint16_t payload, uint8_t version, int do_bit,
                     const uint8_t *opts, size_t optlen, const struct query_client *cl, struct tu_msg *m)
{
	struct tu_q q;
	tu_query(&q, 0x4242, 0x0100, name, type, 1);
	tu_opt(&q, payload, version, do_bit, opts, optlen);
	ck_assert_uint_gt(run(&q, cl, m), 0);
}

START_TEST(edns_basic)
{
	struct tu_msg m;
	ask_edns("www.example.test", T_A, 4096, 0, 1, NULL, 0, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert(m.has_opt);
	ck_assert_uint_eq(m.opt_payload, 1232);
	ck_assert_uint_eq(m.opt_ttl, 0x00008000);  /* ext rcode 0, version 0, DO */
	ck_assert_uint_eq(m.opt_rdlen, 0);
	ck_assert_uint_eq(m.ar, 1);
	ask_edns("www.example.test", T_A, 4096, 0, 0, NULL, 0, &udp_cl, &m);
	ck_assert_uint_eq(m.opt_ttl, 0);
	/* no OPT in, no OPT out */
	q1("www.example.test", T_A, &m);
	ck_assert(!m.has_opt);
	/* unknown options are ignored */
	uint8_t unk[] = { 0xFD, 0xE9, 0, 3, 1, 2, 3 };
	ask_edns("www.example.test", T_A, 1232, 0, 0, unk, sizeof(unk), &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.opt_rdlen, 0);
}
END_TEST

START_TEST(edns_badvers)
{
	struct tu_msg m;
	ask_edns("www.example.test", T_A, 1232, 1, 1, NULL, 0, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert(m.has_opt);
	ck_assert_uint_eq(m.opt_ttl >> 24, 1);          /* BADVERS = 16 */
	ck_assert_uint_eq((m.opt_ttl >> 16) & 0xFF, 0); /* our version */
	ck_assert(m.opt_ttl & 0x8000);
	ck_assert_uint_eq(m.an, 0);
	ck_assert(!TU_AA(&m));
	ck_assert_uint_eq(m.qd, 1);
}
END_TEST

START_TEST(edns_nsid)
{
	struct tu_msg m;
	uint8_t nsid[] = { 0, 3, 0, 0 };
	ask_edns("www.example.test", T_A, 1232, 0, 0, nsid, sizeof(nsid), &udp_cl, &m);
	uint16_t l = 0;
	size_t at = tu_opt_find(&m, 3, &l);
	ck_assert_uint_ne(at, 0);
	ck_assert_uint_eq(l, 9);
	ck_assert(memcmp(m.b + at, "ns-test-1", 9) == 0);
	/* no identity: no NSID option */
	cfg.server.identity = NULL;
	ask_edns("www.example.test", T_A, 1232, 0, 0, nsid, sizeof(nsid), &udp_cl, &m);
	ck_assert_uint_eq(tu_opt_find(&m, 3, &l), 0);
	ck_assert_uint_eq(m.opt_rdlen, 0);
}
END_TEST

START_TEST(edns_ecs_echo)
{
	struct tu_msg m;
	uint16_t l = 0;
	/* 192.0.2.0/24 */
	uint8_t ecs4[] = { 0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2 };
	ask_edns("www.example.test", T_A, 1232, 0, 0, ecs4, sizeof(ecs4), &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	size_t at = tu_opt_find(&m, 8, &l);
	ck_assert_uint_ne(at, 0);
	ck_assert_uint_eq(l, 7);
	uint8_t want4[] = { 0, 1, 24, 0, 192, 0, 2 };
	ck_assert(memcmp(m.b + at, want4, 7) == 0);
	/* 2001:db8::/33 (a bit in the fifth byte) */
	uint8_t ecs6[] = { 0, 8, 0, 9, 0, 2, 33, 0, 0x20, 0x01, 0x0d, 0xb8, 0x80 };
	ask_edns("www.example.test", T_A, 1232, 0, 0, ecs6, sizeof(ecs6), &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	at = tu_opt_find(&m, 8, &l);
	ck_assert_uint_eq(l, 9);
	ck_assert(memcmp(m.b + at, ecs6 + 4, 9) == 0);
	/* /0 is valid: no address bytes */
	uint8_t ecs0[] = { 0, 8, 0, 4, 0, 1, 0, 0 };
	ask_edns("www.example.test", T_A, 1232, 0, 0, ecs0, sizeof(ecs0), &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	at = tu_opt_find(&m, 8, &l);
	ck_assert_uint_eq(l, 4);
	/* NSID and ECS together, on a REFUSED answer too */
	uint8_t both[] = { 0, 3, 0, 0, 0, 8, 0, 7, 0, 1, 24, 0, 10, 1, 2 };
	ask_edns("www.example.org", T_A, 1232, 0, 0, both, sizeof(both), &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 5);
	ck_assert_uint_ne(tu_opt_find(&m, 3, &l), 0);
	ck_assert_uint_ne(tu_opt_find(&m, 8, &l), 0);
}
END_TEST

START_TEST(edns_ecs_formerr)
{
	struct tu_msg m;
	uint16_t l;
	uint8_t bad[][14] = {
		/* option code, len, family, source, scope, addr... */
		{ 0, 8, 0, 7, 0, 1, 24, 8, 192, 0, 2 },          /* scope != 0 */
		{ 0, 8, 0, 7, 0, 3, 24, 0, 192, 0, 2 },          /* family 3 */
		{ 0, 8, 0, 9, 0, 1, 33, 0, 192, 0, 2, 0, 0 },    /* source > 32 */
		{ 0, 8, 0, 8, 0, 1, 24, 0, 192, 0, 2, 0 },       /* too many address bytes */
		{ 0, 8, 0, 6, 0, 1, 24, 0, 192, 0 },             /* too few */
		{ 0, 8, 0, 7, 0, 1, 23, 0, 192, 0, 3 },          /* bit beyond /23 set */
		{ 0, 8, 0, 3, 0, 1, 0 },                         /* shorter than 4 */
		{ 0, 8, 0, 4, 0, 0, 0, 0 },                      /* family 0 */
	};
	size_t lens[] = { 11, 11, 13, 12, 10, 11, 7, 8 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ask_edns("www.example.test", T_A, 1232, 0, 0, bad[i], lens[i], &udp_cl, &m);
		ck_assert_msg(TU_RCODE(&m) == 1, "case %zu rcode %u", i, TU_RCODE(&m));
		ck_assert_msg(m.has_opt, "case %zu: FORMERR for ECS keeps the OPT", i);
		ck_assert_uint_eq(tu_opt_find(&m, 8, &l), 0);
		ck_assert_uint_eq(m.an, 0);
		ck_assert_uint_eq(m.qd, 1);
	}
	/* IPv6 /129 */
	uint8_t v6[24] = { 0, 8, 0, 21, 0, 2, 129, 0 };
	ask_edns("www.example.test", T_A, 1232, 0, 0, v6, 25 - 1, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	/* ECS FORMERR wins over BADVERS (as Knot) */
	ask_edns("www.example.test", T_A, 1232, 1, 0, bad[0], lens[0], &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert_uint_eq(m.opt_ttl >> 24, 0);
}
END_TEST

START_TEST(edns_malformed)
{
	struct tu_q q;
	struct tu_msg m;
	/* two OPTs: FORMERR, and no OPT in the answer */
	tu_query(&q, 3, 0, "www.example.test", T_A, 1);
	tu_opt(&q, 1232, 0, 0, NULL, 0);
	tu_opt(&q, 1232, 0, 0, NULL, 0);
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert(!m.has_opt);
	ck_assert_uint_eq(m.qd, 1);
	/* OPT in the answer section */
	tu_query(&q, 3, 0, "www.example.test", T_A, 1);
	tu_opt(&q, 1232, 0, 0, NULL, 0);
	q.b[11] = 0;
	q.b[7] = 1;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert(!m.has_opt);
	/* OPT owner not the root */
	tu_query(&q, 3, 0, "www.example.test", T_A, 1);
	uint8_t o[] = { 0xC0, 12, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0 };
	memcpy(q.b + q.len, o, sizeof(o));
	q.len += sizeof(o);
	q.b[11] = 1;
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	/* option length past the RDATA */
	uint8_t frame[] = { 0, 10, 0, 8, 1, 2 };
	tu_query(&q, 3, 0, "www.example.test", T_A, 1);
	tu_opt(&q, 1232, 0, 0, frame, sizeof(frame));
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
	ck_assert(!m.has_opt);
	/* half an option header */
	uint8_t half[] = { 0, 10, 0 };
	tu_query(&q, 3, 0, "www.example.test", T_A, 1);
	tu_opt(&q, 1232, 0, 0, half, sizeof(half));
	run(&q, &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 1);
}
END_TEST

/* ---- sizes and truncation ---- */

START_TEST(truncation)
{
	struct tu_msg m;
	/* no EDNS: 512 bytes, the RRset does not fit */
	q1("big.example.test", T_TXT, &m);
	ck_assert(TU_TC(&m));
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 0);
	ck_assert_uint_eq(m.ns + m.ar, 0);
	ck_assert_uint_le(m.len, 512);
	ck_assert_uint_eq(m.qd, 1);
	/* EDNS 4096 from the client, 1232 ours: still too big, OPT kept */
	ask_edns("big.example.test", T_TXT, 4096, 0, 0, NULL, 0, &udp_cl, &m);
	ck_assert(TU_TC(&m));
	ck_assert(m.has_opt);
	ck_assert_uint_eq(m.an, 0);
	/* server allows more: client size wins */
	cfg.server.edns_payload = 4096;
	ask_edns("big.example.test", T_TXT, 4000, 0, 0, NULL, 0, &udp_cl, &m);
	ck_assert(!TU_TC(&m));
	ck_assert_uint_eq(m.an, 30);
	ck_assert_uint_le(m.len, 4000);
	/* client size below 512 counts as 512 */
	ask_edns("www.example.test", T_A, 100, 0, 0, NULL, 0, &udp_cl, &m);
	ck_assert(!TU_TC(&m));
	ck_assert_uint_eq(m.an, 1);
	/* TCP: everything */
	struct tu_q q;
	tu_query(&q, 9, 0, "big.example.test", T_TXT, 1);
	run(&q, &tcp_cl, &m);
	ck_assert(!TU_TC(&m));
	ck_assert_uint_eq(m.an, 30);
	/* a CNAME that fits stays, the target RRset that does not is dropped */
	q1("tobig.example.test", T_TXT, &m);
	ck_assert(TU_TC(&m));
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].type, T_CNAME);
}
END_TEST

START_TEST(truncation_additional)
{
	struct tu_msg m;
	/* optional additional records are dropped without TC */
	q1("manymx.example.test", T_MX, &m);
	ck_assert(!TU_TC(&m));
	ck_assert_uint_eq(m.an, 12);
	ck_assert_uint_lt(m.ar, 24);
	ck_assert_uint_le(m.len, 512);
	/* missing mandatory glue in a referral sets TC (RFC 9471) */
	q1("www.fat.example.test", T_A, &m);
	ck_assert(TU_TC(&m));
	ck_assert(!TU_AA(&m));
	ck_assert_uint_eq(m.ns, 12);
	ck_assert_uint_lt(m.ar, 24);
	ck_assert_uint_le(m.len, 512);
	/* over TCP all of it */
	struct tu_q q;
	tu_query(&q, 9, 0, "www.fat.example.test", T_A, 1);
	run(&q, &tcp_cl, &m);
	ck_assert(!TU_TC(&m));
	ck_assert_uint_eq(m.ar, 24);
}
END_TEST

/* ---- robustness ---- */

START_TEST(no_heap_in_answer)
{
	struct tu_q q;
	tu_query(&q, 1, 0, "Q.wc.example.test", T_A, 1);
	uint8_t ecs4[] = { 0, 3, 0, 0, 0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2 };
	tu_opt(&q, 1232, 0, 1, ecs4, sizeof(ecs4));
	/* warm up (stdio, lazy init) */
	ck_assert_uint_gt(query_answer(&cfg, &udp_cl, q.b, q.len, out, sizeof(out)), 0);
	struct mallinfo2 before = mallinfo2();
	for (int i = 0; i < 100; i++)
		ck_assert_uint_gt(query_answer(&cfg, &udp_cl, q.b, q.len, out, sizeof(out)), 0);
	struct mallinfo2 after = mallinfo2();
	ck_assert_uint_eq(before.uordblks, after.uordblks);
	ck_assert_uint_eq(before.hblkhd, after.hblkhd);
}
END_TEST

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

START_TEST(fuzz_mutations)
{
	static const char *names[] = { "www.example.test", "foo.wild.example.test", "alias.example.test",
	                               "www.sub.example.test", "example.test", "id.server", "nope.example.test" };
	static const uint16_t types[] = { T_A, T_MX, 255, T_NS, T_TXT, T_DS, T_SRV };
	for (int iter = 0; iter < 12000; iter++) {
		struct tu_q q;
		tu_query(&q, (uint16_t)rnd(), (uint16_t)(rnd() & 0x7FFF), names[rnd() % 7], types[rnd() % 7],
		         (rnd() % 5) ? 1 : 3);
		if (rnd() % 2) {
			uint8_t opts[] = { 0, 3, 0, 0, 0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2 };
			tu_opt(&q, (uint16_t)rnd(), 0, (int)(rnd() & 1), opts, rnd() % 2 ? sizeof(opts) : 4);
		}
		int muts = (int)(rnd() % 6);
		for (int k = 0; k < muts && q.len > 0; k++) {
			switch (rnd() % 4) {
			case 0: q.b[rnd() % q.len] = (uint8_t)rnd(); break;
			case 1: q.b[rnd() % q.len] ^= (uint8_t)(1u << (rnd() % 8)); break;
			case 2: q.len = rnd() % (q.len + 1); break;
			case 3:
				if (q.len + 8 < sizeof(q.b)) {
					for (int j = 0; j < 8; j++)
						q.b[q.len++] = (uint8_t)rnd();
				}
				break;
			}
		}
		if (q.len == 0)
			continue;
		/* Copy to an exact-size heap buffer so ASan sees every overread. */
		uint8_t *req = malloc(q.len);
		memcpy(req, q.b, q.len);
		size_t cap = (rnd() % 2) ? 512 : sizeof(out);
		uint8_t *resp = malloc(cap);
		struct query_client *cl = (rnd() % 4) ? &udp_cl : &tcp_cl;
		size_t n = query_answer(&cfg, cl, req, q.len, resp, cap);
		ck_assert_uint_le(n, cap);
		if (n) {
			struct tu_msg m;
			tu_decode(resp, n, &m);
			ck_assert(m.flags & 0x8000);
			ck_assert_uint_eq(m.id, (uint16_t)(req[0] << 8 | req[1]));
			if (!cl->tcp)
				ck_assert_uint_le(n, 4096);
		} else {
			ck_assert(q.len < 12 || (req[2] & 0x80));
		}
		free(req);
		free(resp);
	}
}
END_TEST

/* ---- anycast mode ---- */

/*
 * Zone any.test. with steered names: www (server's mode, TTL 20), geo
 * (mode geodns), ac (mode anycast, TTL 45), a static name and a CNAME to
 * www. zones[2] holds it; cfg.anycast points at ac_conf.
 */
static struct anycast_conf ac_conf;
static struct steer_rec sr_default = { 20, 1, STEER_MODE_DEFAULT };
static struct steer_rec sr_geo = { 30, 1, STEER_MODE_GEODNS };
static struct steer_rec sr_any = { 45, 1, STEER_MODE_ANYCAST };

static void steer(struct zone *z, const char *owner, struct steer_rec *sr)
{
	uint8_t o[DNAME_MAXLEN];
	char e[256];
	ck_assert_int_gt(dname_from_text(owner, z->origin, o), 0);
	ck_assert_msg(zone_set_steer(z, o, sr, e, sizeof(e)) == 0, "steer %s: %s", owner, e);
}

static void anycast_setup(bool v4, bool v6, enum steer_mode server_mode)
{
	struct zone *z = new_zone("any.test.");
	add_soa(z, 3600, 120);
	add_name(z, "@", T_NS, 3600, "ns1.example.test.");
	steer(z, "www", &sr_default);
	steer(z, "geo", &sr_geo);
	steer(z, "ac", &sr_any);
	add_txt(z, "www", 300, "steered-but-txt-is-static");
	add_a(z, "static", 600, 192, 0, 2, 5);
	add_name(z, "alias", T_CNAME, 600, "www");
	finish_zone(z);
	zones[2] = z;
	cfg.zones.count = 3;

	memset(&ac_conf, 0, sizeof(ac_conf));
	ac_conf.has_v4 = v4;
	ac_conf.has_v6 = v6;
	ck_assert_int_eq(inet_pton(AF_INET, "198.51.100.1", &ac_conf.v4), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:100::1", &ac_conf.v6), 1);
	cfg.anycast = &ac_conf;
	cfg.server.mode = server_mode;
}

static void anycast_teardown(void)
{
	zone_free(zones[2]);
	zones[2] = NULL;
	cfg.zones.count = 2;
	cfg.anycast = NULL;
	cfg.server.mode = STEER_MODE_DEFAULT;
}

static void check_answer(const struct tu_msg *m, uint16_t type, uint32_t ttl, const char *owner,
                         const void *rdata, uint16_t rdlen)
{
	const struct tu_rr *r = tu_find(m, 1, type);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->owner, owner);
	ck_assert_uint_eq(r->ttl, ttl);
	ck_assert_uint_eq(r->cls, 1);
	ck_assert_uint_eq(r->rdlen, rdlen);
	ck_assert(memcmp(m->b + r->rdoff, rdata, rdlen) == 0);
}

static const uint8_t any4[4] = { 198, 51, 100, 1 };
static const uint8_t any6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

START_TEST(anycast_answers)
{
	struct tu_msg m;
	anycast_setup(true, true, STEER_MODE_ANYCAST);
	q1("www.any.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.ns, 0);
	check_answer(&m, T_A, 20, "www.any.test.", any4, 4);
	q1("www.any.test", T_AAAA, &m);
	ck_assert_uint_eq(m.an, 1);
	check_answer(&m, T_AAAA, 20, "www.any.test.", any6, 16);
	/* the name's own TTL; TCP gives the same */
	struct tu_q q;
	tu_query(&q, 7, 0x0100, "ac.any.test", T_A, 1);
	ck_assert_uint_gt(run(&q, &tcp_cl, &m), 0);
	check_answer(&m, T_A, 45, "ac.any.test.", any4, 4);
	/* static records at and beside steered names answer as usual */
	q1("www.any.test", T_TXT, &m);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].ttl, 300);
	q1("static.any.test", T_A, &m);
	ck_assert_uint_eq(m.an, 1);
	const uint8_t st[4] = { 192, 0, 2, 5 };
	check_answer(&m, T_A, 600, "static.any.test.", st, 4);
	/* a CNAME chain ends in the anycast address */
	q1("alias.any.test", T_A, &m);
	ck_assert_uint_eq(m.an, 2);
	ck_assert_uint_eq(m.rr[0].type, T_CNAME);
	check_answer(&m, T_A, 20, "www.any.test.", any4, 4);
	/* MX at a steered name: NODATA from the zone, not an address */
	q1("www.any.test", T_MX, &m);
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 120, "any.test.");
	anycast_teardown();
}
END_TEST

START_TEST(anycast_ecs_scope0_and_nsid)
{
	struct tu_msg m;
	uint16_t l = 0;
	anycast_setup(true, true, STEER_MODE_ANYCAST);
	/* 203.0.113.0/24 with NSID: scope 0 (RFC 7871 7.2.1), identity in NSID */
	uint8_t opts[] = { 0, 3, 0, 0, 0, 8, 0, 7, 0, 1, 24, 0, 203, 0, 113 };
	ask_edns("www.any.test", T_A, 1232, 0, 0, opts, sizeof(opts), &udp_cl, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	check_answer(&m, T_A, 20, "www.any.test.", any4, 4);
	size_t at = tu_opt_find(&m, 8, &l);
	ck_assert_uint_ne(at, 0);
	ck_assert_uint_eq(l, 7);
	const uint8_t want[] = { 0, 1, 24, 0, 203, 0, 113 };
	ck_assert(memcmp(m.b + at, want, 7) == 0);
	at = tu_opt_find(&m, 3, &l);
	ck_assert_uint_eq(l, 9);
	ck_assert(memcmp(m.b + at, "ns-test-1", 9) == 0);
	/* IPv6 ECS for AAAA: also scope 0 */
	uint8_t ecs6[] = { 0, 8, 0, 10, 0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34 };
	ask_edns("www.any.test", T_AAAA, 1232, 0, 0, ecs6, sizeof(ecs6), &udp_cl, &m);
	check_answer(&m, T_AAAA, 20, "www.any.test.", any6, 16);
	at = tu_opt_find(&m, 8, &l);
	ck_assert_uint_eq(l, 10);
	ck_assert_uint_eq(m.b[at + 3], 0);   /* scope */
	ck_assert_uint_eq(m.b[at + 2], 48);  /* source kept */
	anycast_teardown();
}
END_TEST

START_TEST(anycast_nodata_missing_family)
{
	struct tu_msg m;
	anycast_setup(true, false, STEER_MODE_ANYCAST);
	q1("www.any.test", T_AAAA, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert(TU_AA(&m));
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 120, "any.test.");
	q1("www.any.test", T_A, &m);
	ck_assert_uint_eq(m.an, 1);
	anycast_teardown();

	anycast_setup(false, true, STEER_MODE_ANYCAST);
	q1("ac.any.test", T_A, &m);
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 120, "any.test.");
	/* CNAME kept, the missing address is NODATA */
	q1("alias.any.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 1);
	ck_assert_uint_eq(m.rr[0].type, T_CNAME);
	check_soa_auth(&m, 120, "any.test.");
	q1("ac.any.test", T_AAAA, &m);
	check_answer(&m, T_AAAA, 45, "ac.any.test.", any6, 16);
	anycast_teardown();
}
END_TEST

/* A GeoDNS server whose zone has one anycast name: that name answers the
 * anycast address; the GeoDNS names (no geo compiled here) answer NODATA
 * rather than the anycast address. */
START_TEST(anycast_mixed_modes)
{
	struct tu_msg m;
	anycast_setup(true, true, STEER_MODE_GEODNS);
	q1("ac.any.test", T_A, &m);
	check_answer(&m, T_A, 45, "ac.any.test.", any4, 4);
	q1("www.any.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 0);
	q1("geo.any.test", T_A, &m);
	ck_assert_uint_eq(m.an, 0);
	anycast_teardown();

	/* server anycast: an explicit geodns name stays GeoDNS */
	anycast_setup(true, true, STEER_MODE_ANYCAST);
	q1("geo.any.test", T_A, &m);
	ck_assert_uint_eq(TU_RCODE(&m), 0);
	ck_assert_uint_eq(m.an, 0);
	/* a config without anycast data answers NODATA, never garbage */
	cfg.anycast = NULL;
	q1("ac.any.test", T_A, &m);
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 120, "any.test.");
	anycast_teardown();
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("query");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, drop_short_and_responses);
	tcase_add_test(tc, header_echo);
	tcase_add_test(tc, opcode_notimp);
	tcase_add_test(tc, qdcount_errors);
	tcase_add_test(tc, malformed_question);
	tcase_add_test(tc, trailing_garbage_and_bad_records);
	tcase_add_test(tc, chaos);
	tcase_add_test(tc, refused_outside);
	tcase_add_test(tc, transfers);
	tcase_add_test(tc, positive_case_kept);
	tcase_add_test(tc, nodata_nxdomain);
	tcase_add_test(tc, wildcards);
	tcase_add_test(tc, cnames);
	tcase_add_test(tc, delegations);
	tcase_add_test(tc, additional_and_compression);
	tcase_add_test(tc, edns_basic);
	tcase_add_test(tc, edns_badvers);
	tcase_add_test(tc, edns_nsid);
	tcase_add_test(tc, edns_ecs_echo);
	tcase_add_test(tc, edns_ecs_formerr);
	tcase_add_test(tc, edns_malformed);
	tcase_add_test(tc, truncation);
	tcase_add_test(tc, truncation_additional);
	tcase_add_test(tc, no_heap_in_answer);
	tcase_add_test(tc, fuzz_mutations);
	tcase_add_test(tc, anycast_answers);
	tcase_add_test(tc, anycast_ecs_scope0_and_nsid);
	tcase_add_test(tc, anycast_nodata_missing_family);
	tcase_add_test(tc, anycast_mixed_modes);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
