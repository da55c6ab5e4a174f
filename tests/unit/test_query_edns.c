/*
 * test_query_edns.c: query_answer on hand-built packets, the EDNS side:
 * OPT echo, BADVERS, NSID, ECS echo and FORMERR, malformed OPT; response
 * size limits and truncation; that no heap memory is used per answer and a
 * mutation fuzz run (build with SANITIZE=1 to catch out-of-bounds access);
 * anycast answers of steered names (address, TTL, ECS scope 0, NODATA).
 * Lookup semantics are in test_query.c; the common zones are in
 * query_test_util.h.
 */
#include <arpa/inet.h>
#include <check.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "anycast/anycast_conf.h"
#include "anycast/anycast_module.h"
#include "common/query.h"
#include "common/steer_rec.h"
#include "tests/unit/query_test_util.h"

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
	cfg.steer[STEER_MODE_ANYCAST] = (struct steer_binding){ &anycast_method, &ac_conf };
	cfg.server.mode = server_mode;
}

static void anycast_teardown(void)
{
	zone_free(zones[2]);
	zones[2] = NULL;
	cfg.zones.count = 2;
	cfg.anycast = NULL;
	cfg.steer[STEER_MODE_ANYCAST] = (struct steer_binding){ NULL, NULL };
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
	cfg.steer[STEER_MODE_ANYCAST] = (struct steer_binding){ NULL, NULL };
	q1("ac.any.test", T_A, &m);
	ck_assert_uint_eq(m.an, 0);
	check_soa_auth(&m, 120, "any.test.");
	anycast_teardown();
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("query_edns");
	TCase *tc = tcase_create("query_edns");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
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
