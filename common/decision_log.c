/* decision_log.c: decision-log records from the answer path; see decision_log.h. */
#include "common/decision_log.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/qlog.h"

static void set_addr16(uint8_t out[16], const struct sockaddr *sa, bool *ok)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	*ok = false;
	if (sa && sa->sa_family == AF_INET) {
		memcpy(out, mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		*ok = true;
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		*ok = true;
	}
}

/* Whether peer is the address this server's own health check asks from
 * (config.h: health_self): that answer is no client's. */
static bool is_health_self(const struct config *cfg, const struct sockaddr *peer)
{
	const struct sockaddr_storage *h = &cfg->health_self;
	if (!peer || !h->ss_family || peer->sa_family != h->ss_family)
		return false;
	if (peer->sa_family == AF_INET)
		return ((const struct sockaddr_in *)peer)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)h)->sin_addr.s_addr;
	return peer->sa_family == AF_INET6 &&
	       !memcmp(&((const struct sockaddr_in6 *)peer)->sin6_addr,
	               &((const struct sockaddr_in6 *)h)->sin6_addr, 16);
}

/* The log's method code (compare/formats.md) of a method name; 0 for "". */
static uint8_t method_code(const char *name)
{
	if (!name[0])   /* the arm of most answers: no strcmp (twice per logged answer) */
		return 0;
	if (strcmp(name, "geodns") == 0)
		return QLOG_GEODNS;
	if (strcmp(name, "anycast") == 0)
		return QLOG_ANYCAST;
	return 0;
}

void decision_log(const struct config *cfg, const struct query_ctx *q, uint16_t qtype,
                  const struct steer_outcome *out)
{
	struct qlog_ring *ring = qlog_thread_ring();
	if (!ring || !cfg->qlog || is_health_self(cfg, q->peer))
		return;
	struct qlog_rec *r = qlog_ring_reserve(ring, cfg->qlog->sample_ppm);
	if (!r)
		return;

	/* The slot holds an older record: reset every field. */
	memset(r, 0, offsetof(struct qlog_rec, server));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->ts_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	r->method = method_code(out->method);
	r->arm = method_code(out->arm);
	r->qtype = qtype;
	memcpy(r->qname, q->qname, dname_len(q->qname));
	set_addr16(r->resolver, q->peer, &r->has_resolver);
	if (q->edns.has_ecs) {
		r->ecs_family = (uint8_t)q->edns.ecs.family;
		r->ecs_source = q->edns.ecs.source;
		memcpy(r->ecs_addr, q->edns.ecs.addr, 16);
	}
	r->scope = (int16_t)out->scope;
	qlog_copy_str(r->server, sizeof(r->server), cfg->server.identity);
	if (out->pop_name)
		qlog_copy_str(r->pop, sizeof(r->pop), out->pop_name);

	/* A method that never looked at the client (anycast): find it now,
	 * as the locator's module would. */
	const struct steer_locator *loc = &cfg->locator;
	struct steer_client own;
	const struct steer_client *c = out->has_client ? &out->client : NULL;
	if (!c && loc->ops && loc->ops->client(loc->state, q, &own))
		c = &own;
	if (c) {
		memcpy(r->client, c->addr, 16);
		r->client_len = c->from_ecs ? (uint8_t)((c->is_v4 && !c->ecs_v6 ? 96 : 0) + c->source)
		                            : 128;
		r->has_client = true;
		if (loc->ops)
			loc->ops->place(loc->state, c, out->pop, r);
	}
	qlog_ring_commit(ring);
}
