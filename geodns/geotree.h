/*
 * geotree.h: MaxMind DBs compiled into our own binary trie over the
 * 128-bit IPv6 space, and decision trees derived from it.
 *
 * Address space: IPv6 as is; IPv4 at ::ffff:0:0/96 (IPv4-mapped). A v6 DB
 * keeps IPv4 at ::/96; its ::ffff:0:0/96 (and 2002::/16) normally alias
 * that subtree, and where a DB lacks the ::ffff:0:0/96 alias the build
 * grafts the ::/96 subtree there. An IPv4-only DB (ip_version 4) lands at
 * ::ffff:0:0/96 only.
 *
 * geotree: leaves carry a location id, an index into a table of distinct
 * locations (deduplicated by value: a City DB's millions of records give
 * ~100k locations). Id 0 (GEO_LOC_UNKNOWN) is "not in any DB, or the
 * record names no place".
 *
 * dtree: the same shape with each leaf's location replaced by a decision
 * (decision[loc_id], e.g. a PoP list index) and sibling leaves with equal
 * decisions merged bottom-up, so the prefix returned by dtree_lookup() is
 * the shortest one over which the decision is constant: the ECS scope
 * (RFC 7871 section 7.2.1), never too short and no longer than true.
 *
 * Trees of client attributes other than location combine with a location
 * tree by geotree_product(): an ASN DB built with geodb_preset_asn, and a
 * CIDR overlay from geotree_from_prefixes(). The lead's order is
 * product(product(geo, asn), cidr), then dtree_build() on the result.
 *
 * Both are flat arrays of 2 x uint32 nodes (no pointers), built with
 * realloc and freed as a unit; both are immutable after build, so readers
 * on any thread may share them without locks. Each also holds two
 * direct-index tables of 64k slots (1 MB per tree) for the first 16 bits
 * of IPv4 (under ::ffff:0:0/96) and of IPv6, so a lookup starts 16 levels
 * down instead of walking them one dependent load at a time; results are
 * exactly the bit-walk's.
 */
#ifndef STEERDNS_GEOTREE_H
#define STEERDNS_GEOTREE_H

#include <stddef.h>
#include <stdint.h>

#include "geodns/geodb.h"

#define GEO_LOC_UNKNOWN 0u
/* Largest value a leaf can carry (location id or decision). */
#define GEOTREE_MAX_VALUE 0x7ffffffeu

struct geotree;
struct dtree;

struct geotree_stats {
	uint32_t nodes;      /* trie nodes (8 bytes each) */
	uint32_t locations;  /* distinct locations, including id 0 */
	uint32_t db_records; /* distinct data records read from all DBs */
	uint32_t db_nodes;   /* search-tree nodes in all DBs */
	size_t bytes;        /* heap held by the tree */
};

/* Compile dbs[0..ndb-1] into one tree. Where several DBs cover an address
 * the first one with a record wins; the others fill the gaps (so separate
 * v4 and v6 files, or a detailed DB followed by a coarser one, combine).
 * Walks every search-tree node of every DB once and reads every record
 * once. The result does not reference the DBs: they may be closed after.
 * On error (corrupt tree or data, out of memory) returns NULL with
 * "PATH: ..." in err. Caller owns the result: geotree_free(). */
struct geotree *geotree_build(struct geodb *const *dbs, size_t ndb, char *err, size_t errlen);

void geotree_free(struct geotree *t);

/* The pointwise product of a and b: a new tree whose location at every
 * address is a's location there, except that asn is b's when b's is
 * non-zero, and cidr_rule likewise. (So b is the "attribute" tree: an ASN
 * tree or a CIDR overlay; its other fields are ignored.) Locations are
 * deduplicated by value, equal sibling leaves merged, so prefix lengths
 * stay the shortest true ones. One simultaneous walk, memoized on the
 * pair of subtrees, so shared subtrees (IPv4 at ::/96, ::ffff:0:0/96 and
 * 2002::/16) cost once when both trees share them: time and memory are
 * about nodes(a) + nodes(b) (2.3M x 0.9M nodes: ~0.6 s, a transient memo
 * of ~100 MB, 3M nodes out). Stats: db_records and db_nodes are the sums.
 * a and b are only read and may be freed afterwards. Returns NULL with
 * err on out of memory (or a malformed input deeper than 128). Caller
 * owns: geotree_free(). */
struct geotree *geotree_product(const struct geotree *a, const struct geotree *b, char *err,
                                size_t errlen);

/* A tree from n CIDR prefixes (addr[i]/len[i] in the 128-bit space, IPv4
 * as ::ffff:a.b.c.d with len + 96; bits past len are ignored): the
 * location at each address has only cidr_rule set, to the smallest
 * rule[i] over the prefixes covering the address (rule numbers are
 * 1-based policy positions: an earlier rule wins), and is empty (id 0)
 * where none covers. n may be 0 (the empty tree). Arrays are only read.
 * Returns NULL with err for len > 128, rule 0 or out of memory. Caller
 * owns: geotree_free(). */
struct geotree *geotree_from_prefixes(const uint8_t (*addr)[16], const uint8_t *len,
                                      const uint32_t *rule, size_t n, char *err, size_t errlen);

/* Location id for addr16 (network byte order; IPv4 as ::ffff:a.b.c.d).
 * *prefix_len (if not NULL) gets the length of the trie path to the leaf:
 * every address under that prefix has the same location id. */
uint32_t geotree_lookup(const struct geotree *t, const uint8_t addr16[16], unsigned *prefix_len);

/* Location of id (0 <= id < geotree_nlocations()); id 0 is all-empty.
 * Points into t. */
const struct geo_location *geotree_location(const struct geotree *t, uint32_t id);

uint32_t geotree_nlocations(const struct geotree *t);

void geotree_get_stats(const struct geotree *t, struct geotree_stats *st);

/* Called once per leaf by the walks below: prefix (16 bytes, bits past
 * len are zero, valid during the call only), its length, and the leaf's
 * value. A non-zero return stops the walk and is returned. */
typedef int (*geotree_walk_fn)(const uint8_t prefix[16], unsigned len, uint32_t value,
                               void *ctx);

/* Visit every leaf of t in address order. Shared (aliased) subtrees are
 * visited once per place they appear. */
int geotree_walk(const struct geotree *t, geotree_walk_fn fn, void *ctx);

/* Build the decision tree: each location id i gets decision[i] (i < n; n
 * must be >= geotree_nlocations(t); values <= GEOTREE_MAX_VALUE), equal
 * sibling leaves merged. t may be freed afterwards. Returns NULL with err
 * on a bad argument or out of memory. Caller owns: dtree_free(). */
struct dtree *dtree_build(const struct geotree *t, const uint32_t *decision, size_t n, char *err,
                          size_t errlen);

void dtree_free(struct dtree *d);

/* Decision for addr16; *scope (if not NULL) gets the shortest prefix
 * length, in the 128-bit space, over which the decision is constant. */
uint32_t dtree_lookup(const struct dtree *d, const uint8_t addr16[16], unsigned *scope);

/* Same for an IPv4 address (4 bytes): looked up as ::ffff:a.b.c.d, *scope
 * relative to the IPv4 space (0..32; 0 when the decision is constant over
 * all of IPv4 or more). */
uint32_t dtree_lookup_v4(const struct dtree *d, const uint8_t addr4[4], unsigned *scope);

/* Visit every leaf of d (decision values), as geotree_walk. */
int dtree_walk(const struct dtree *d, geotree_walk_fn fn, void *ctx);

/* Number of nodes in d (memory is 8 bytes each). */
uint32_t dtree_nodes(const struct dtree *d);

#endif
