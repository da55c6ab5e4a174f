/*
 * cmp_logs.c: steerdns's own JSON Lines inputs (compare/formats.md):
 * `steerdns probe` results and the decision log of `steerdns serve`.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_ctx.h"
#include "compare/cmp_sources.h"
#include "geodns/geo_config.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

/* Key k of rec as a string, NULL (JSON null or absent), or malformed. */
static int opt_str(const json_t *rec, const char *k, const char **out)
{
	const json_t *v = json_object_get(rec, k);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

static int opt_num(const json_t *rec, const char *k, double *out, bool *have)
{
	const json_t *v = json_object_get(rec, k);
	*have = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	*have = true;
	return 0;
}

/* Location fields lat, lon, country, continent of obj into o. */
static int read_location(const json_t *obj, struct cmp_obs *o)
{
	double lat = 0, lon = 0;
	bool hlat, hlon;
	const char *cc, *ct;
	if (opt_num(obj, "lat", &lat, &hlat) < 0 || opt_num(obj, "lon", &lon, &hlon) < 0 ||
	    opt_str(obj, "country", &cc) < 0 || opt_str(obj, "continent", &ct) < 0)
		return -1;
	if (hlat && hlon && fabs(lat) <= 90 && fabs(lon) <= 180) {
		o->has_coords = true;
		o->lat = lat;
		o->lon = lon;
	}
	cmp_code_copy(o->country, cc);
	cmp_code_copy(o->continent, ct);
	return 0;
}

/* The three answers of a probe line and the group each counts for. */
enum { PM_ECS, PM_RESOLVER, PM_ANYCAST, PM_N };
static const char *const probe_keys[PM_N] = { "geodns_ecs", "geodns_resolver", "anycast" };

/*
 * Whether the resolver of a probe's geodns_resolver answer sent ECS: its
 * "ecs" field (true / false; null or absent = unknown, as in files of
 * older probes). Returns 1, 0, -1 unknown, -2 malformed.
 */
static int resolver_ecs(const json_t *mo)
{
	const json_t *v = json_object_get(mo, "ecs");
	if (!v || json_is_null(v))
		return -1;
	if (!json_is_boolean(v))
		return -2;
	return json_is_true(v) ? 1 : 0;
}

int cmp_rec_probe(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen)
{
	const char *vp, *vp_addr, *ts;
	const json_t *loc = json_object_get(rec, "vp_location");
	const json_t *rtts = json_object_get(rec, "rtt_ms");
	const json_t *lost = json_object_get(rec, "lost");
	const json_t *k = json_object_get(rec, "k");
	struct cmp_obs base;
	double anycast_rtt = NAN;
	int used = 0, unknown = 0;

	if (opt_str(rec, "vp", &vp) < 0 || !vp)
		return WHY("probe result: 'vp' must be a string");
	if (opt_str(rec, "vp_addr", &vp_addr) < 0)
		return WHY("probe result: 'vp_addr' must be a string or null");
	if (loc && !json_is_null(loc) && !json_is_object(loc))
		return WHY("probe result: 'vp_location' must be an object or null");
	if (rtts && !json_is_null(rtts) && !json_is_object(rtts))
		return WHY("probe result: 'rtt_ms' must be an object or null");
	cmp_obs_init(&base, CG_ANYCAST, -1);
	if (json_is_object(loc) && read_location(loc, &base) < 0)
		return WHY("probe result: bad 'vp_location' field types");
	if (!(base.client = cmp_label(c, vp)))
		return WHY("out of memory");
	cmp_locate(c, vp_addr, &base);
	int64_t ts_ms = opt_str(rec, "ts", &ts) == 0 ? cmp_parse_ts(ts) : CMP_NO_TS;

	/* The geodns_resolver answer counts as GeoDNS with ECS when its
	 * resolver sent ECS; the line's direct ECS answer then is not
	 * counted, so that one vantage point is one geodns-ecs sample. */
	const json_t *mo_res = json_object_get(rec, "geodns_resolver");
	int res_ecs = json_is_object(mo_res) ? resolver_ecs(mo_res) : -1;
	if (res_ecs == -2)
		return WHY("probe result: geodns_resolver.ecs must be true, false or null");

	/* RTTs per PoP (medians of k queries). A PoP absent from rtt_ms
	 * whose k queries are all in "lost" was measured and never replied
	 * (INFINITY); absent otherwise, it was not measured (NAN). */
	double *rtt = malloc((c->n_pops ? c->n_pops : 1) * sizeof(double));
	if (!rtt)
		return WHY("out of memory");
	for (size_t i = 0; i < c->n_pops; i++) {
		const json_t *l = json_is_object(lost) ? json_object_get(lost, c->geo->pops[i].name)
		                                       : NULL;
		bool all_lost = json_is_integer(k) && json_is_integer(l) &&
		                json_integer_value(k) > 0 &&
		                json_integer_value(l) >= json_integer_value(k);
		rtt[i] = all_lost ? INFINITY : NAN;
	}
	if (json_is_object(rtts)) {
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)rtts, key, v) {
			if (!json_is_number(v) || json_number_value(v) < 0) {
				free(rtt);
				return WHY("probe result: rtt_ms.%s is not a non-negative number", key);
			}
			int p = cmp_pop_by_name(c, key);
			if (p >= 0)
				rtt[p] = json_number_value(v);
			else if (!strcmp(key, "anycast"))
				anycast_rtt = json_number_value(v);
		}
	}
	for (int m = 0; m < PM_N; m++) {
		const json_t *mo = json_object_get(rec, probe_keys[m]);
		const char *pop;
		if (!mo || json_is_null(mo))
			continue;
		if (!json_is_object(mo) || opt_str(mo, "pop", &pop) < 0) {
			free(rtt);
			return WHY("probe result: '%s' must be an object with a string or null 'pop'",
			           probe_keys[m]);
		}
		if (m == PM_ECS && res_ecs == 1) {
			c->ecs_direct_superseded++;
			continue;
		}
		int p = cmp_pop_by_name(c, pop);
		if (p < 0) {
			unknown++;
			c->unknown_pop++;
			continue;
		}
		struct cmp_obs o = base;
		o.group = (uint8_t)(m == PM_ANYCAST                     ? CG_ANYCAST
		                    : m == PM_ECS || res_ecs == 1       ? CG_GEODNS_ECS
		                                                        : CG_GEODNS_RESOLVER);
		if (m == PM_RESOLVER && res_ecs < 0)
			c->resolver_ecs_unknown++;
		o.chosen = p;
		o.rtt = malloc((c->n_pops ? c->n_pops : 1) * sizeof(double));
		if (!o.rtt) {
			free(rtt);
			return WHY("out of memory");
		}
		memcpy(o.rtt, rtt, c->n_pops * sizeof(double));
		/* Anycast's latency is what the anycast address answers in,
		 * not the unicast RTT of the PoP it lands on. */
		if (m == PM_ANYCAST)
			o.experienced = anycast_rtt;
		if (cmp_time_add(c, &o, NULL, ts_ms) < 0 || cmp_add_obs(c, &o) < 0) {
			free(o.rtt);
			free(rtt);
			return WHY("out of memory");
		}
		used++;
	}
	free(rtt);
	if (!used) {
		snprintf(why, whylen, "probe result of '%s' names no known PoP for any method%s", vp,
		         unknown ? " (a PoP is null or not in the config)" : "");
		return 1;
	}
	return 0;
}

/* A decision-log line read with jansson (any key order, escapes, extra
 * keys): its fields, then the common rules of cmp_decision_apply. */
int cmp_rec_decision(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen)
{
	struct cmp_decision d = { .ecs_used = -1 };
	double lat = 0, lon = 0;
	const char *cc, *ct, *ts;
	bool hlat, hlon;

	if (json_object_get(rec, "event") && !json_object_get(rec, "method"))
		return cmp_rec_event(c, rec, why, whylen);
	if (opt_str(rec, "method", &d.method) < 0 || opt_str(rec, "arm", &d.arm) < 0 ||
	    opt_str(rec, "ecs", &d.ecs) < 0 || opt_str(rec, "client", &d.client) < 0 ||
	    opt_str(rec, "pop", &d.pop) < 0 || opt_str(rec, "resolver", &d.resolver) < 0)
		return WHY("decision log: 'method', 'arm', 'ecs', 'client', 'pop' and 'resolver' must "
		           "be strings or null");
	const json_t *v = json_object_get(rec, "ecs_used");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return WHY("decision log: 'ecs_used' must be true, false or null");
		d.ecs_used = json_is_true(v);
	}
	d.ts = opt_str(rec, "ts", &ts) == 0 ? cmp_parse_ts(ts) : CMP_NO_TS;
	if (opt_num(rec, "lat", &lat, &hlat) < 0 || opt_num(rec, "lon", &lon, &hlon) < 0 ||
	    opt_str(rec, "country", &cc) < 0 || opt_str(rec, "continent", &ct) < 0)
		return WHY("decision log: bad location field types");
	d.has_coords = hlat && hlon;
	d.lat = lat;
	d.lon = lon;
	d.country = cc;
	d.continent = ct;
	return cmp_decision_apply(c, &d, why, whylen);
}
