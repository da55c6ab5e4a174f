/*
 * cmp_ctx.c: the comparison context: PoP lookups by name, identity and
 * address, join keys, locating addresses in the config's GeoIP tree, and
 * the growing arrays of observations and RTT rows.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_ctx.h"
#include "geodns/geo_config.h"
#include "geodns/geotree.h"

const char *const cmp_group_name[CG_N] = {
	[CG_GEODNS_ECS] = "geodns-ecs",
	[CG_GEODNS_RESOLVER] = "geodns-resolver",
	[CG_ANYCAST] = "anycast",
	[CG_AB_GEODNS] = "ab:geodns",
	[CG_AB_ANYCAST] = "ab:anycast",
};

struct cmp_ctx *cmp_ctx_new(const struct geo_config *geo, const struct geotree *loc, FILE *errf)
{
	struct cmp_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->geo = geo;
	c->loc = loc;
	c->n_pops = geo ? geo->n_pops : 0;
	c->errf = errf;
	c->max_msgs = 50;
	c->gap_ms = CMP_FAILOVER_GAP_MS;
	return c;
}

void cmp_ctx_free(struct cmp_ctx *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_obs; i++)
		free(c->obs[i].rtt);
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i].path);
	free(c->obs);
	free(c->obs_index);
	for (size_t i = 0; i < c->n_labels; i++)
		free(c->labels[i]);
	free(c->labels);
	free(c->resolvers);
	free(c->rindex);
	free(c->tslots);
	free(c->tindex);
	for (size_t i = 0; c->runs && i < CG_N * c->n_pops; i++)
		free(c->runs[i].r);
	free(c->runs);
	for (size_t i = 0; i < c->n_health; i++)
		free(c->health[i].server);
	free(c->health);
	cmp_scratch_free_ptr(c->scratch);
	free(c->rows);
	free(c->files);
	free(c);
}

int cmp_pop_by_name(const struct cmp_ctx *c, const char *name)
{
	for (size_t i = 0; name && i < c->n_pops; i++)
		if (strcmp(c->geo->pops[i].name, name) == 0)
			return (int)i;
	return -1;
}

int cmp_pop_by_identity(const struct cmp_ctx *c, const char *id, size_t len)
{
	for (size_t i = 0; i < c->n_pops; i++) {
		const char *pid = c->geo->pops[i].identity ? c->geo->pops[i].identity
		                                           : c->geo->pops[i].name;
		if (strlen(pid) == len && memcmp(pid, id, len) == 0)
			return (int)i;
	}
	return -1;
}

int cmp_pop_by_addr(const struct cmp_ctx *c, const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!addr)
		return -1;
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		for (size_t i = 0; i < c->n_pops; i++)
			for (size_t j = 0; j < c->geo->pops[i].n_v4; j++)
				if (c->geo->pops[i].v4[j].s_addr == a4.s_addr)
					return (int)i;
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		for (size_t i = 0; i < c->n_pops; i++)
			for (size_t j = 0; j < c->geo->pops[i].n_v6; j++)
				if (memcmp(&c->geo->pops[i].v6[j], &a6, 16) == 0)
					return (int)i;
	}
	return -1;
}

/* addr text (a "/len" suffix ignored) to 16 bytes, IPv4 as ::ffff:a.b.c.d.
 * Returns 4 or 6 (the family), or 0 for no address. */
static int parse_addr16(const char *text, uint8_t out[16])
{
	char buf[64];
	size_t n = strcspn(text, "/");
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, text, n);
	buf[n] = 0;
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out + 12) == 1) {
		out[10] = out[11] = 0xff;
		return 4;
	}
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 6;
	return 0;
}

int cmp_prefix_parse(const char *text, uint8_t a[16], unsigned *len)
{
	int af = parse_addr16(text, a);
	if (!af)
		return -1;
	unsigned max = af == 4 ? 32 : 128;
	const char *slash = strchr(text, '/');
	unsigned l = max;
	if (slash) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || v > max)
			return -1;
		l = (unsigned)v;
	}
	*len = (af == 4 ? 96 : 0) + l;
	/* Bits past the length do not matter. */
	for (unsigned bit = *len; bit < 128; bit++)
		a[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	return 0;
}

int cmp_subnet_key(const char *text, struct cmp_key *k)
{
	uint8_t a[16];
	int af = text ? parse_addr16(text, a) : 0;
	if (!af)
		return -1;
	memset(k, 0, sizeof(*k));
	k->b[0] = 1;
	/* The A/B split hashes the client /24 or /56 (issue 5), so RTT
	 * samples join their arm at the same granularity. */
	if (af == 4) {
		memcpy(k->b + 1, a, 15);
		k->b[16] = 0;
	} else {
		memcpy(k->b + 1, a, 7);
	}
	return 0;
}

void cmp_probe_key(uint32_t prb_id, struct cmp_key *k)
{
	memset(k, 0, sizeof(*k));
	k->b[0] = 2;
	k->b[13] = (uint8_t)(prb_id >> 24);
	k->b[14] = (uint8_t)(prb_id >> 16);
	k->b[15] = (uint8_t)(prb_id >> 8);
	k->b[16] = (uint8_t)prb_id;
}

void cmp_locate(const struct cmp_ctx *c, const char *addr, struct cmp_obs *o)
{
	uint8_t a[16];
	if (!c->loc || !addr || !parse_addr16(addr, a))
		return;
	uint32_t id = geotree_lookup(c->loc, a, NULL);
	if (id == GEO_LOC_UNKNOWN)
		return;
	const struct geo_location *l = geotree_location(c->loc, id);
	if (!o->has_coords && l->coords != GEO_COORD_NONE) {
		o->has_coords = true;
		o->lat = l->lat;
		o->lon = l->lon;
	}
	if (!o->country[0] && l->country[0])
		memcpy(o->country, l->country, 3);
	if (!o->continent[0] && l->continent[0])
		memcpy(o->continent, l->continent, 3);
}

void cmp_obs_init(struct cmp_obs *o, enum cmp_group g, int chosen)
{
	memset(o, 0, sizeof(*o));
	o->group = (uint8_t)g;
	o->join = CJ_OWN;
	o->chosen = chosen;
	o->experienced = NAN;
}

uint32_t cmp_label(struct cmp_ctx *c, const char *name)
{
	/* Linear: probe and Atlas inputs have hundreds of clients, and the
	 * last one added is the likeliest. */
	for (size_t i = c->n_labels; i-- > 0;)
		if (!strcmp(c->labels[i], name))
			return (uint32_t)i + 1;
	char *dup = strdup(name);
	if (!dup ||
	    cmp_grow((void **)&c->labels, &c->cap_labels, c->n_labels, sizeof(*c->labels)) < 0) {
		free(dup);
		return 0;
	}
	c->labels[c->n_labels++] = dup;
	return (uint32_t)c->n_labels;
}

int cmp_grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	void *p = realloc(*arr, nc * sz);
	if (!p)
		return -1;
	*arr = p;
	*cap = nc;
	return 0;
}

/* The fields that make two observations the same, packed without padding
 * bytes so that equal observations have equal bytes. */
struct obs_id {
	double experienced, lat, lon;
	int32_t chosen;
	uint32_t client;
	uint8_t key[17];
	uint8_t group, join, has_coords, at_resolver;
	char continent[3], country[3];
	uint8_t zero[5];   /* to 64 bytes: a whole number of 8-byte words */
};

_Static_assert(sizeof(struct obs_id) % 8 == 0, "hash_words reads whole words");

static void obs_id(const struct cmp_obs *o, struct obs_id *id)
{
	memset(id, 0, sizeof(*id));
	id->experienced = o->experienced;
	id->lat = o->has_coords ? o->lat : 0;
	id->lon = o->has_coords ? o->lon : 0;
	id->chosen = o->chosen;
	id->client = o->client;
	memcpy(id->key, o->key.b, sizeof(id->key));
	id->group = o->group;
	id->join = o->join;
	id->has_coords = o->has_coords;
	id->at_resolver = o->at_resolver;
	memcpy(id->continent, o->continent, 3);
	memcpy(id->country, o->country, 3);
}

/* A 64-bit hash of n bytes (n a multiple of 8), 8 at a time: multiply,
 * xor-shift (the finaliser of MurmurHash3, as a mixing step). */
static uint64_t hash_words(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static int index_grow(struct cmp_ctx *c)
{
	size_t nc = c->index_cap ? c->index_cap * 2 : 1024;
	uint32_t *t = calloc(nc, sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < c->n_obs; i++) {
		if (c->obs[i].rtt)
			continue;
		size_t h = c->obs[i].hash & (nc - 1);
		while (t[h])
			h = (h + 1) & (nc - 1);
		t[h] = (uint32_t)i + 1;
	}
	free(c->obs_index);
	c->obs_index = t;
	c->index_cap = nc;
	return 0;
}

int cmp_add_obs(struct cmp_ctx *c, const struct cmp_obs *o)
{
	uint64_t n = o->count ? o->count : 1, hash = 0;
	size_t slot = 0;
	if (!o->rtt) {
		if (c->n_obs + 1 > c->index_cap / 2 && index_grow(c) < 0)
			return -1;
		struct obs_id id, other;
		obs_id(o, &id);
		hash = hash_words(&id, sizeof(id));
		slot = hash & (c->index_cap - 1);
		for (; c->obs_index[slot]; slot = (slot + 1) & (c->index_cap - 1)) {
			struct cmp_obs *e = &c->obs[c->obs_index[slot] - 1];
			if (e->hash != hash)
				continue;
			obs_id(e, &other);
			if (!memcmp(&id, &other, sizeof(id))) {
				e->count += n;
				c->last_obs = (size_t)(e - c->obs);
				return 0;
			}
		}
	}
	if (c->n_obs >= UINT32_MAX - 1 ||
	    cmp_grow((void **)&c->obs, &c->cap_obs, c->n_obs, sizeof(*c->obs)) < 0)
		return -1;
	c->obs[c->n_obs] = *o;
	c->obs[c->n_obs].count = n;
	c->obs[c->n_obs].memo_rows = 0;
	c->last_obs = c->n_obs;
	c->obs[c->n_obs].hash = hash;
	if (!o->rtt)
		c->obs_index[slot] = (uint32_t)c->n_obs + 1;
	c->n_obs++;
	return 0;
}

int cmp_add_rtt(struct cmp_ctx *c, const struct cmp_key *k, int pop, double rtt)
{
	if (cmp_grow((void **)&c->rows, &c->cap_rows, c->n_rows, sizeof(*c->rows)) < 0)
		return -1;
	struct cmp_rtt_row *r = &c->rows[c->n_rows++];
	r->key = *k;
	r->pop = pop;
	r->rtt = rtt;
	return 0;
}
