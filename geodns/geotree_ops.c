/*
 * geotree_ops.c: trees made from other trees or from prefix lists rather
 * than from a DB: the pointwise product of two location trees (location
 * tree x ASN tree, then x CIDR overlay), and the CIDR overlay itself.
 *
 * Both build bottom-up through gt_node(), which merges equal sibling
 * leaves, so every leaf of the result is as short as is true: the prefix
 * over which the combined location is constant (what ECS scope needs).
 */
#include "common/errmsg.h"
#include "geodns/geotree.h"
#include "geodns/geotree_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- product ---- */

/* Open-addressing map from a pair of refs (a << 32 | b) to the result
 * ref. No valid pair is all ones (REF_ERR is never a child), so that
 * marks an empty slot. */
#define PAIR_EMPTY UINT64_MAX

struct pairmap {
	uint64_t *key;
	uint32_t *val;
	size_t cap, used;
};

static inline size_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (size_t)x;
}

static int pm_grow(struct pairmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 1u << 16;
	uint64_t *nk = malloc(ncap * sizeof(*nk));
	uint32_t *nv = malloc(ncap * sizeof(*nv));
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	memset(nk, 0xff, ncap * sizeof(*nk));
	for (size_t i = 0; i < m->cap; i++) {
		if (m->key[i] == PAIR_EMPTY)
			continue;
		size_t h = hash64(m->key[i]) & (ncap - 1);
		while (nk[h] != PAIR_EMPTY)
			h = (h + 1) & (ncap - 1);
		nk[h] = m->key[i];
		nv[h] = m->val[i];
	}
	free(m->key);
	free(m->val);
	m->key = nk;
	m->val = nv;
	m->cap = ncap;
	return 0;
}

/* 1 with the value in *val if key is present, else 0. */
static int pm_get(const struct pairmap *m, uint64_t key, uint32_t *val)
{
	size_t h = hash64(key) & (m->cap - 1);
	for (; m->key[h] != PAIR_EMPTY; h = (h + 1) & (m->cap - 1)) {
		if (m->key[h] == key) {
			*val = m->val[h];
			return 1;
		}
	}
	return 0;
}

/* Insert a key known to be absent. -1 on out of memory. */
static int pm_put(struct pairmap *m, uint64_t key, uint32_t val)
{
	if ((m->used + 1) * 2 > m->cap && pm_grow(m) < 0)
		return -1;
	size_t h = hash64(key) & (m->cap - 1);
	while (m->key[h] != PAIR_EMPTY)
		h = (h + 1) & (m->cap - 1);
	m->key[h] = key;
	m->val[h] = val;
	m->used++;
	return 0;
}

struct prod {
	const struct geotree *a, *b;
	struct geotree *out;
	struct locset locs;
	struct pairmap memo;
	int too_deep;
};

/* The combined leaf for a's location id la and b's lb. */
static uint32_t prod_leaf(struct prod *p, uint32_t la, uint32_t lb)
{
	struct geo_location loc = *geotree_location(p->a, la);
	const struct geo_location *bl = geotree_location(p->b, lb);
	if (bl->asn)
		loc.asn = bl->asn;
	if (bl->cidr_rule)
		loc.cidr_rule = bl->cidr_rule;
	if (geo_location_empty(&loc))
		return LEAF(GEO_LOC_UNKNOWN);
	uint32_t id = gt_intern(p->out, &p->locs, &loc);
	return id == REF_ERR ? REF_ERR : LEAF(id);
}

/* Product of subtree ra of a and rb of b, both found at `depth`. The
 * result of a pair does not depend on where it is met, so it is memoized
 * per pair: a subtree shared in both inputs (IPv4 under its aliases) is
 * combined once and shared in the output. A leaf facing a node stands for
 * itself on both sides. Recursion depth is bounded by 128: builders never
 * make a longer path, and a deeper input is refused. */
static uint32_t prod(struct prod *p, uint32_t ra, uint32_t rb, unsigned depth)
{
	uint64_t key = (uint64_t)ra << 32 | rb;
	uint32_t out;
	if (pm_get(&p->memo, key, &out))
		return out;
	if (IS_LEAF(ra) && IS_LEAF(rb)) {
		out = prod_leaf(p, LEAF_VAL(ra), LEAF_VAL(rb));
	} else {
		if (depth >= 128) {
			p->too_deep = 1;
			return REF_ERR;
		}
		uint32_t al = ra, ar = ra, bl = rb, br = rb;
		if (!IS_LEAF(ra)) {
			al = p->a->t.n[ra][0];
			ar = p->a->t.n[ra][1];
		}
		if (!IS_LEAF(rb)) {
			bl = p->b->t.n[rb][0];
			br = p->b->t.n[rb][1];
		}
		uint32_t l = prod(p, al, bl, depth + 1);
		if (l == REF_ERR)
			return REF_ERR;
		uint32_t r = prod(p, ar, br, depth + 1);
		if (r == REF_ERR)
			return REF_ERR;
		out = gt_node(&p->out->t, l, r);
	}
	if (out == REF_ERR || pm_put(&p->memo, key, out) < 0)
		return REF_ERR;
	return out;
}

struct geotree *geotree_product(const struct geotree *a, const struct geotree *b, char *err,
                                size_t errlen)
{
	struct prod p = { .a = a, .b = b };
	p.out = gt_alloc();
	if (!p.out || pm_grow(&p.memo) < 0)
		goto oom;
	uint32_t root = prod(&p, a->root, b->root, 0);
	if (root == REF_ERR) {
		if (p.too_deep) {
			errmsg_set(err, errlen, "GeoIP tree product: input tree deeper than 128 bits");
			goto fail;
		}
		goto oom;
	}
	gt_seal(p.out, root);
	p.out->db_records = a->db_records + b->db_records;
	p.out->db_nodes = a->db_nodes + b->db_nodes;
	free(p.memo.key);
	free(p.memo.val);
	free(p.locs.slot);
	return p.out;
oom:
	errmsg_set(err, errlen, "out of memory combining GeoIP trees");
fail:
	free(p.memo.key);
	free(p.memo.val);
	free(p.locs.slot);
	geotree_free(p.out);
	return NULL;
}

/* ---- CIDR overlay ---- */

struct pfx {
	uint8_t addr[16]; /* bits past len zeroed */
	uint8_t len;
	uint32_t rule;
};

/* Address order, and for equal (masked) addresses the shorter prefix
 * first: then inside any region the prefixes of exactly the region come
 * before the longer ones, and those split by the next bit into two
 * contiguous runs. */
static int pfx_cmp(const void *x, const void *y)
{
	const struct pfx *p = x, *q = y;
	int c = memcmp(p->addr, q->addr, 16);
	if (c)
		return c;
	return (int)p->len - (int)q->len;
}

static inline unsigned bit_at(const uint8_t *a, unsigned d)
{
	return (a[d >> 3] >> (7 - (d & 7))) & 1u;
}

struct fbuild {
	struct geotree *gt;
	struct locset locs;
	const struct pfx *p;
};

/* Tree for the region at `depth` holding prefixes p[lo..hi) (all inside
 * it, none shorter than depth), where rule v (0: none) already covers the
 * whole region from shorter prefixes. Depth <= 128: at 128 every prefix
 * left has length 128 and is consumed. */
static uint32_t fb_region(struct fbuild *fb, size_t lo, size_t hi, unsigned depth, uint32_t v)
{
	while (lo < hi && fb->p[lo].len == depth) {
		if (v == 0 || fb->p[lo].rule < v)
			v = fb->p[lo].rule;
		lo++;
	}
	if (lo == hi) {
		if (v == 0)
			return LEAF(GEO_LOC_UNKNOWN);
		struct geo_location loc;
		memset(&loc, 0, sizeof(loc));
		loc.cidr_rule = v;
		uint32_t id = gt_intern(fb->gt, &fb->locs, &loc);
		return id == REF_ERR ? REF_ERR : LEAF(id);
	}
	/* First prefix with bit `depth` set: the runs are sorted 0s, 1s. */
	size_t a = lo, b = hi;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (bit_at(fb->p[m].addr, depth))
			b = m;
		else
			a = m + 1;
	}
	uint32_t l = fb_region(fb, lo, a, depth + 1, v);
	if (l == REF_ERR)
		return REF_ERR;
	uint32_t r = fb_region(fb, a, hi, depth + 1, v);
	if (r == REF_ERR)
		return REF_ERR;
	return gt_node(&fb->gt->t, l, r);
}

struct geotree *geotree_from_prefixes(const uint8_t (*addr)[16], const uint8_t *len,
                                      const uint32_t *rule, size_t n, char *err, size_t errlen)
{
	struct fbuild fb;
	memset(&fb, 0, sizeof(fb));
	struct pfx *p = NULL;
	for (size_t i = 0; i < n; i++) {
		if (len[i] > 128) {
			errmsg_set(err, errlen, "CIDR prefix %zu: length %u is longer than 128", i,
			       (unsigned)len[i]);
			return NULL;
		}
		if (rule[i] == 0) {
			errmsg_set(err, errlen, "CIDR prefix %zu: rule number 0 (rules count from 1)", i);
			return NULL;
		}
	}
	fb.gt = gt_alloc();
	if (!fb.gt || (n && !(p = calloc(n, sizeof(*p)))))
		goto oom;
	for (size_t i = 0; i < n; i++) {
		for (unsigned d = 0; d < len[i]; d++)
			if (bit_at(addr[i], d))
				p[i].addr[d >> 3] |= (uint8_t)(0x80u >> (d & 7));
		p[i].len = len[i];
		p[i].rule = rule[i];
	}
	if (n)
		qsort(p, n, sizeof(*p), pfx_cmp);
	fb.p = p;
	uint32_t root = fb_region(&fb, 0, n, 0, 0);
	if (root == REF_ERR)
		goto oom;
	gt_seal(fb.gt, root);
	free(p);
	free(fb.locs.slot);
	return fb.gt;
oom:
	errmsg_set(err, errlen, "out of memory building the CIDR tree");
	free(p);
	free(fb.locs.slot);
	geotree_free(fb.gt);
	return NULL;
}
