/*
 * geotree_intern.c: location ids by value. Every distinct location a tree
 * holds gets one id (gt_intern), so equal records from different DB
 * offsets, DBs or product pairs share one leaf value, and sibling leaves
 * with equal locations can merge. Used while building geotrees from DBs
 * (geotree.c) and from other trees (geotree_ops.c).
 */
#include "geodns/geotree.h"
#include "geodns/geotree_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A short code string's bytes up to its NUL (at most n) in one word:
 * equal words exactly when strcmp() says the strings are equal, whatever
 * follows the NUL. */
static inline uint64_t code_word(const char *c, size_t n)
{
	uint64_t w = 0;
	for (size_t i = 0; i < n && c[i]; i++)
		w |= (uint64_t)(uint8_t)c[i] << (8 * i);
	return w;
}

/* A location's value as 5 words: equal words exactly when
 * geo_location_eq() holds (coordinates bit for bit, codes as strings).
 * Hashing and comparing these costs a few word operations instead of a
 * byte-wise hash and five string compares per record. */
struct loc_key {
	uint64_t w[5];
};

static inline void loc_key(const struct geo_location *l, struct loc_key *k)
{
	memcpy(&k->w[0], &l->lat, 8);
	memcpy(&k->w[1], &l->lon, 8);
	k->w[2] = code_word(l->country, sizeof(l->country)) |
	          code_word(l->continent, sizeof(l->continent)) << 24 | (uint64_t)l->coords << 48;
	k->w[3] = code_word(l->subdivision, sizeof(l->subdivision));
	k->w[4] = (uint64_t)l->asn << 32 | l->cidr_rule;
}

static inline uint32_t loc_key_hash(const struct loc_key *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 5; i++) {
		h = (h ^ k->w[i]) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static inline int loc_key_eq(const struct loc_key *a, const struct loc_key *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] &&
	       a->w[3] == b->w[3] && a->w[4] == b->w[4];
}

static uint32_t loc_hash(const struct geo_location *l)
{
	struct loc_key k;
	loc_key(l, &k);
	return loc_key_hash(&k);
}

uint32_t gt_intern(struct geotree *gt, struct locset *s, const struct geo_location *loc)
{
	if ((s->used + 1) * 2 > s->cap) {
		uint32_t ncap = s->cap ? s->cap * 2 : 4096;
		uint32_t *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return REF_ERR;
		for (uint32_t i = 0; i < s->cap; i++) {
			if (!s->slot[i])
				continue;
			uint32_t h = loc_hash(&gt->locs[s->slot[i]]) & (ncap - 1);
			while (ns[h])
				h = (h + 1) & (ncap - 1);
			ns[h] = s->slot[i];
		}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	struct loc_key key;
	loc_key(loc, &key);
	uint32_t h = loc_key_hash(&key) & (s->cap - 1);
	while (s->slot[h]) {
		struct loc_key other;
		loc_key(&gt->locs[s->slot[h]], &other);
		if (loc_key_eq(&other, &key))
			return s->slot[h];
		h = (h + 1) & (s->cap - 1);
	}
	if (gt->nlocs == gt->loccap) {
		uint32_t ncap = gt->loccap * 2;
		if (ncap > GEOTREE_MAX_VALUE)
			return REF_ERR;
		void *p = realloc(gt->locs, (size_t)ncap * sizeof(*gt->locs));
		if (!p)
			return REF_ERR;
		gt->locs = p;
		gt->loccap = ncap;
	}
	memcpy(&gt->locs[gt->nlocs], loc, sizeof(*loc));
	s->slot[h] = gt->nlocs;
	s->used++;
	return gt->nlocs++;
}
