/* steer.c: GeoDNS answers for steered names, and the geodns method
 * (geodns_module.h) that serves them through the steering interface; see
 * steer.h. The method lives here so the compiler can inline steer_client
 * and steer_answer into it: this is the per-query path. */
#include "geodns/steer.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "common/health.h"
#include "common/log.h"
#include "geodns/geodns_module.h"
#include "geodns/geotree.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

struct prefix {
	uint8_t a[16];
	uint8_t len;
};

static bool in_prefix(const uint8_t a[16], const struct prefix *p)
{
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(a, p->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (p->a[full] & mask);
}

/*
 * Non-routable addresses: an ECS subnet in one of these says nothing about
 * where the client is. Documentation ranges (192.0.2.0/24, 2001:db8::/32)
 * are deliberately not listed: they stand for real networks in examples
 * and tests. Tested octet by octet (this runs for every ECS query) rather
 * than as a list of prefixes; the IPv4 ranges apply only to v4-mapped
 * addresses, which no IPv6 range below can contain.
 */
static bool v4_private(const uint8_t o[4])
{
	switch (o[0]) {
	case 0:   return true;                      /* 0/8 "this" network */
	case 10:  return true;                      /* 10/8 RFC 1918 */
	case 100: return (o[1] & 0xc0) == 64;       /* 100.64/10 RFC 6598 CGNAT */
	case 127: return true;                      /* 127/8 loopback */
	case 169: return o[1] == 254;               /* 169.254/16 link-local */
	case 172: return (o[1] & 0xf0) == 16;       /* 172.16/12 RFC 1918 */
	case 192: return o[1] == 168;               /* 192.168/16 RFC 1918 */
	default:  return o[0] >= 224;               /* 224/3: multicast and reserved */
	}
}

static bool v6_private(const uint8_t a[16])
{
	if ((a[0] & 0xfe) == 0xfc)                  /* fc00::/7 ULA */
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)  /* fe80::/10 link-local */
		return true;
	if (a[0] == 0xff)                           /* ff00::/8 multicast */
		return true;
	static const uint8_t zero[15];
	return memcmp(a, zero, 15) == 0 && a[15] <= 1;  /* :: and ::1 */
}

bool steer_addr_private(const uint8_t addr16[16])
{
	if (memcmp(addr16, v4_mapped, 12) == 0)
		return v4_private(addr16 + 12);
	return v6_private(addr16);
}

static inline __attribute__((always_inline)) bool trusted_resolver(const struct geo_config *conf, const uint8_t peer[16])
{
	if (conf->ecs_trust_all)
		return true;
	for (size_t i = 0; i < conf->n_ecs_trusted; i++) {
		struct prefix p;
		memcpy(p.a, conf->ecs_trusted[i].addr, 16);
		p.len = conf->ecs_trusted[i].len;
		if (in_prefix(peer, &p))
			return true;
	}
	return false;
}

/* The peer's address in the 128-bit space; false if not IP. */
static bool peer_addr(const struct query_ctx *q, uint8_t out[16])
{
	if (!q->peer)
		return false;
	if (q->peer->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)q->peer;
		memcpy(out, v4_mapped, 12);
		memcpy(out + 12, &s4->sin_addr, 4);
		return true;
	}
	if (q->peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)q->peer;
		memcpy(out, &s6->sin6_addr, 16);
		return true;
	}
	return false;
}

/* steer_client's body, inlined into the geodns method (the per-query
 * path) and behind steer_client for everyone else. */
static inline __attribute__((always_inline)) bool locate_client(const struct geo_config *conf,
                                                                const struct query_ctx *q,
                                                                struct steer_client *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t peer[16];
	bool have_peer = peer_addr(q, peer);

	/* RFC 7871 7.1.2: SOURCE 0 means "do not use my address": locate
	 * the resolver instead, and answer with SCOPE 0. */
	if (q->edns.has_ecs && q->edns.ecs.source > 0 &&
	    (!have_peer || trusted_resolver(conf, peer))) {
		uint8_t a[16];
		if (q->edns.ecs.family == 1) {
			memcpy(a, v4_mapped, 12);
			memcpy(a + 12, q->edns.ecs.addr, 4);
		} else {
			memcpy(a, q->edns.ecs.addr, 16);
		}
		if (!steer_addr_private(a)) {
			memcpy(out->addr, a, 16);
			out->from_ecs = true;
			out->ecs_v6 = q->edns.ecs.family == 2;
			out->source = q->edns.ecs.source;
			out->is_v4 = memcmp(a, v4_mapped, 12) == 0;
			return true;
		}
	}
	if (!have_peer)
		return false;
	memcpy(out->addr, peer, 16);
	out->is_v4 = memcmp(peer, v4_mapped, 12) == 0;
	return true;
}

bool steer_client(const struct geo_config *conf, const struct query_ctx *q, struct steer_client *out)
{
	return locate_client(conf, q, out);
}

static inline __attribute__((always_inline)) bool pop_up(const struct geo_compiled *gc, unsigned p)
{
	_Atomic uint8_t *s = gc->pop_state ? gc->pop_state[p] : NULL;
	return !s || atomic_load_explicit(s, memory_order_relaxed) == HEALTH_UP;
}

/* Log fail-open at most once every 10 s, whichever worker sees it. */
static void note_fail_open(const struct geo_compiled *gc, uint32_t decision)
{
	static _Atomic long last;
	long now = (long)time(NULL);
	long prev = atomic_load_explicit(&last, memory_order_relaxed);
	if (now - prev < 10 || !atomic_compare_exchange_strong(&last, &prev, now))
		return;
	unsigned n;
	const uint16_t *l = geo_list(gc, decision, &n);
	log_warn("geodns", "every PoP in a client's list is down (first: %s): answering as if all were up",
	         n ? gc->conf->pops[l[0]].name : "-");
}

/* Append the addresses of PoP p for qtype to rr[*n..STEER_MAX_RR); returns
 * whether it had any. rr and *n are the caller's locals, not res's fields:
 * stores through res->rr could alias res->n and force a reload per
 * address. */
static inline __attribute__((always_inline)) bool add_pop(const struct pop *pop, uint16_t qtype, struct rdata *rr, unsigned *np)
{
	unsigned n = *np, n0 = n;
	if (qtype == RRT_A) {
		for (size_t i = 0; i < pop->n_v4 && n < STEER_MAX_RR; i++)
			rr[n++] = (struct rdata){ 4, (const uint8_t *)&pop->v4[i] };
	} else {
		for (size_t i = 0; i < pop->n_v6 && n < STEER_MAX_RR; i++)
			rr[n++] = (struct rdata){ 16, pop->v6[i].s6_addr };
	}
	*np = n;
	return n != n0;
}

/* steer_answer's body; inlined as locate_client is. */
static inline __attribute__((always_inline)) void answer(const struct geo_compiled *gc,
                                                         const struct steer_rec *sr,
                                                         const struct steer_client *c,
                                                         uint16_t qtype, struct steer_result *res)
{
	const struct geo_config *conf = gc->conf;
	unsigned scope;
	res->n = 0;
	res->first = NULL;
	res->failed_open = false;
	const struct ecs_scope_clamp *cl;
	if (c->is_v4) {
		res->decision = dtree_lookup_v4(gc->tree, c->addr + 12, &scope);
		cl = &conf->scope4;
		/* A v4-mapped address in an IPv6 ECS option: the scope is in
		 * the option's family, or a resolver would cache the answer for
		 * ::/scope instead of ::ffff:a.b.c.d/(96 + scope). */
		if (c->from_ecs && c->ecs_v6) {
			scope += 96;
			cl = &conf->scope6;
		}
	} else {
		res->decision = dtree_lookup(gc->tree, c->addr, &scope);
		cl = &conf->scope6;
	}
	if (scope < cl->min)
		scope = cl->min;
	if (scope > cl->max)
		scope = cl->max;
	res->scope = (uint8_t)scope;

	unsigned n;
	const uint16_t *list = geo_list(gc, res->decision, &n);
	unsigned want = sr->answers ? sr->answers : 1, got = 0;
	bool any_up = false;
	for (unsigned i = 0; i < n; i++)
		if (pop_up(gc, list[i])) {
			any_up = true;
			break;
		}
	if (!any_up) {
		res->failed_open = true;
		note_fail_open(gc, res->decision);
	}
	struct rdata *rr = res->rr;
	unsigned nrr = 0;
	for (unsigned i = 0; i < n && got < want; i++) {
		if (any_up && !pop_up(gc, list[i]))
			continue;
		const struct pop *p = &conf->pops[list[i]];
		if (add_pop(p, qtype, rr, &nrr) && got++ == 0)
			res->first = p;
	}
	res->n = nrr;
}

void steer_answer(const struct geo_compiled *gc, const struct steer_rec *sr,
                  const struct steer_client *c, uint16_t qtype, struct steer_result *res)
{
	answer(gc, sr, c, qtype, res);
}

/* --- the geodns method (state: the config's struct geo_compiled) --- */

static bool geodns_locate(const void *state, const struct query_ctx *q, struct steer_client *out)
{
	const struct geo_compiled *gc = state;
	return locate_client(gc->conf, q, out);
}

static void geodns_answer(const void *state, const struct steer_rec *sr, const struct query_ctx *q,
                          uint16_t qtype, struct steer_outcome *out)
{
	const struct geo_compiled *gc = state;
	if (!out->has_client) {
		if (!locate_client(gc->conf, q, &out->client))
			return;  /* no usable address: NODATA */
		out->has_client = true;
	}
	struct steer_result res = { .rr = out->rr };
	answer(gc, sr, &out->client, qtype, &res);
	out->n = res.n;
	out->method = "geodns";
	out->scope = res.scope;
	out->from_ecs = out->client.from_ecs;
	if (res.first) {
		out->pop = (int)res.first->index;
		out->pop_name = res.first->name;
	}
}

const struct steer_method_ops geodns_method = {
	.name = "geodns",
	.answer = geodns_answer,
	.locate = geodns_locate,
};
