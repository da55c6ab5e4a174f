/*
 * geotree_int.h: private to geotree.c and geotree_ops.c. The node array,
 * the tree struct and the few building blocks both files build with.
 *
 * A reference is a uint32: with the top bit set it is a leaf carrying a
 * 31-bit value, otherwise an index into the node array. A node's children
 * always have smaller indexes than the node (they exist before it is
 * made), so nodes are in bottom-up order.
 */
#ifndef STEERDNS_GEOTREE_INT_H
#define STEERDNS_GEOTREE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "geodns/geodb.h"

#define LEAF_BIT 0x80000000u
#define LEAF(v) (LEAF_BIT | (uint32_t)(v))
#define IS_LEAF(r) (((r) & LEAF_BIT) != 0)
#define LEAF_VAL(r) ((r) & ~LEAF_BIT)
/* Returned by builders on failure; a value no leaf may carry. */
#define REF_ERR 0xffffffffu

/* Bits resolved by one direct-index table lookup. */
#define GT_TAB_BITS 16
#define GT_TAB_SIZE (1u << GT_TAB_BITS)

/* Where a lookup stands after a table's GT_TAB_BITS bits: a leaf with the
 * depth the bit-walk reaches it at (shallower than the table's own depth
 * when the leaf sits above it: that depth is the returned prefix length,
 * so it is stored, not implied), or the node at the table's depth. */
struct gt_slot {
	uint32_t ref;
	uint32_t depth;
};

struct trie {
	uint32_t (*n)[2];
	uint32_t len, cap;
	/* Where ::ffff:0:0/96 ends (a node, or a leaf met on the way, at
	 * v4depth <= 96): IPv4 lookups start here instead of walking the same
	 * 96 nodes every time. Set by gt_seal() / dtree_build(). */
	uint32_t v4ref;
	unsigned v4depth;
	/* Direct-index tables (GT_TAB_SIZE slots each), replacing the first
	 * 16 dependent loads of a walk: tab4 by IPv4 bits 0..15 under
	 * ::ffff:0:0/96, tab6 by IPv6 bits 0..15. Both NULL if allocating
	 * them failed: lookups then bit-walk, with the same results. Owned by
	 * the trie's tree. */
	struct gt_slot *tab4, *tab6;
	/* n points into a buffer owned elsewhere (a cache file read back,
	 * geotree_io.c): not freed with the trie. */
	bool borrowed;
};

struct geotree {
	struct trie t;
	uint32_t root;
	struct geo_location *locs;
	uint32_t nlocs, loccap;
	uint32_t db_records, db_nodes;
};

/* Set of location ids hashed by location value, to deduplicate. Slot 0
 * means empty: id 0 is never stored (it is the empty location). Owned by
 * whoever builds; free(slot) when done. */
struct locset {
	uint32_t *slot;
	uint32_t cap, used;
};

/* A node with children (l, r), or the leaf itself when both are the same
 * leaf: the merge that keeps every prefix as short as is true. REF_ERR on
 * out of memory (or a child that is REF_ERR). */
uint32_t gt_node(struct trie *t, uint32_t l, uint32_t r);

/* A new empty tree (no nodes, root leaf 0) with location 0 = empty, or
 * NULL on out of memory. */
struct geotree *gt_alloc(void);

/* Location id for a location value (must not be empty): existing if seen
 * in s, else appended to gt. REF_ERR on out of memory. */
uint32_t gt_intern(struct geotree *gt, struct locset *s, const struct geo_location *loc);

/* Finish a built tree: set root, give back unused capacity, record the
 * IPv4 shortcut. */
void gt_seal(struct geotree *gt, uint32_t root);

struct dtree {
	struct trie t;
	uint32_t root;
};

/* Record the ::ffff:0:0/96 shortcut of a finished trie and build its
 * lookup tables (geotree.c; also used when a tree is read back from the
 * cache, geotree_io.c). */
void gt_trie_finish(struct trie *t, uint32_t root);

/* Reference lookups: the plain bit-walk from the root (with the
 * ::ffff:0:0/96 shortcut), ignoring the tables. Same contract as
 * geotree_lookup() / dtree_lookup(); slower. For tests checking the
 * table-driven lookups against them. */
uint32_t gt_lookup_bitwalk(const struct geotree *t, const uint8_t addr16[16], unsigned *prefix_len);
uint32_t gt_dtree_lookup_bitwalk(const struct dtree *d, const uint8_t addr16[16], unsigned *scope);

/* Whether t / d got their lookup tables (false only after an allocation
 * failure), so tests know the fast path is what they exercised. */
int gt_has_tables(const struct geotree *t);
int gt_dtree_has_tables(const struct dtree *d);

#endif
