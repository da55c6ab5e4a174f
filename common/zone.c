/* zone.c: building and reading one zone; see zone.h. */
#include "common/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/descriptor.h>

#include "common/dnssec_zone.h"

#define ZONE_INITIAL_TABLE 64

static uint32_t bucket(const struct zone *z, uint32_t hash)
{
	return hash & z->table_mask;
}

const struct znode *zone_find_lc(const struct zone *z, const uint8_t *name, size_t len,
                                 uint32_t hash)
{
	/* Node names are lowercase too, so equal names are equal bytes. */
	for (const struct znode *n = z->table[bucket(z, hash)]; n; n = n->hnext)
		if (n->hash == hash && n->namelen == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

const struct znode *zone_find(const struct zone *z, const uint8_t *name)
{
	uint8_t lc[DNAME_MAXLEN];
	size_t len = dname_len(name);
	dname_copy_lower(lc, name, len);
	return zone_find_lc(z, lc, len, dname_hash(lc));
}

const struct rrset *znode_rrset(const struct znode *n, uint16_t type)
{
	for (const struct rrset *s = n->rrsets; s; s = s->next)
		if (s->type == type)
			return s;
	return NULL;
}

static void grow_table(struct zone *z)
{
	uint32_t size = (z->table_mask + 1) * 2;
	struct znode **t = calloc(size, sizeof(*t));
	if (!t) {
		fprintf(stderr, "steerdns: out of memory\n");
		abort();
	}
	for (uint32_t i = 0; i <= z->table_mask; i++) {
		struct znode *n = z->table[i];
		while (n) {
			struct znode *next = n->hnext;
			n->hnext = t[n->hash & (size - 1)];
			t[n->hash & (size - 1)] = n;
			n = next;
		}
	}
	free(z->table);
	z->table = t;
	z->table_mask = size - 1;
}

/* Find or create the node for a name at or below the origin, creating
 * every missing ancestor too (empty non-terminals). */
static struct znode *node_get(struct zone *z, const uint8_t *name)
{
	struct znode *found = (struct znode *)zone_find(z, name);
	if (found)
		return found;
	struct znode *parent = NULL;
	if (!dname_equal(name, z->origin))
		parent = node_get(z, dname_strip(name, 1));
	if (z->nodes + 1 > (size_t)(z->table_mask + 1) * 2)
		grow_table(z);
	size_t len = dname_len(name);
	struct znode *n = arena_alloc(&z->arena, sizeof(*n));
	uint8_t *copy = arena_memdup(&z->arena, name, len);
	dname_lower(copy);
	n->name = copy;
	n->namelen = (uint8_t)len;
	n->hash = dname_hash(copy);
	n->parent = parent;
	uint32_t b = bucket(z, n->hash);
	n->hnext = z->table[b];
	z->table[b] = n;
	z->nodes++;
	if (copy[0] == 1 && copy[1] == '*')
		n->flags |= ZN_WILDCARD;
	return n;
}

struct zone *zone_new(const uint8_t *origin, const char *file)
{
	struct zone *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->table = calloc(ZONE_INITIAL_TABLE, sizeof(*z->table));
	if (!z->table) {
		free(z);
		return NULL;
	}
	z->table_mask = ZONE_INITIAL_TABLE - 1;
	uint8_t *o = arena_memdup(&z->arena, origin, dname_len(origin));
	dname_lower(o);
	z->origin = o;
	z->origin_len = (uint8_t)dname_len(o);
	z->origin_labels = (uint8_t)dname_labels(o);
	z->file = arena_strdup(&z->arena, file ? file : "");
	z->apex = node_get(z, z->origin);
	z->apex->flags |= ZN_APEX;
	return z;
}

/* A type's mnemonic for messages (knot's table, "TYPEnnn" without one). */
static const char *type_name(uint16_t type, char buf[16])
{
	if (knot_rrtype_to_string(type, buf, 16) < 0)
		snprintf(buf, 16, "TYPE%u", type);
	return buf;
}

int zone_add_rr(struct zone *z, const uint8_t *owner, uint16_t type, uint32_t ttl,
                const uint8_t *rdata, uint16_t rdlen, char *err, size_t errlen)
{
	if (!dname_is_sub(owner, z->origin)) {
		snprintf(err, errlen, "owner name is outside the zone");
		return -1;
	}
	if (type == RRT_SOA && !dname_equal(owner, z->origin)) {
		snprintf(err, errlen, "SOA is only allowed at the zone apex");
		return -1;
	}
	char tn[16];
	struct znode *n = node_get(z, owner);
	/* RFC 1034 3.6.2 / RFC 2181 10.1: a CNAME owner has no other data. */
	for (struct rrset *s = n->rrsets; s; s = s->next) {
		if ((type == RRT_CNAME) != (s->type == RRT_CNAME)) {
			snprintf(err, errlen, "CNAME and other data at the same name");
			return -1;
		}
	}
	/* Steered names answer A/AAAA themselves. */
	if (n->steer && (type == RRT_A || type == RRT_AAAA || type == RRT_CNAME)) {
		snprintf(err, errlen, "%s at a steered name", type_name(type, tn));
		return -1;
	}
	struct rrset *set = (struct rrset *)znode_rrset(n, type);
	if (set) {
		if ((type == RRT_SOA || type == RRT_CNAME) && set->count) {
			snprintf(err, errlen, "only one %s record is allowed at a name", type_name(type, tn));
			return -1;
		}
		if (set->ttl != ttl) {
			snprintf(err, errlen, "TTL %u differs from the TTL %u of the other %s records at this name",
			         ttl, set->ttl, type_name(type, tn));
			return -1;
		}
		for (unsigned i = 0; i < set->count; i++)
			if (set->rr[i].len == rdlen && memcmp(set->rr[i].data, rdata, rdlen) == 0)
				return 0;   /* RFC 2181 5: an RRset has no duplicates */
		if (set->count == UINT16_MAX) {
			snprintf(err, errlen, "too many %s records at this name", type_name(type, tn));
			return -1;
		}
		/* Arrays are regrown in the arena; the old copy is left behind,
		 * which costs little for zones built once per load. */
		struct rdata *rr = arena_alloc(&z->arena, sizeof(*rr) * ((size_t)set->count + 1));
		memcpy(rr, set->rr, sizeof(*rr) * set->count);
		set->rr = rr;
	} else {
		set = arena_alloc(&z->arena, sizeof(*set));
		set->type = type;
		set->ttl = ttl;
		set->rr = arena_alloc(&z->arena, sizeof(*set->rr));
		/* keep insertion order: append */
		struct rrset **tail = &n->rrsets;
		while (*tail)
			tail = &(*tail)->next;
		*tail = set;
	}
	set->rr[set->count].len = rdlen;
	set->rr[set->count].data = arena_memdup(&z->arena, rdata, rdlen);
	set->count++;
	return 0;
}

int zone_set_steer(struct zone *z, const uint8_t *owner, void *steer, char *err, size_t errlen)
{
	if (!dname_is_sub(owner, z->origin)) {
		snprintf(err, errlen, "owner name is outside the zone");
		return -1;
	}
	struct znode *n = node_get(z, owner);
	if (znode_rrset(n, RRT_A) || znode_rrset(n, RRT_AAAA) || znode_rrset(n, RRT_CNAME)) {
		snprintf(err, errlen, "a steered name cannot also have A, AAAA or CNAME records");
		return -1;
	}
	n->steer = steer;
	return 0;
}

int zone_finish(struct zone *z, char *err, size_t errlen)
{
	const struct rrset *soa = znode_rrset(z->apex, RRT_SOA);
	if (!soa) {
		snprintf(err, errlen, "zone has no SOA record");
		return -1;
	}
	if (!znode_rrset(z->apex, RRT_NS)) {
		snprintf(err, errlen, "zone has no NS records at the apex");
		return -1;
	}
	z->soa = soa;
	/* RFC 2308 5: negative answers are cached for min(SOA TTL, MINIMUM). */
	const struct rdata *r = &soa->rr[0];
	uint32_t minimum = 0;
	if (r->len >= 4) {
		const uint8_t *m = r->data + r->len - 4;
		minimum = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	}
	z->neg_ttl = soa->ttl < minimum ? soa->ttl : minimum;

	for (uint32_t i = 0; i <= z->table_mask; i++) {
		for (struct znode *n = z->table[i]; n; n = n->hnext) {
			if (n != z->apex && znode_rrset(n, RRT_NS))
				n->flags |= ZN_DELEG;
			if ((n->flags & ZN_WILDCARD) && n->parent)
				n->parent->flags |= ZN_HAS_WILDCARD;
		}
	}
	return 0;
}

void zone_free(struct zone *z)
{
	if (!z)
		return;
	free(z->table);
	dnssec_zone_free(z->dnssec);
	arena_free(&z->arena);
	free(z);
}

const struct zone *zoneset_find(const struct zoneset *zs, const uint8_t *name)
{
	struct dname_labels l;
	dname_label_offsets(name, &l);
	return zoneset_find_labels(zs, name, &l);
}

const struct zone *zoneset_find_labels(const struct zoneset *zs, const uint8_t *name,
                                       const struct dname_labels *l)
{
	const struct zone *best = NULL;
	int best_labels = -1;
	for (size_t i = 0; i < zs->count; i++) {
		const struct zone *z = zs->zones[i];
		int zl = z->origin_labels;
		if (zl > l->n || zl <= best_labels)
			continue;
		size_t sl;
		const uint8_t *suffix = dname_suffix(name, l, (unsigned)zl, &sl);
		if (sl == z->origin_len && memcmp(suffix, z->origin, sl) == 0) {
			best = z;
			best_labels = zl;
		}
	}
	return best;
}

void zoneset_free(struct zoneset *zs)
{
	for (size_t i = 0; i < zs->count; i++)
		zone_free(zs->zones[i]);
	free(zs->zones);
	zs->zones = NULL;
	zs->count = 0;
}
