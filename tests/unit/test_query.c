/*
 * test_query.c: query_answer lookup semantics end to end on hand-built
 * packets, asserting on the decoded response bytes: header echo and
 * framing, malformed questions, CHAOS and other classes, REFUSED and
 * transfers, RCODEs, wildcards, CNAME chains, referrals, additional data
 * and compression. EDNS, sizes, robustness and anycast answers are in
 * test_query_edns.c; the common zones are in query_test_util.h.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/query.h"
#include "tests/unit/query_test_util.h"

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
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
