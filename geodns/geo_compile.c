/* geo_compile.c: DBs + policy -> decision tree and PoP lists; see geo_compile.h. */
#include "geodns/geo_compile.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/health.h"
#include "common/log.h"
#include "geodns/distance.h"
#include "geodns/geo_cache.h"
#include "geodns/geodb.h"
#include "geodns/geotree.h"

/* A growing set of distinct PoP lists, deduplicated through an open
 * addressing hash table: a City DB has ~100k locations but only as many
 * distinct lists as there are orderings of the PoPs that occur. */
struct list_set {
	uint16_t *lists;
	size_t lists_len, lists_cap;
	uint32_t *off;
	uint16_t *len;
	uint32_t n, cap;
	uint32_t *table;   /* decision + 1, 0 = empty */
	uint32_t table_mask;
};

/* Compilation runs on the control thread before a snapshot is published;
 * running out of memory there has no sane way on, as in arena_alloc. */
static void oom(void)
{
	fprintf(stderr, "steerdns: out of memory\n");
	abort();
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

static uint32_t list_hash(const uint16_t *l, unsigned n)
{
	uint32_t h = 2166136261u ^ n;
	for (unsigned i = 0; i < n; i++) {
		h ^= l[i];
		h *= 16777619u;
	}
	return h;
}

static void set_grow_table(struct list_set *s)
{
	uint32_t size = s->table ? (s->table_mask + 1) * 2 : 256;
	uint32_t *t = calloc(size, sizeof(*t));
	if (!t)
		oom();
	for (uint32_t d = 0; d < s->n; d++) {
		uint32_t i = list_hash(s->lists + s->off[d], s->len[d]) & (size - 1);
		while (t[i])
			i = (i + 1) & (size - 1);
		t[i] = d + 1;
	}
	free(s->table);
	s->table = t;
	s->table_mask = size - 1;
}

/* The decision number of list l (n PoP indexes), adding it if new. */
static uint32_t set_intern(struct list_set *s, const uint16_t *l, unsigned n)
{
	if (!s->table || (s->n + 1) * 2 > s->table_mask + 1)
		set_grow_table(s);
	uint32_t i = list_hash(l, n) & s->table_mask;
	for (; s->table[i]; i = (i + 1) & s->table_mask) {
		uint32_t d = s->table[i] - 1;
		if (s->len[d] == n && memcmp(s->lists + s->off[d], l, n * sizeof(*l)) == 0)
			return d;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->off = xrealloc(s->off, s->cap * sizeof(*s->off));
		s->len = xrealloc(s->len, s->cap * sizeof(*s->len));
	}
	if (s->lists_len + n > s->lists_cap) {
		s->lists_cap = (s->lists_cap + n) * 2;
		s->lists = xrealloc(s->lists, s->lists_cap * sizeof(*s->lists));
	}
	memcpy(s->lists + s->lists_len, l, n * sizeof(*l));
	s->off[s->n] = (uint32_t)s->lists_len;
	s->len[s->n] = (uint16_t)n;
	s->lists_len += n;
	s->table[i] = s->n + 1;
	return s->n++;
}

/* Does rule r (an element of rules[]) match this client location? */
static bool rule_matches(const struct geo_rule *rules, const struct geo_rule *r,
                         const struct geo_location *loc)
{
	char sub[16];
	for (size_t i = 0; i < r->n_values; i++) {
		switch (r->kind) {
		case GM_CONTINENT:
			if (loc->continent[0] && strcmp(r->codes[i], loc->continent) == 0)
				return true;
			break;
		case GM_COUNTRY:
			if (loc->country[0] && strcmp(r->codes[i], loc->country) == 0)
				return true;
			break;
		case GM_SUBDIVISION:
			if (!loc->country[0] || !loc->subdivision[0])
				break;
			snprintf(sub, sizeof(sub), "%s-%s", loc->country, loc->subdivision);
			if (strcmp(r->codes[i], sub) == 0)
				return true;
			break;
		case GM_ASN:
			if (loc->asn && r->asns[i] == loc->asn)
				return true;
			break;
		case GM_CIDR:
			/* The overlay tree gives each address the first CIDR rule
			 * (1-based) covering it; a later CIDR rule that also covers
			 * it could never be reached before this one anyway. */
			return loc->cidr_rule == (uint32_t)(r - rules) + 1;
		}
	}
	return false;
}

/* Scratch space for ranking, allocated once per compile. */
struct rank_buf {
	struct geo_point *pts;   /* PoP coordinates */
	size_t *order;
	double *dist;
	uint16_t *list;
};

/* Every PoP ordered by distance from (lat, lon) into rb->list. */
static unsigned rank_all(size_t n_pops, struct rank_buf *rb, double lat, double lon)
{
	geo_rank(lat, lon, rb->pts, n_pops, rb->order, rb->dist);
	for (size_t i = 0; i < n_pops; i++)
		rb->list[i] = (uint16_t)rb->order[i];
	return (unsigned)n_pops;
}

/* Replace *tree by its product with t (t is consumed); -1 on error. */
static int product_into(struct geotree **tree, struct geotree *t, char *err, size_t errlen)
{
	struct geotree *p = geotree_product(*tree, t, err, errlen);
	geotree_free(t);
	if (!p)
		return -1;
	geotree_free(*tree);
	*tree = p;
	return 0;
}

/* With an ASN database, every location also carries the client's ASN. */
static int overlay_asn(const struct geo_config *conf, struct geotree **tree, char *err,
                       size_t errlen)
{
	if (!conf->asn_database)
		return 0;
	struct geodb *db = geodb_open(conf->asn_database, &geodb_preset_asn, err, errlen);
	if (!db)
		return -1;
	struct geotree *t = geotree_build(&db, 1, err, errlen);
	geodb_close(db);
	if (!t)
		return -1;
	return product_into(tree, t, err, errlen);
}

/* With cidr rules, every location also carries the first such rule
 * covering the client's address. */
static int overlay_cidrs(const struct geo_config *conf, struct geotree **tree, char *err,
                         size_t errlen)
{
	size_t n = 0;
	for (size_t r = 0; r < conf->n_rules; r++)
		if (conf->rules[r].kind == GM_CIDR)
			n += conf->rules[r].n_values;
	if (n == 0)
		return 0;
	uint8_t (*addr)[16] = calloc(n, sizeof(*addr));
	uint8_t *len = calloc(n, 1);
	uint32_t *rule = calloc(n, sizeof(*rule));
	int rc = -1;
	if (!addr || !len || !rule) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	size_t k = 0;
	for (size_t r = 0; r < conf->n_rules; r++) {
		if (conf->rules[r].kind != GM_CIDR)
			continue;
		for (size_t i = 0; i < conf->rules[r].n_values; i++, k++) {
			memcpy(addr[k], conf->rules[r].cidrs[i].addr, 16);
			len[k] = conf->rules[r].cidrs[i].len;
			rule[k] = (uint32_t)r + 1;
		}
	}
	struct geotree *t = geotree_from_prefixes((const uint8_t (*)[16])addr, len, rule, n, err, errlen);
	if (t)
		rc = product_into(tree, t, err, errlen);
out:
	free(addr);
	free(len);
	free(rule);
	return rc;
}

/* Hand the freed intermediates (memo tables, hash sets: tens to hundreds
 * of MB for a City DB) back to the system. glibc serves them from the heap
 * rather than from their own mappings once a large block has been freed
 * (its mmap threshold grows), and keeps freed heap memory: without this a
 * compile leaves its peak minus the result resident (GeoLite2: 59 MiB
 * after start instead of ~46). */
static void trim_heap(void)
{
	malloc_trim(0);
}

static void rank_buf_free(struct rank_buf *rb)
{
	free(rb->pts);
	free(rb->order);
	free(rb->dist);
	free(rb->list);
}

/* Compile conf's DBs with its policy into a new core (refs 0, no key). */
static struct geo_core *compile_core(const struct geo_config *conf, char *err, size_t errlen)
{
	struct geodb **dbs = calloc(conf->n_databases, sizeof(*dbs));
	if (!dbs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct geo_core *gc = NULL;
	struct geotree *tree = NULL;
	uint32_t *decision = NULL;
	struct rank_buf rb;
	memset(&rb, 0, sizeof(rb));
	struct list_set set;
	memset(&set, 0, sizeof(set));

	for (size_t i = 0; i < conf->n_databases; i++) {
		dbs[i] = geodb_open(conf->databases[i], &conf->schema, err, errlen);
		if (!dbs[i])
			goto fail;
	}
	tree = geotree_build(dbs, conf->n_databases, err, errlen);
	/* The tree copies what it needs: unmap the DBs now rather than at the
	 * end, so their file pages (the size of the files) are not resident
	 * alongside the decision tree being built (on a reload, alongside the
	 * running config too). */
	for (size_t i = 0; i < conf->n_databases; i++) {
		geodb_close(dbs[i]);
		dbs[i] = NULL;
	}
	if (!tree || overlay_asn(conf, &tree, err, errlen) < 0 ||
	    overlay_cidrs(conf, &tree, err, errlen) < 0)
		goto fail;

	gc = calloc(1, sizeof(*gc));
	rb.pts = calloc(conf->n_pops, sizeof(*rb.pts));
	rb.order = calloc(conf->n_pops, sizeof(*rb.order));
	rb.dist = calloc(conf->n_pops, sizeof(*rb.dist));
	rb.list = calloc(conf->n_pops, sizeof(*rb.list));
	if (!gc || !rb.pts || !rb.order || !rb.dist || !rb.list) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	gc->n_pops = (uint32_t)conf->n_pops;
	gc->n_rules = (uint32_t)conf->n_rules;
	for (size_t p = 0; p < conf->n_pops; p++) {
		rb.pts[p].lat = conf->pops[p].lat;
		rb.pts[p].lon = conf->pops[p].lon;
	}

	/* The fallback list: configured, else every PoP in config order. */
	unsigned nfb = 0;
	if (conf->n_fallback) {
		for (size_t i = 0; i < conf->n_fallback; i++)
			rb.list[nfb++] = (uint16_t)conf->fallback[i];
	} else {
		for (size_t i = 0; i < conf->n_pops; i++)
			rb.list[nfb++] = (uint16_t)i;
	}
	gc->fallback_list = set_intern(&set, rb.list, nfb);

	gc->n_locs = geotree_nlocations(tree);
	decision = calloc(gc->n_locs, sizeof(*decision));
	gc->loc_rule = calloc(gc->n_locs, sizeof(*gc->loc_rule));
	gc->loc_nearest = malloc(gc->n_locs * sizeof(*gc->loc_nearest));
	gc->loc_nearest_km = calloc(gc->n_locs, sizeof(*gc->loc_nearest_km));
	if (!decision || !gc->loc_rule || !gc->loc_nearest || !gc->loc_nearest_km) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (uint32_t id = 0; id < gc->n_locs; id++) {
		const struct geo_location *loc = geotree_location(tree, id);
		decision[id] = gc->fallback_list;
		gc->loc_nearest[id] = GEO_NEAREST_NONE;
		if (id == GEO_LOC_UNKNOWN || geo_location_empty(loc))
			continue;
		size_t r;
		for (r = 0; r < conf->n_rules; r++)
			if (rule_matches(conf->rules, &conf->rules[r], loc))
				break;
		bool have_dist = false;
		if (r < conf->n_rules) {
			const struct geo_rule *rule = &conf->rules[r];
			for (size_t i = 0; i < rule->n_pops; i++)
				rb.list[i] = (uint16_t)rule->pops[i];
			decision[id] = set_intern(&set, rb.list, (unsigned)rule->n_pops);
			gc->loc_rule[id] = (uint32_t)r + 1;
		} else if (loc->coords != GEO_COORD_NONE) {
			unsigned n = rank_all(conf->n_pops, &rb, loc->lat, loc->lon);
			decision[id] = set_intern(&set, rb.list, n);
			have_dist = true;   /* rb.dist: ranking's distances */
		}
		/* The nearest PoP for the decision log, by distance alone. */
		if (loc->coords != GEO_COORD_NONE) {
			if (!have_dist)
				geo_distances(loc->lat, loc->lon, rb.pts, conf->n_pops, rb.dist);
			size_t p = geo_nearest(rb.dist, conf->n_pops);
			gc->loc_nearest[id] = (uint16_t)p;
			gc->loc_nearest_km[id] = rb.dist[p];
		}
	}

	gc->tree = dtree_build(tree, decision, gc->n_locs, err, errlen);
	if (!gc->tree)
		goto fail;
	gc->loc_tree = tree;
	tree = NULL;

	gc->lists = set.lists;
	gc->list_off = set.off;
	gc->list_len = set.len;
	gc->n_lists = set.n;
	free(set.table);
	memset(&set, 0, sizeof(set));

	free(dbs);
	free(decision);
	rank_buf_free(&rb);
	trim_heap();
	return gc;

fail:
	for (size_t i = 0; i < conf->n_databases; i++)
		geodb_close(dbs[i]);
	free(dbs);
	geotree_free(tree);
	free(decision);
	rank_buf_free(&rb);
	free(set.lists);
	free(set.off);
	free(set.len);
	free(set.table);
	geo_core_destroy(gc);
	trim_heap();
	return NULL;
}

/* --- sharing cores between config generations --- */

/* Cores are shared by the configs that use them; all on the control
 * thread (load, and the reclaimer that frees old configs), the count is
 * atomic anyway. */
static struct geo_core *core_ref(struct geo_core *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

static void core_unref(struct geo_core *c)
{
	if (c && atomic_fetch_sub(&c->refs, 1) == 1) {
		geo_core_destroy(c);
		trim_heap();
	}
}

static double since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* "cache ... not used": quiet for the normal cases (no file yet, inputs
 * changed since it was written), logged otherwise (a damaged file). */
static void log_unused(const char *path, const char *why)
{
	if (strcmp(why, "No such file or directory") == 0 || strncmp(why, "stale", 5) == 0)
		log_debug("geoip", "cache %s not used: %s", path, why);
	else
		log_info("geoip", "cache %s not used: %s", path, why);
}

/* The trees for conf: prev's if its inputs are conf's, else the cache
 * file's, else compiled (and the cache file written). *origin says which. */
static struct geo_core *get_core(const struct geo_config *conf, const struct geo_core *prev,
                                 enum geo_origin *origin, char *err, size_t errlen)
{
	uint64_t cfg_hash = geo_cache_cfg_hash(conf);
	size_t n_ids;
	struct geo_db_id *ids = geo_db_ids(conf, &n_ids);
	*origin = GEO_REUSED;
	/* Same files (by identity) and same config: nothing to read. */
	if (prev && ids && prev->cfg_hash == cfg_hash &&
	    geo_db_ids_equal(prev->ids, prev->n_ids, ids, n_ids))
		goto reuse;

	char *path = ids ? geo_cache_path(conf) : NULL;
	char why[256];
	struct geo_cache_img img = { 0 };
	if (path && geo_cache_open(path, &img, why, sizeof(why)) < 0)
		log_unused(path, why);
	/* The key; files whose identity prev or the cache file recorded are
	 * not read again. A DB that cannot be read: the compile says why. */
	uint64_t key = 0;
	bool keyed = ids && geo_cache_key(conf, cfg_hash, ids, n_ids, prev ? prev->ids : NULL,
	                                  prev ? prev->n_ids : 0, img.ids, img.n_ids, &key, err,
	                                  errlen) == 0;
	/* Files touched or copied over, same bytes. */
	if (keyed && prev && prev->key == key) {
		geo_cache_img_free(&img);
		free(path);
		goto reuse;
	}
	struct geo_core *c = NULL;
	if (keyed && img.buf) {
		c = geo_cache_take(&img, key, (uint32_t)conf->n_pops, (uint32_t)conf->n_rules, why,
		                   sizeof(why));
		if (c)
			*origin = GEO_CACHED;
		else
			log_unused(path, why);
	}
	geo_cache_img_free(&img);
	if (!c) {
		*origin = GEO_COMPILED;
		c = compile_core(conf, err, errlen);
	}
	if (!c) {
		free(ids);
		free(path);
		return NULL;
	}
	c->cfg_hash = cfg_hash;
	c->key = keyed ? key : 0;
	/* A DB replaced while it was hashed or compiled: the trees may not be
	 * of the bytes hashed. Keep them (they are of a valid DB) but neither
	 * cache them nor recognise them later; the file watch reloads. */
	size_t n_after;
	struct geo_db_id *after = geo_db_ids(conf, &n_after);
	bool stable = keyed && geo_db_ids_equal(ids, n_ids, after, n_after);
	free(after);
	if (stable) {
		c->ids = ids;
		c->n_ids = n_ids;
	} else {
		free(ids);
		c->key = 0;
	}
	if (path && stable && *origin == GEO_COMPILED) {
		if (geo_cache_write(path, c, why, sizeof(why)) < 0)
			log_info("geoip", "cache not written: %s", why);
		trim_heap(); /* the file's image: as large as the trees */
	}
	free(path);
	return c;

reuse:
	free(ids);
	return (struct geo_core *)prev;
}

struct geo_compiled *geo_compile_prev(const struct geo_config *conf,
                                      const struct geo_compiled *prev, char *err, size_t errlen)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (conf->n_pops == 0 || conf->n_pops > UINT16_MAX) {
		snprintf(err, errlen, "geoip: need between 1 and %u PoPs", UINT16_MAX);
		return NULL;
	}
	struct geo_compiled *gc = calloc(1, sizeof(*gc));
	if (!gc) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	gc->pop_state = calloc(conf->n_pops, sizeof(*gc->pop_state));
	if (!gc->pop_state) {
		free(gc);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct geo_core *c = get_core(conf, prev ? prev->core : NULL, &gc->origin, err, errlen);
	if (!c) {
		free(gc->pop_state);
		free(gc);
		return NULL;
	}
	gc->core = core_ref(c);
	gc->conf = conf;
	gc->tree = c->tree;
	gc->loc_tree = c->loc_tree;
	gc->lists = c->lists;
	gc->list_off = c->list_off;
	gc->list_len = c->list_len;
	gc->n_lists = c->n_lists;
	gc->fallback_list = c->fallback_list;
	gc->loc_rule = c->loc_rule;
	gc->loc_nearest = c->loc_nearest;
	gc->loc_nearest_km = c->loc_nearest_km;
	gc->n_locs = c->n_locs;
	/* Health is runtime state, bound per config by PoP name. */
	for (size_t p = 0; p < conf->n_pops; p++)
		gc->pop_state[p] = health_slot(conf->pops[p].name);

	struct geotree_stats st;
	geotree_get_stats(gc->loc_tree, &st);
	gc->stats.locations = st.locations;
	gc->stats.tree_nodes = st.nodes;
	gc->stats.decision_nodes = dtree_nodes(gc->tree);
	gc->stats.seconds = since(&t0);
	static const char *const how[] = { [GEO_COMPILED] = "compiled", [GEO_REUSED] = "reused",
		                           [GEO_CACHED] = "read from cache" };
	log_debug("geoip", "trees %s in %.3f s (%u locations, %u decision nodes)", how[gc->origin],
	         gc->stats.seconds, gc->stats.locations, gc->stats.decision_nodes);
	return gc;
}

struct geo_compiled *geo_compile(const struct geo_config *conf, char *err, size_t errlen)
{
	return geo_compile_prev(conf, NULL, err, errlen);
}

void geo_compiled_free(struct geo_compiled *gc)
{
	if (!gc)
		return;
	core_unref(gc->core);
	free(gc->pop_state);
	free(gc);
}
