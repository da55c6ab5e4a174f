/*
 * test_steer_method.c: the steering interface (common/steer_method.h) as
 * the daemon wires it: a config loaded through the module table
 * (server/modules.c) with GeoDNS (MaxMind's City test DB, PoPs lon and
 * iad), an anycast address and `ab:`, and each slot's method called as
 * query.c calls it. Expected values come from the config text and the
 * definitions, not from the code under test: the A/B arm from our own
 * FNV-1a 64 + fmix64 of the /24 (ab.h's definition, as test_ab.py does),
 * the anycast answer from the address in the YAML, London's nearest PoP
 * from the PoP coordinates.
 */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include "common/config.h"
#include "common/steer_method.h"
#include "server/modules.h"
#include "tests/unit/config_test_util.h"
#include "tests/unit/geo_test_util.h"

static void setup(void)
{
	char db[PATH_MAX];
	ck_assert_msg(realpath(tpath(mmdb_dir(), "GeoIP2-City-Test.mmdb"), db) != NULL,
	              "test DB not found under %s", mmdb_dir());
	cfg_tmp_enter("steer");
	ck_assert_int_eq(symlink(db, "db.mmdb"), 0);
}

static void teardown(void)
{
	cfg_tmp_leave();
}

/* iad is this server (identity), so anycast answers name it. */
static const char conf_text[] =
	"server: { identity: iad1 }\n"
	"geoip: { databases: [db.mmdb] }\n"
	"pops:\n"
	"  lon: { location: [51.5, -0.12], ipv4: 192.0.2.1 }\n"
	"  iad: { location: [38.95, -77.45], ipv4: 192.0.2.3, identity: iad1 }\n"
	"anycast: { ipv4: 198.51.100.1 }\n"
	"ab: { anycast_percent: 30 }\n";

/* A query from resolver 127.0.0.1 with ECS a.b.c.0/24. */
struct client_q {
	struct sockaddr_in peer;
	struct query_ctx q;
};

static void ecs_query(struct client_q *c, uint32_t net24)
{
	memset(c, 0, sizeof(*c));
	c->peer.sin_family = AF_INET;
	c->peer.sin_addr.s_addr = htonl(0x7f000001u);
	c->q.peer = (const struct sockaddr *)&c->peer;
	c->q.peerlen = sizeof(c->peer);
	c->q.qtype = RRT_A;
	c->q.edns.present = true;
	c->q.edns.has_ecs = true;
	c->q.edns.ecs.family = 1;
	c->q.edns.ecs.source = 24;
	c->q.edns.ecs.addr[0] = (uint8_t)(net24 >> 24);
	c->q.edns.ecs.addr[1] = (uint8_t)(net24 >> 16);
	c->q.edns.ecs.addr[2] = (uint8_t)(net24 >> 8);
}

static void answer(const struct config *cfg, enum steer_mode m, const struct query_ctx *q,
                   struct steer_outcome *out)
{
	static const struct steer_rec sr = { 30, 1, STEER_MODE_DEFAULT };
	const struct steer_binding *b = &cfg->steer[m];
	ck_assert_ptr_nonnull(b->ops);
	ck_assert_str_eq(b->ops->name, steer_mode_name(m));
	steer_outcome_init(out);
	b->ops->answer(b->state, &sr, q, RRT_A, out);
}

/* ab.h's split, written again from its definition. */
static bool anycast_arm(uint32_t net24, uint32_t anycast_bp)
{
	const uint8_t key[4] = { 4, (uint8_t)(net24 >> 24), (uint8_t)(net24 >> 16),
	                         (uint8_t)(net24 >> 8) };
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < 4; i++) {
		h ^= key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h % 10000 < anycast_bp;
}

static bool rr_is(const struct steer_outcome *o, const char *addr)
{
	struct in_addr a;
	ck_assert_int_eq(inet_pton(AF_INET, addr, &a), 1);
	return o->n == 1 && o->rr[0].len == 4 && memcmp(o->rr[0].data, &a, 4) == 0;
}

/* 81.2.69.160 is London in the City test DB: nearer lon (51.5, -0.12)
 * than iad by ~5,800 km. */
START_TEST(geodns_outcome)
{
	struct config *cfg = cfg_ok(conf_text);
	struct client_q c;
	struct steer_outcome o;
	ecs_query(&c, 0x510245a0u);
	answer(cfg, STEER_MODE_GEODNS, &c.q, &o);
	ck_assert(rr_is(&o, "192.0.2.1"));
	ck_assert_str_eq(o.method, "geodns");
	ck_assert_str_eq(o.arm, "");
	ck_assert_int_eq(o.pop, 0);
	ck_assert_str_eq(o.pop_name, "lon");
	ck_assert(o.from_ecs && o.has_client && o.client.is_v4 && o.client.source == 24);
	ck_assert_uint_eq(o.client.addr[12], 81);
	ck_assert_int_ge(o.scope, 0);
	ck_assert_int_le(o.scope, 24);

	/* anycast: the address of the YAML, this server's PoP (resolved by
	 * steer_observe from the identity: iad, index 1) */
	answer(cfg, STEER_MODE_ANYCAST, &c.q, &o);
	ck_assert(rr_is(&o, "198.51.100.1"));
	ck_assert_str_eq(o.method, "anycast");
	ck_assert_int_eq(o.pop, STEER_POP_SELF);
	ck_assert_int_eq(cfg->self_pop, 1);
	ck_assert_str_eq(cfg->self_pop_name, "iad");
	ck_assert(!o.from_ecs && !o.has_client);
	config_free(cfg);
}
END_TEST

/* The A/B method composes the two slots: 2,000 random /24s each answered
 * by the arm our own hash picks, with that arm's records, the arm's name,
 * and a scope of at least /24; the GeoDNS arm gives what the GeoDNS slot
 * gives the same client. */
START_TEST(ab_composes_the_arms)
{
	struct config *cfg = cfg_ok(conf_text);
	unsigned n_any = 0;
	for (unsigned i = 0; i < 2000; i++) {
		uint32_t net = (uint32_t)rng() & 0xffffff00u;
		struct client_q c;
		struct steer_outcome ab, geo;
		ecs_query(&c, net);
		answer(cfg, STEER_MODE_AB, &c.q, &ab);
		answer(cfg, STEER_MODE_GEODNS, &c.q, &geo);
		if (!geo.from_ecs)
			continue;  /* private or reserved: located by the resolver */
		REQUIRE(ab.has_client && ab.from_ecs, "%08x: client not from ECS", net);
		if (anycast_arm(net, 3000)) {
			n_any++;
			REQUIRE(rr_is(&ab, "198.51.100.1"), "%08x: not the anycast address", net);
			REQUIRE(strcmp(ab.arm, "anycast") == 0 && strcmp(ab.method, "anycast") == 0,
			        "%08x: arm %s method %s", net, ab.arm, ab.method);
			REQUIRE(ab.pop == STEER_POP_SELF && ab.scope == 24, "%08x: pop %d scope %d", net,
			        ab.pop, ab.scope);
		} else {
			REQUIRE(strcmp(ab.arm, "geodns") == 0 && strcmp(ab.method, "geodns") == 0,
			        "%08x: arm %s method %s", net, ab.arm, ab.method);
			REQUIRE(ab.n == geo.n && geo.n == 1 &&
			                memcmp(ab.rr[0].data, geo.rr[0].data, 4) == 0,
			        "%08x: the GeoDNS arm differs from the GeoDNS slot", net);
			REQUIRE(ab.pop == geo.pop && strcmp(ab.pop_name, geo.pop_name) == 0,
			        "%08x: pop %d vs %d", net, ab.pop, geo.pop);
			REQUIRE(ab.scope == (geo.scope > 24 ? geo.scope : 24), "%08x: scope %d (geo %d)",
			        net, ab.scope, geo.scope);
		}
	}
	/* 30 % of ~1,700 public /24s */
	ck_assert_msg(n_any > 400 && n_any < 650, "%u anycast", n_any);
	config_free(cfg);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("steer_method");
	TCase *tc = tcase_create("steer_method");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, geodns_outcome);
	tcase_add_test(tc, ab_composes_the_arms);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
