/*
 * geotree.c: compile MaxMind DB search trees into one flat binary trie
 * (struct geotree) and derive merged decision tries from it (struct
 * dtree). Combining trees (product, CIDR overlay) is in geotree_ops.c.
 *
 * References and nodes: see geotree_int.h. Nodes are never
 * modified once made, which lets subtrees be shared: the copy of a DB keeps
 * the DB's own sharing (the IPv4 subtree under ::/96, ::ffff:0:0/96 and
 * 2002::/16 is one subtree), and combining DBs copies only the paths that
 * change. A node never has two equal leaf children (they are merged into
 * the leaf), which is what makes dtree prefixes the shortest true ones.
 *
 * Lookups: a finished tree gets two 64k-slot tables (gt_trie_finish) giving,
 * for the first 16 bits of an IPv4 address under ::ffff:0:0/96 or of an
 * IPv6 address, the node 16 levels down or the leaf met above that with
 * its own depth; the walk continues bit by bit from there. The depth is
 * stored because it is the prefix length (the ECS scope) returned.
 */
#include "common/errmsg.h"
#include "geodns/geotree.h"
#include "geodns/geotree_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


uint32_t gt_node(struct trie *t, uint32_t l, uint32_t r)
{
	if (l == REF_ERR || r == REF_ERR)
		return REF_ERR;
	if (l == r && IS_LEAF(l))
		return l;
	if (t->len == t->cap) {
		uint32_t ncap = t->cap ? t->cap * 2 : 1024;
		if (ncap >= LEAF_BIT)
			return REF_ERR;
		void *p = realloc(t->n, (size_t)ncap * sizeof(*t->n));
		if (!p)
			return REF_ERR;
		t->n = p;
		t->cap = ncap;
	}
	t->n[t->len][0] = l;
	t->n[t->len][1] = r;
	return t->len++;
}

/* Give back the unused tail of the doubling growth. */
static void tr_shrink(struct trie *t)
{
	if (t->len && t->len < t->cap) {
		void *p = realloc(t->n, (size_t)t->len * sizeof(*t->n));
		if (p) {
			t->n = p;
			t->cap = t->len;
		}
	}
}

static inline unsigned addr_bit(const uint8_t *a, unsigned d)
{
	return (a[d >> 3] >> (7 - (d & 7))) & 1u;
}

static const uint8_t v4mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 };
static const uint8_t zeros[16];

/* Fill tab[idx .. idx + 2^bits) with where the walk from ref (at depth)
 * stands after bits more bits: the leaf it meets on the way with that
 * leaf's depth, or the node after all bits. Each node above the table's
 * depth is visited once, each slot written once: O(nodes + slots). The
 * depth bound matches tr_lookup_bitwalk()'s backstop. */
static void tab_fill(const struct trie *t, struct gt_slot *tab, uint32_t ref, unsigned depth,
                     uint32_t idx, unsigned bits)
{
	if (IS_LEAF(ref) || bits == 0 || depth >= 128) {
		for (uint32_t i = 0; i < (1u << bits); i++) {
			tab[idx + i].ref = ref;
			tab[idx + i].depth = depth;
		}
		return;
	}
	tab_fill(t, tab, t->n[ref][0], depth + 1, idx, bits - 1);
	tab_fill(t, tab, t->n[ref][1], depth + 1, idx | (1u << (bits - 1)), bits - 1);
}

/* Record the ::ffff:0:0/96 shortcut and build the direct-index tables for
 * a finished tree rooted at root. Without memory for the tables, lookups
 * fall back to the bit-walk: slower, same answers. */
void gt_trie_finish(struct trie *t, uint32_t root)
{
	uint32_t ref = root;
	unsigned d = 0;
	for (; d < 96 && !IS_LEAF(ref); d++)
		ref = t->n[ref][addr_bit(v4mapped, d)];
	t->v4ref = ref;
	t->v4depth = d;

	free(t->tab4);
	free(t->tab6);
	t->tab4 = malloc(GT_TAB_SIZE * sizeof(*t->tab4));
	t->tab6 = malloc(GT_TAB_SIZE * sizeof(*t->tab6));
	if (!t->tab4 || !t->tab6) {
		free(t->tab4);
		free(t->tab6);
		t->tab4 = t->tab6 = NULL;
		return;
	}
	tab_fill(t, t->tab4, t->v4ref, t->v4depth, 0, GT_TAB_BITS);
	tab_fill(t, t->tab6, root, 0, 0, GT_TAB_BITS);
}

static void tr_free(struct trie *t)
{
	if (!t->borrowed)
		free(t->n);
	free(t->tab4);
	free(t->tab6);
}

/* Follow addr from ref bit by bit; returns the leaf and its depth in
 * *len. Builders guarantee no path is longer than 128, the bound is only a
 * backstop. The reference the table-driven tr_lookup() must agree with. */
static uint32_t tr_lookup_bitwalk(const struct trie *t, uint32_t ref, const uint8_t *addr,
                                  unsigned *len)
{
	unsigned d = 0;
	if (memcmp(addr, v4mapped, 12) == 0) {
		ref = t->v4ref;
		d = t->v4depth;
	}
	while (!IS_LEAF(ref) && d < 128) {
		ref = t->n[ref][addr_bit(addr, d)];
		d++;
	}
	if (len)
		*len = d;
	return IS_LEAF(ref) ? LEAF_VAL(ref) : 0;
}

/* tr_lookup_bitwalk() with the first 16 bits (under ::ffff:0:0/96 for
 * IPv4, from the root otherwise) taken from a table in one load: the walk
 * goes on from the slot's node, or stops at its leaf and depth. */
static inline uint32_t tr_lookup(const struct trie *t, uint32_t root, const uint8_t *addr,
                                 unsigned *len)
{
	if (!t->tab4)
		return tr_lookup_bitwalk(t, root, addr, len);
	const struct gt_slot *s;
	if (memcmp(addr, v4mapped, 12) == 0)
		s = &t->tab4[(uint32_t)addr[12] << 8 | addr[13]];
	else
		s = &t->tab6[(uint32_t)addr[0] << 8 | addr[1]];
	uint32_t ref = s->ref;
	unsigned d = s->depth;
	while (!IS_LEAF(ref) && d < 128) {
		ref = t->n[ref][addr_bit(addr, d)];
		d++;
	}
	if (len)
		*len = d;
	return IS_LEAF(ref) ? LEAF_VAL(ref) : 0;
}

/* IPv4 (host-order a = a.b.c.d) under ::ffff:0:0/96 with tab4: the rest
 * of the walk reads bits of a directly (bit 96 + i of the 128-bit address
 * is bit 31 - i of a). Requires t->tab4. */
static inline uint32_t tr_lookup_v4(const struct trie *t, uint32_t a, unsigned *len)
{
	const struct gt_slot *s = &t->tab4[a >> 16];
	uint32_t ref = s->ref;
	unsigned d = s->depth;
	while (!IS_LEAF(ref) && d < 128) {
		ref = t->n[ref][(a >> (127 - d)) & 1u];
		d++;
	}
	*len = d;
	return IS_LEAF(ref) ? LEAF_VAL(ref) : 0;
}

/* The subtree at prefix/plen below ref (a leaf if the path ends early). */
static uint32_t tr_descend(const struct trie *t, uint32_t ref, const uint8_t *prefix,
                           unsigned plen)
{
	for (unsigned d = 0; d < plen && !IS_LEAF(ref); d++)
		ref = t->n[ref][addr_bit(prefix, d)];
	return ref;
}

/* A tree that is sub under prefix/plen and leaf 0 elsewhere. */
static uint32_t tr_place(struct trie *t, uint32_t sub, const uint8_t *prefix, unsigned plen)
{
	uint32_t ref = sub;
	for (unsigned d = plen; d-- > 0;)
		ref = addr_bit(prefix, d) ? gt_node(t, LEAF(0), ref) : gt_node(t, ref, LEAF(0));
	return ref;
}

/* dst with its leaf-0 (unknown) parts filled from src; dst wins where both
 * have a value. Copies only the paths that change. */
static uint32_t tr_overlay(struct trie *t, uint32_t dst, uint32_t src)
{
	if (dst == REF_ERR || src == REF_ERR)
		return REF_ERR;
	if (dst == src || src == LEAF(0))
		return dst;
	if (dst == LEAF(0))
		return src;
	if (IS_LEAF(dst))
		return dst;
	uint32_t dl = t->n[dst][0], dr = t->n[dst][1];
	uint32_t sl = src, sr = src;
	if (!IS_LEAF(src)) {
		sl = t->n[src][0];
		sr = t->n[src][1];
	}
	/* Recursion may realloc t->n: children were read into locals above. */
	uint32_t l = tr_overlay(t, dl, sl);
	uint32_t r = tr_overlay(t, dr, sr);
	if (l == dl && r == dr)
		return dst;
	return gt_node(t, l, r);
}

struct walk {
	const struct trie *t;
	geotree_walk_fn fn;
	void *ctx;
	uint8_t prefix[16];
};

static int tr_walk(struct walk *w, uint32_t ref, unsigned depth)
{
	if (IS_LEAF(ref) || depth >= 128)
		return w->fn(w->prefix, depth, IS_LEAF(ref) ? LEAF_VAL(ref) : 0, w->ctx);
	uint8_t mask = (uint8_t)(0x80u >> (depth & 7));
	int rc = tr_walk(w, w->t->n[ref][0], depth + 1);
	if (rc)
		return rc;
	w->prefix[depth >> 3] |= mask;
	rc = tr_walk(w, w->t->n[ref][1], depth + 1);
	w->prefix[depth >> 3] &= (uint8_t)~mask;
	return rc;
}

static int walk_from(const struct trie *t, uint32_t root, geotree_walk_fn fn, void *ctx)
{
	struct walk w = { .t = t, .fn = fn, .ctx = ctx };
	memset(w.prefix, 0, sizeof(w.prefix));
	return tr_walk(&w, root, 0);
}

/* ---- building a geotree from DBs ---- */

/* Open-addressing map from a DB data-section offset to a location id, so
 * each record is decoded once however many networks point at it. Keys are
 * stored +1 so 0 marks an empty slot. */
struct offmap {
	uint32_t *key, *val;
	uint32_t cap, used;
};

static inline uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static int offmap_grow(struct offmap *m)
{
	uint32_t ncap = m->cap ? m->cap * 2 : 4096;
	uint32_t *nk = calloc(ncap, sizeof(*nk)), *nv = malloc((size_t)ncap * sizeof(*nv));
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	for (uint32_t i = 0; i < m->cap; i++) {
		if (!m->key[i])
			continue;
		uint32_t h = hash32(m->key[i]) & (ncap - 1);
		while (nk[h])
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

/* Slot for offset: its value if present (returns 1), else where to put it. */
static int offmap_find(struct offmap *m, uint32_t off, uint32_t *slot)
{
	uint32_t k = off + 1, h = hash32(k) & (m->cap - 1);
	while (m->key[h] && m->key[h] != k)
		h = (h + 1) & (m->cap - 1);
	*slot = h;
	return m->key[h] == k;
}

struct build {
	struct geotree *gt;
	const struct geodb *db;
	const MMDB_s *mmdb;
	uint32_t node_count, bits;
	uint32_t *memo;  /* DB node -> our ref; MEMO_UNSET / MEMO_BUSY */
	uint8_t *height; /* DB node -> levels below it, for the depth bound */
	struct offmap offs;
	struct locset locs;
	uint32_t usable; /* records of this DB that name a place */
	size_t node_bytes; /* bytes per search-tree node in the file */
	size_t dropped;    /* file bytes below this were given back */
	char *err;
	size_t errlen;
};

#define MEMO_UNSET 0xffffffffu
#define MEMO_BUSY 0xfffffffeu

/* Leaf for the data record at entry: decoded once per offset. */
static uint32_t data_leaf(struct build *b, MMDB_entry_s *entry)
{
	uint32_t slot;
	if ((b->offs.used + 1) * 2 > b->offs.cap && offmap_grow(&b->offs) < 0)
		goto oom;
	if (offmap_find(&b->offs, entry->offset, &slot))
		return LEAF(b->offs.val[slot]);
	struct geo_location loc;
	if (geodb_read_entry(b->db, entry, &loc, b->err, b->errlen) < 0)
		return REF_ERR;
	uint32_t id = geo_location_empty(&loc) ? GEO_LOC_UNKNOWN : gt_intern(b->gt, &b->locs, &loc);
	if (id == REF_ERR)
		goto oom;
	b->offs.key[slot] = entry->offset + 1;
	b->offs.val[slot] = id;
	b->offs.used++;
	b->gt->db_records++;
	if (id != GEO_LOC_UNKNOWN)
		b->usable++;
	return LEAF(id);
oom:
	errmsg_set(b->err, b->errlen, "%s: out of memory", geodb_path(b->db));
	return REF_ERR;
}

#define MMDB_DATA_SEPARATOR 16 /* bytes between search tree and data (spec) */
#define DROP_STEP ((size_t)4 << 20)  /* search-tree bytes given back at a time */

/* Copy DB search node `node`, found at `depth`, into our trie. Memoized per
 * DB node so aliased subtrees are copied once and shared. Rejects cycles
 * and paths longer than the DB's address width: a corrupt tree must not
 * make us recurse forever or build paths a lookup cannot finish. */
static uint32_t copy_node(struct build *b, uint32_t node, unsigned depth)
{
	const char *path = geodb_path(b->db);
	uint32_t m = b->memo[node];
	if (m == MEMO_BUSY) {
		errmsg_set(b->err, b->errlen, "%s: search tree node %u: %s (cycle)", path, node,
		       MMDB_strerror(MMDB_CORRUPT_SEARCH_TREE_ERROR));
		return REF_ERR;
	}
	if (m != MEMO_UNSET) {
		if (depth + b->height[node] > b->bits) {
			errmsg_set(b->err, b->errlen, "%s: search tree node %u: %s (deeper than %u bits)",
			       path, node, MMDB_strerror(MMDB_CORRUPT_SEARCH_TREE_ERROR), b->bits);
			return REF_ERR;
		}
		return m;
	}
	/* Writers number the nodes in the order of this very walk (depth
	 * first, left first: MaxMind's and DB-IP's files are read strictly
	 * upwards), so the search tree below the node being read is done
	 * with: give its file pages back as we go, in steps of DROP_STEP. In
	 * a file numbered otherwise a node below may be read again: it is
	 * faulted back in, same result. */
	size_t at = (size_t)node * b->node_bytes;
	if (at >= b->dropped + DROP_STEP) {
		geodb_drop_pages(b->db, b->dropped, at);
		b->dropped = at;
	}
	MMDB_search_node_s sn;
	int rc = MMDB_read_node(b->mmdb, node, &sn);
	if (rc != MMDB_SUCCESS) {
		errmsg_set(b->err, b->errlen, "%s: search tree node %u: %s", path, node, MMDB_strerror(rc));
		return REF_ERR;
	}
	b->memo[node] = MEMO_BUSY;
	uint32_t child[2];
	unsigned h = 1;
	for (int side = 0; side < 2; side++) {
		uint64_t rec = side ? sn.right_record : sn.left_record;
		uint8_t type = side ? sn.right_record_type : sn.left_record_type;
		MMDB_entry_s entry = side ? sn.right_record_entry : sn.left_record_entry;
		switch (type) {
		case MMDB_RECORD_TYPE_SEARCH_NODE:
			if (depth + 1 >= b->bits) {
				errmsg_set(b->err, b->errlen,
				       "%s: search tree node %u: %s (deeper than %u bits)", path, node,
				       MMDB_strerror(MMDB_CORRUPT_SEARCH_TREE_ERROR), b->bits);
				return REF_ERR;
			}
			child[side] = copy_node(b, (uint32_t)rec, depth + 1);
			if (child[side] != REF_ERR && 1u + b->height[rec] > h)
				h = 1u + b->height[rec];
			break;
		case MMDB_RECORD_TYPE_EMPTY:
			child[side] = LEAF(GEO_LOC_UNKNOWN);
			break;
		case MMDB_RECORD_TYPE_DATA:
			/* Records between node_count and the separator's end
			 * would point before the data section (libmaxminddb
			 * does not check this when reading a node). */
			if (rec < (uint64_t)b->node_count + MMDB_DATA_SEPARATOR) {
				errmsg_set(b->err, b->errlen, "%s: search tree node %u: %s (record %llu)",
				       path, node, MMDB_strerror(MMDB_CORRUPT_SEARCH_TREE_ERROR),
				       (unsigned long long)rec);
				return REF_ERR;
			}
			child[side] = data_leaf(b, &entry);
			break;
		default:
			errmsg_set(b->err, b->errlen, "%s: search tree node %u: %s (record %llu)", path,
			       node, MMDB_strerror(MMDB_CORRUPT_SEARCH_TREE_ERROR),
			       (unsigned long long)rec);
			return REF_ERR;
		}
		if (child[side] == REF_ERR)
			return REF_ERR;
	}
	uint32_t ref = gt_node(&b->gt->t, child[0], child[1]);
	if (ref == REF_ERR) {
		errmsg_set(b->err, b->errlen, "%s: out of memory", path);
		return REF_ERR;
	}
	b->memo[node] = ref;
	b->height[node] = (uint8_t)h;
	return ref;
}

/* Nodes the walk never reached are normally absent; if there are some,
 * a record of invalid type among them means the tree is damaged (a
 * truncated or overwritten file) even though our walk avoided it. */
static int check_unvisited(struct build *b)
{
	for (uint32_t i = 0; i < b->node_count; i++) {
		if (b->memo[i] != MEMO_UNSET)
			continue;
		MMDB_search_node_s sn;
		int rc = MMDB_read_node(b->mmdb, i, &sn);
		if (rc == MMDB_SUCCESS && (sn.left_record_type == MMDB_RECORD_TYPE_INVALID ||
		                           sn.right_record_type == MMDB_RECORD_TYPE_INVALID))
			rc = MMDB_CORRUPT_SEARCH_TREE_ERROR;
		if (rc != MMDB_SUCCESS) {
			errmsg_set(b->err, b->errlen, "%s: search tree node %u: %s", geodb_path(b->db), i,
			       MMDB_strerror(rc));
			return -1;
		}
	}
	return 0;
}

/* One DB as a tree over the 128-bit space (IPv4 placed at ::ffff:0:0/96). */
static uint32_t build_db(struct build *b, const struct geodb *db)
{
	const MMDB_s *mm = geodb_mmdb(db);
	uint32_t ret = REF_ERR;
	b->db = db;
	b->mmdb = mm;
	b->node_count = mm->metadata.node_count;
	b->bits = mm->metadata.ip_version == 6 ? 128 : 32;
	b->gt->db_nodes += b->node_count;
	b->node_bytes = mm->full_record_byte_size;
	b->dropped = 0;
	/* Offsets are per file: start a fresh offset map. */
	free(b->offs.key);
	free(b->offs.val);
	memset(&b->offs, 0, sizeof(b->offs));
	if (b->node_count == 0) {
		errmsg_set(b->err, b->errlen, "%s: %s (no search tree nodes)", geodb_path(db),
		       MMDB_strerror(MMDB_INVALID_METADATA_ERROR));
		return REF_ERR;
	}
	b->memo = malloc((size_t)b->node_count * sizeof(*b->memo));
	b->height = malloc(b->node_count);
	if (!b->memo || !b->height || offmap_grow(&b->offs) < 0) {
		errmsg_set(b->err, b->errlen, "%s: out of memory", geodb_path(db));
		goto out;
	}
	memset(b->memo, 0xff, (size_t)b->node_count * sizeof(*b->memo));
	memset(b->height, 0, b->node_count);

	b->usable = 0;
	uint32_t root = copy_node(b, 0, 0);
	if (root == REF_ERR || check_unvisited(b) < 0)
		goto out;
	if (b->usable == 0) {
		/* Not corrupt as far as libmaxminddb can tell, but useless: an
		 * ASN DB under a location preset (or the reverse), the wrong
		 * preset, or data nested beyond recognition. */
		errmsg_set(b->err, b->errlen,
		       "%s: no record has a location at the configured field paths "
		       "(wrong preset? maxmind or flat for a City/Country DB, asn for an "
		       "ASN DB)",
		       geodb_path(db));
		goto out;
	}
	struct trie *t = &b->gt->t;
	if (b->bits == 32) {
		ret = tr_place(t, root, v4mapped, 96);
	} else {
		/* MaxMind aliases ::ffff:0:0/96 to the IPv4 subtree at ::/96;
		 * other writers may not. Graft it where the DB has nothing. */
		uint32_t v4 = tr_descend(t, root, zeros, 96);
		ret = tr_overlay(t, root, tr_place(t, v4, v4mapped, 96));
	}
	if (ret == REF_ERR)
		errmsg_set(b->err, b->errlen, "%s: out of memory", geodb_path(db));
out:
	/* Done with this file: its pages need not stay resident while the
	 * next DB (or the decision tree) is built. */
	geodb_drop_pages(db, 0, SIZE_MAX);
	free(b->memo);
	free(b->height);
	b->memo = NULL;
	b->height = NULL;
	return ret;
}

struct geotree *gt_alloc(void)
{
	struct geotree *gt = calloc(1, sizeof(*gt));
	if (!gt)
		return NULL;
	gt->loccap = 1024;
	gt->locs = calloc(gt->loccap, sizeof(*gt->locs));
	if (!gt->locs) {
		free(gt);
		return NULL;
	}
	gt->nlocs = 1; /* id 0: the empty location */
	gt->root = LEAF(GEO_LOC_UNKNOWN);
	return gt;
}

void gt_seal(struct geotree *gt, uint32_t root)
{
	gt->root = root;
	tr_shrink(&gt->t);
	gt_trie_finish(&gt->t, gt->root);
	void *p = realloc(gt->locs, (size_t)gt->nlocs * sizeof(*gt->locs));
	if (p) {
		gt->locs = p;
		gt->loccap = gt->nlocs;
	}
}

struct geotree *geotree_build(struct geodb *const *dbs, size_t ndb, char *err, size_t errlen)
{
	struct build b = { .err = err, .errlen = errlen };
	struct geotree *gt = gt_alloc();
	if (!gt)
		goto oom;
	b.gt = gt;
	if (ndb == 0) {
		errmsg_set(err, errlen, "no GeoIP database given");
		goto fail;
	}

	uint32_t acc = LEAF(GEO_LOC_UNKNOWN);
	for (size_t i = 0; i < ndb; i++) {
		uint32_t one = build_db(&b, dbs[i]);
		if (one == REF_ERR)
			goto fail;
		acc = tr_overlay(&gt->t, acc, one);
		if (acc == REF_ERR)
			goto oom;
	}
	gt_seal(gt, acc);
	free(b.offs.key);
	free(b.offs.val);
	free(b.locs.slot);
	return gt;

oom:
	errmsg_set(err, errlen, "out of memory building the GeoIP tree");
fail:
	free(b.offs.key);
	free(b.offs.val);
	free(b.locs.slot);
	geotree_free(gt);
	return NULL;
}

void geotree_free(struct geotree *t)
{
	if (!t)
		return;
	tr_free(&t->t);
	free(t->locs);
	free(t);
}

uint32_t geotree_lookup(const struct geotree *t, const uint8_t addr16[16], unsigned *prefix_len)
{
	return tr_lookup(&t->t, t->root, addr16, prefix_len);
}

uint32_t gt_lookup_bitwalk(const struct geotree *t, const uint8_t addr16[16], unsigned *prefix_len)
{
	return tr_lookup_bitwalk(&t->t, t->root, addr16, prefix_len);
}

int gt_has_tables(const struct geotree *t)
{
	return t->t.tab4 != NULL;
}

const struct geo_location *geotree_location(const struct geotree *t, uint32_t id)
{
	return &t->locs[id < t->nlocs ? id : 0];
}

uint32_t geotree_nlocations(const struct geotree *t)
{
	return t->nlocs;
}

void geotree_get_stats(const struct geotree *t, struct geotree_stats *st)
{
	st->nodes = t->t.len;
	st->locations = t->nlocs;
	st->db_records = t->db_records;
	st->db_nodes = t->db_nodes;
	st->bytes = sizeof(*t) + (size_t)t->t.cap * sizeof(*t->t.n) +
	            (size_t)t->loccap * sizeof(*t->locs) +
	            (t->t.tab4 ? 2 * (size_t)GT_TAB_SIZE * sizeof(*t->t.tab4) : 0);
}

int geotree_walk(const struct geotree *t, geotree_walk_fn fn, void *ctx)
{
	return walk_from(&t->t, t->root, fn, ctx);
}

/* ---- decision trees ---- */

struct dbuild {
	const struct trie *src;
	struct trie *dst;
	const uint32_t *decision;
	/* Bit per geotree node: reached (seen) and reached more than once
	 * (shared). Only shared nodes are memoized, in a hash map: a node
	 * reached once is converted once anyway, and a map of the few shared
	 * ones (the DB's IPv4 subtree under its aliases, paths kept by
	 * overlays) replaces an array of 4 bytes per node (59 MB for DB-IP). */
	uint64_t *seen, *shared;
	struct offmap memo; /* shared geotree node -> dtree ref */
};

static inline int bit_get(const uint64_t *b, uint32_t i)
{
	return (int)((b[i >> 6] >> (i & 63)) & 1u);
}

static inline void bit_set(uint64_t *b, uint32_t i)
{
	b[i >> 6] |= (uint64_t)1 << (i & 63);
}

/* Mark which nodes below ref are reached more than once. Depth is
 * bounded by the builders (at most 128 levels). */
static void mark_shared(struct dbuild *b, uint32_t ref)
{
	while (!IS_LEAF(ref)) {
		if (bit_get(b->seen, ref)) {
			bit_set(b->shared, ref);
			return;
		}
		bit_set(b->seen, ref);
		mark_shared(b, b->src->n[ref][0]);
		ref = b->src->n[ref][1];
	}
}

/* Bottom-up: children first, then gt_node() merges equal leaves, so a
 * subtree with one decision throughout becomes a single leaf. Shared
 * source nodes are converted once and their result reused, keeping the
 * geotree's sharing. */
static uint32_t conv(struct dbuild *b, uint32_t ref)
{
	if (IS_LEAF(ref))
		return LEAF(b->decision[LEAF_VAL(ref)]);
	int shared = bit_get(b->shared, ref);
	uint32_t slot;
	if (shared) {
		if ((b->memo.used + 1) * 2 > b->memo.cap && offmap_grow(&b->memo) < 0)
			return REF_ERR;
		if (offmap_find(&b->memo, ref, &slot))
			return b->memo.val[slot];
	}
	uint32_t l = conv(b, b->src->n[ref][0]);
	uint32_t r = conv(b, b->src->n[ref][1]);
	uint32_t out = gt_node(b->dst, l, r);
	if (shared && out != REF_ERR) {
		/* The recursion may have grown the map: find the slot again. */
		if ((b->memo.used + 1) * 2 > b->memo.cap && offmap_grow(&b->memo) < 0)
			return REF_ERR;
		offmap_find(&b->memo, ref, &slot);
		b->memo.key[slot] = ref + 1;
		b->memo.val[slot] = out;
		b->memo.used++;
	}
	return out;
}

struct dtree *dtree_build(const struct geotree *t, const uint32_t *decision, size_t n, char *err,
                          size_t errlen)
{
	if (n < t->nlocs) {
		errmsg_set(err, errlen, "decision table has %zu entries for %u locations", n, t->nlocs);
		return NULL;
	}
	for (size_t i = 0; i < t->nlocs; i++) {
		if (decision[i] > GEOTREE_MAX_VALUE) {
			errmsg_set(err, errlen, "decision %u for location %zu is out of range",
			       decision[i], i);
			return NULL;
		}
	}
	struct dtree *d = calloc(1, sizeof(*d));
	struct dbuild b = { .src = &t->t, .decision = decision };
	if (!d)
		goto oom;
	b.dst = &d->t;
	size_t words = ((size_t)t->t.len + 63) / 64;
	b.seen = calloc(words ? words : 1, sizeof(*b.seen));
	b.shared = calloc(words ? words : 1, sizeof(*b.shared));
	if (!b.seen || !b.shared)
		goto oom;
	mark_shared(&b, t->root);
	free(b.seen);
	b.seen = NULL;
	d->root = conv(&b, t->root);
	free(b.shared);
	free(b.memo.key);
	free(b.memo.val);
	memset(&b.memo, 0, sizeof(b.memo));
	b.shared = NULL;
	if (d->root == REF_ERR)
		goto oom;
	tr_shrink(&d->t);
	gt_trie_finish(&d->t, d->root);
	return d;
oom:
	free(b.seen);
	free(b.shared);
	free(b.memo.key);
	free(b.memo.val);
	dtree_free(d);
	errmsg_set(err, errlen, "out of memory building the decision tree");
	return NULL;
}

void dtree_free(struct dtree *d)
{
	if (!d)
		return;
	tr_free(&d->t);
	free(d);
}

uint32_t dtree_lookup(const struct dtree *d, const uint8_t addr16[16], unsigned *scope)
{
	return tr_lookup(&d->t, d->root, addr16, scope);
}

uint32_t gt_dtree_lookup_bitwalk(const struct dtree *d, const uint8_t addr16[16], unsigned *scope)
{
	return tr_lookup_bitwalk(&d->t, d->root, addr16, scope);
}

int gt_dtree_has_tables(const struct dtree *d)
{
	return d->t.tab4 != NULL;
}

uint32_t dtree_lookup_v4(const struct dtree *d, const uint8_t addr4[4], unsigned *scope)
{
	unsigned len;
	uint32_t v;
	if (d->t.tab4) {
		uint32_t a = (uint32_t)addr4[0] << 24 | (uint32_t)addr4[1] << 16 |
		             (uint32_t)addr4[2] << 8 | addr4[3];
		v = tr_lookup_v4(&d->t, a, &len);
	} else {
		uint8_t a[16];
		memcpy(a, v4mapped, 12);
		memcpy(a + 12, addr4, 4);
		v = tr_lookup_bitwalk(&d->t, d->root, a, &len);
	}
	if (scope)
		*scope = len > 96 ? len - 96 : 0;
	return v;
}

int dtree_walk(const struct dtree *d, geotree_walk_fn fn, void *ctx)
{
	return walk_from(&d->t, d->root, fn, ctx);
}

uint32_t dtree_nodes(const struct dtree *d)
{
	return d->t.len;
}
