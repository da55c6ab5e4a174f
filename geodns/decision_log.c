/* decision_log.c: decision-log records from the answer path; see decision_log.h. */
#include "geodns/decision_log.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "geodns/distance.h"
#include "geodns/geo_compile.h"
#include "geodns/geotree.h"

int decision_self_pop(const struct config *cfg)
{
	const char *id = cfg->server.identity;
	if (!cfg->geo || !id)
		return -1;
	for (size_t i = 0; i < cfg->geo->n_pops; i++)
		if (cfg->geo->pops[i].identity && strcmp(cfg->geo->pops[i].identity, id) == 0)
			return (int)i;
	for (size_t i = 0; i < cfg->geo->n_pops; i++)
		if (strcmp(cfg->geo->pops[i].name, id) == 0)
			return (int)i;
	return -1;
}

/* The PoP whose address array holds the answer's first address. */
static int answered_pop(const struct geo_config *gconf, const struct steer_result *res)
{
	if (!res || res->n == 0)
		return -1;
	const uint8_t *a = res->rr[0].data;
	for (size_t i = 0; i < gconf->n_pops; i++) {
		const struct pop *p = &gconf->pops[i];
		const uint8_t *b4 = (const uint8_t *)p->v4, *b6 = (const uint8_t *)p->v6;
		if ((p->n_v4 && a >= b4 && a < b4 + p->n_v4 * sizeof(*p->v4)) ||
		    (p->n_v6 && a >= b6 && a < b6 + p->n_v6 * sizeof(*p->v6)))
			return (int)i;
	}
	return -1;
}

static void copy_name(char dst[QLOG_NAME_MAX], const char *s)
{
	qlog_copy_str(dst, QLOG_NAME_MAX, s);
}

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

/* Location, PoP and distances of the record. */
static void locate(const struct config *cfg, const struct steer_client *c,
                   const struct decision *d, struct qlog_rec *r)
{
	const struct geo_compiled *gc = cfg->geo_compiled;
	if (!gc || !c)
		return;
	const struct geo_config *gconf = gc->conf;
	uint32_t id = geotree_lookup(gc->loc_tree, c->addr, NULL);
	const struct geo_location *loc = geotree_location(gc->loc_tree, id);
	if (id != GEO_LOC_UNKNOWN) {
		memcpy(r->country, loc->country, 3);
		memcpy(r->continent, loc->continent, 3);
		if (loc->coords != GEO_COORD_NONE) {
			r->has_coords = true;
			r->lat = loc->lat;
			r->lon = loc->lon;
		}
	}
	int pop = d->method == QLOG_ANYCAST ? decision_self_pop(cfg) : answered_pop(gconf, d->res);
	if (pop >= 0)
		copy_name(r->pop, gconf->pops[pop].name);
	if (!r->has_coords)
		return;
	double best = 0;
	int nearest = -1;
	for (size_t i = 0; i < gconf->n_pops; i++) {
		const struct pop *p = &gconf->pops[i];
		double km = geo_distance_km(r->lat, r->lon, p->lat, p->lon);
		/* Ties keep config order, as geo_rank does. */
		if (nearest < 0 || km < best) {
			best = km;
			nearest = (int)i;
		}
		if ((int)i == pop) {
			r->has_pop_km = true;
			r->pop_km = km;
		}
	}
	if (nearest >= 0) {
		copy_name(r->nearest, gconf->pops[nearest].name);
		r->has_nearest_km = true;
		r->nearest_km = best;
	}
}

void decision_log(const struct config *cfg, const struct query_ctx *q, const struct decision *d)
{
	struct qlog_ring *ring = qlog_thread_ring();
	if (!ring || !cfg->qlog)
		return;
	struct qlog_rec *r = qlog_ring_reserve(ring, cfg->qlog->sample_ppm);
	if (!r)
		return;

	/* The slot holds an older record: reset every field. */
	memset(r, 0, offsetof(struct qlog_rec, server));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->ts_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	r->method = (uint8_t)d->method;
	r->arm = d->arm;
	r->qtype = d->qtype;
	memcpy(r->qname, q->qname, dname_len(q->qname));
	set_addr16(r->resolver, q->peer, &r->has_resolver);
	if (q->edns.has_ecs) {
		r->ecs_family = (uint8_t)q->edns.ecs.family;
		r->ecs_source = q->edns.ecs.source;
		memcpy(r->ecs_addr, q->edns.ecs.addr, 16);
	}
	r->scope = (int16_t)d->scope;
	qlog_copy_str(r->server, sizeof(r->server), cfg->server.identity);

	/* Anycast answers never looked at the client: find it now, as GeoDNS
	 * would (trusting every ECS when there is no GeoDNS config). */
	struct steer_client own;
	const struct steer_client *c = d->c;
	if (!c) {
		static const struct geo_config trust_all = { .ecs_trust_all = true };
		const struct geo_config *gconf = cfg->geo_compiled ? cfg->geo_compiled->conf : &trust_all;
		if (steer_client(gconf, q, &own))
			c = &own;
	}
	if (c) {
		memcpy(r->client, c->addr, 16);
		r->client_len = c->from_ecs ? (uint8_t)((c->is_v4 && !c->ecs_v6 ? 96 : 0) + c->source)
		                            : 128;
		r->has_client = true;
	}
	locate(cfg, c, d, r);
	qlog_ring_commit(ring);
}
