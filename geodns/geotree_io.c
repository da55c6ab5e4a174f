/*
 * geotree_io.c: a geotree or dtree written to / read back from a byte
 * buffer, for the GeoIP cache file (geo_cache.h). Read-back trusts
 * nothing: every child reference must point below its node (nodes are
 * stored bottom-up, see geotree_int.h, so no reference can form a cycle
 * or leave the array), every leaf value must be a valid location id or
 * decision, location strings must be terminated and location 0 empty.
 * Lookups and walks already stop at depth 128, so a valid-looking but
 * too-deep tree cannot run past an address either.
 */
#include "geodns/geotree_io.h"

#include <stdlib.h>
#include <string.h>

#include "geodns/geo_blob.h"
#include "geodns/geotree_int.h"

/* A location as stored: fixed 40 bytes, no padding bytes from memory. */
#define LOC_BYTES 40

static void put_trie(struct geo_wbuf *w, const struct trie *t, uint32_t root)
{
	geo_wbuf_u32(w, t->len);
	geo_wbuf_u32(w, root);
	geo_wbuf_array(w, t->n, (size_t)t->len * sizeof(*t->n));
}

static bool ref_ok(uint32_t ref, uint32_t below, uint32_t max_value)
{
	return IS_LEAF(ref) ? LEAF_VAL(ref) < max_value : ref < below;
}

/* Nodes and root into t (nodes pointing into r's buffer); false if short
 * or if a reference is invalid (t is left for tr_free either way). */
static bool get_trie(struct geo_rbuf *r, struct trie *t, uint32_t *root, uint32_t max_value)
{
	uint32_t len = geo_rbuf_u32(r);
	*root = geo_rbuf_u32(r);
	if (r->bad || len >= LEAF_BIT)
		return false;
	t->n = geo_rbuf_array(r, len, sizeof(*t->n));
	if (!t->n)
		return false;
	t->borrowed = true;
	t->len = t->cap = len;
	for (uint32_t i = 0; i < len; i++)
		if (!ref_ok(t->n[i][0], i, max_value) || !ref_ok(t->n[i][1], i, max_value))
			return false;
	if (!ref_ok(*root, len, max_value))
		return false;
	gt_trie_finish(t, *root);
	return true;
}

static void put_loc(struct geo_wbuf *w, const struct geo_location *l)
{
	uint8_t *b = geo_wbuf_room(w, LOC_BYTES);
	if (!b)
		return;
	memset(b, 0, LOC_BYTES);
	memcpy(b, &l->lat, 8);
	memcpy(b + 8, &l->lon, 8);
	b[16] = l->coords;
	memcpy(b + 17, l->country, 3);
	memcpy(b + 20, l->continent, 3);
	memcpy(b + 23, l->subdivision, 8);
	memcpy(b + 31, &l->asn, 4);
	memcpy(b + 35, &l->cidr_rule, 4);
}

static bool get_loc(const uint8_t *b, struct geo_location *l)
{
	memset(l, 0, sizeof(*l));
	memcpy(&l->lat, b, 8);
	memcpy(&l->lon, b + 8, 8);
	l->coords = b[16];
	memcpy(l->country, b + 17, 3);
	memcpy(l->continent, b + 20, 3);
	memcpy(l->subdivision, b + 23, 8);
	memcpy(&l->asn, b + 31, 4);
	memcpy(&l->cidr_rule, b + 35, 4);
	return l->coords <= GEO_COORD_CENTROID && l->country[2] == 0 && l->continent[2] == 0 &&
	       l->subdivision[7] == 0 && b[39] == 0;
}

void geotree_save(const struct geotree *t, struct geo_wbuf *w)
{
	geo_wbuf_u32(w, t->nlocs);
	for (uint32_t i = 0; i < t->nlocs; i++)
		put_loc(w, &t->locs[i]);
	geo_wbuf_u32(w, t->db_records);
	geo_wbuf_u32(w, t->db_nodes);
	put_trie(w, &t->t, t->root);
}

struct geotree *geotree_load(struct geo_rbuf *r)
{
	uint32_t nlocs = geo_rbuf_u32(r);
	if (r->bad || nlocs == 0 || nlocs > GEOTREE_MAX_VALUE ||
	    nlocs > (r->len - r->pos) / LOC_BYTES)
		return NULL;
	struct geotree *gt = calloc(1, sizeof(*gt));
	if (!gt)
		return NULL;
	gt->locs = calloc(nlocs, sizeof(*gt->locs));
	if (!gt->locs)
		goto fail;
	gt->nlocs = gt->loccap = nlocs;
	for (uint32_t i = 0; i < nlocs; i++) {
		const uint8_t *b = geo_rbuf_take(r, LOC_BYTES);
		if (!b || !get_loc(b, &gt->locs[i]))
			goto fail;
	}
	if (!geo_location_empty(&gt->locs[0]))
		goto fail;
	gt->db_records = geo_rbuf_u32(r);
	gt->db_nodes = geo_rbuf_u32(r);
	if (!get_trie(r, &gt->t, &gt->root, nlocs))
		goto fail;
	return gt;
fail:
	geotree_free(gt);
	return NULL;
}

void dtree_save(const struct dtree *d, struct geo_wbuf *w)
{
	put_trie(w, &d->t, d->root);
}

struct dtree *dtree_load(struct geo_rbuf *r, uint32_t n_values)
{
	struct dtree *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (!get_trie(r, &d->t, &d->root, n_values)) {
		dtree_free(d);
		return NULL;
	}
	return d;
}
