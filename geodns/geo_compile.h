/*
 * geo_compile.h: GeoDNS configuration compiled for the answer path.
 *
 * At load time every location in the DBs is given a decision: the ordered
 * PoP list a client there gets (the first policy rule that matches, else
 * every PoP by great-circle distance, else the fallback list). Equal lists
 * are stored once, and the DB tree is rewritten into a decision tree whose
 * merged leaves give the ECS scope directly. Per query: one tree walk, then
 * the first healthy PoP(s) of the list. No libmaxminddb call, no lock, no
 * allocation. Immutable after geo_compile(); owned by the config snapshot.
 *
 * The trees and lists belong to a struct geo_core (geo_cache.h) that
 * config generations with the same DBs and policy share: a reload that
 * changed neither reuses it, a start with neither changed since the last
 * run reads it from the cache file. The fields below point into it.
 */
#ifndef STEERDNS_GEO_COMPILE_H
#define STEERDNS_GEO_COMPILE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "geodns/geo_config.h"

struct geotree;
struct dtree;
struct geo_core;

/* loc_nearest of a location without coordinates (PoP indexes are below
 * UINT16_MAX: geo_compile refuses more PoPs). */
#define GEO_NEAREST_NONE UINT16_MAX

/* Where a geo_compiled's trees came from (logged; tests read it). */
enum geo_origin { GEO_COMPILED, GEO_REUSED, GEO_CACHED };

struct geo_compiled {
	const struct geo_config *conf;   /* borrowed from the same config */
	struct dtree *tree;              /* address -> decision (list index) */
	struct geotree *loc_tree;        /* address -> location, kept for `lookup` */
	/* decision d: lists[list_off[d] .. list_off[d] + list_len[d]) are PoP indexes */
	uint16_t *lists;
	uint32_t *list_off;
	uint16_t *list_len;
	uint32_t n_lists;
	uint32_t fallback_list;          /* decision used for unknown clients */
	uint32_t *loc_rule;              /* per location: matched rule + 1, or 0 */
	/* Per location: the nearest PoP by distance, whatever the policy or
	 * health (GEO_NEAREST_NONE: no coordinates), and its distance in km
	 * (geo_distance_km, exactly): the decision log's `nearest` and
	 * `nearest_km` without trigonometry per answer. */
	uint16_t *loc_nearest;
	double *loc_nearest_km;
	uint32_t n_locs;
	_Atomic uint8_t **pop_state;     /* per PoP: health slot (common/health.h) */
	struct geotree_stats_lite {
		uint32_t locations, tree_nodes, decision_nodes;
		double seconds;              /* this load: compile, reuse or cache read */
	} stats;
	struct geo_core *core;           /* owns the trees and lists above (shared) */
	enum geo_origin origin;
};

/*
 * Open every DB of conf, compile it with the policy into a decision tree,
 * and bind each PoP to its health slot. The DBs are closed again before
 * returning (the trees copy what they need). On error returns NULL with a
 * message in err naming the DB file. Caller owns: geo_compiled_free().
 */
struct geo_compiled *geo_compile(const struct geo_config *conf, char *err, size_t errlen);

/*
 * The same, reusing prev's trees (prev: the previous config generation's,
 * e.g. the serving config's on a reload; may be NULL) when conf's DB files
 * and compile-relevant config are those prev was compiled from, else the
 * cache file's (conf->cache_dir) when its key matches; otherwise compiles
 * and writes the cache file. geo_compile() is this with prev NULL. Reuse
 * shares the trees (reference counted): prev may be freed before or after
 * the result. Call from one thread at a time (the control thread).
 */
struct geo_compiled *geo_compile_prev(const struct geo_config *conf,
                                      const struct geo_compiled *prev, char *err, size_t errlen);

void geo_compiled_free(struct geo_compiled *gc);

/* PoP list of a decision (count in *n). */
static inline const uint16_t *geo_list(const struct geo_compiled *gc, uint32_t d, unsigned *n)
{
	*n = gc->list_len[d];
	return gc->lists + gc->list_off[d];
}

#endif
