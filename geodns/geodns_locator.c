/*
 * geodns_locator.c: the decision log's locator (common/steer_method.h)
 * for GeoDNS configs: where a client is, the nearest PoP and the
 * distances. Its state is the config's struct geo_compiled (or NULL).
 */
#include "geodns/geodns_module.h"

#include <string.h>

#include "common/qlog.h"
#include "geodns/distance.h"
#include "geodns/geotree.h"
#include "geodns/steer.h"

/* Without a GeoDNS config (state NULL): every ECS is trusted. */
static bool locator_client(const void *state, const struct query_ctx *q, struct steer_client *out)
{
	static const struct geo_config trust_all = { .ecs_trust_all = true };
	const struct geo_compiled *gc = state;
	return steer_client(gc ? gc->conf : &trust_all, q, out);
}

/* Location of c, the nearest PoP and the distances to it and to pop.
 * The nearest PoP and its distance were computed per location when the
 * trees were compiled; only a distance to an answered PoP that is not the
 * nearest (a policy rule, a PoP down, the anycast arm) is computed here. */
static void locator_place(const void *state, const struct steer_client *c, int pop,
                          struct qlog_rec *r)
{
	const struct geo_compiled *gc = state;
	if (!gc)
		return;
	const struct geo_config *gconf = gc->conf;
	uint32_t id = geotree_lookup(gc->loc_tree, c->addr, NULL);
	if (id == GEO_LOC_UNKNOWN)
		return;
	const struct geo_location *loc = geotree_location(gc->loc_tree, id);
	memcpy(r->country, loc->country, 3);
	memcpy(r->continent, loc->continent, 3);
	unsigned nearest = gc->loc_nearest[id];
	if (loc->coords == GEO_COORD_NONE || nearest == GEO_NEAREST_NONE)
		return;
	r->has_coords = true;
	r->lat = loc->lat;
	r->lon = loc->lon;
	qlog_copy_str(r->nearest, sizeof(r->nearest), gconf->pops[nearest].name);
	r->has_nearest_km = true;
	r->nearest_km = gc->loc_nearest_km[id];
	if (pop >= 0 && (size_t)pop < gconf->n_pops) {
		const struct pop *p = &gconf->pops[pop];
		r->has_pop_km = true;
		r->pop_km = (unsigned)pop == nearest ? r->nearest_km
		                                     : geo_distance_km(r->lat, r->lon, p->lat, p->lon);
	}
}

const struct steer_locator_ops geodns_locator = {
	.client = locator_client,
	.place = locator_place,
};
