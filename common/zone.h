/*
 * zone.h: one authoritative zone in memory, and the set of zones served.
 *
 * A zone is a hash table of nodes keyed by lowercase owner name. Every
 * ancestor of an owner down from the apex exists as a node (empty
 * non-terminals included), so "does this name exist" is one lookup.
 * Everything is allocated in the zone's arena; a finished zone is immutable
 * and read by all workers without locks.
 */
#ifndef STEERDNS_ZONE_H
#define STEERDNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/dname.h"

enum rr_type {
	RRT_A = 1, RRT_NS = 2, RRT_CNAME = 5, RRT_SOA = 6, RRT_PTR = 12,
	RRT_MX = 15, RRT_TXT = 16, RRT_AAAA = 28, RRT_SRV = 33, RRT_OPT = 41,
	RRT_DS = 43, RRT_RRSIG = 46, RRT_NSEC = 47, RRT_DNSKEY = 48, RRT_CDS = 59,
	RRT_CDNSKEY = 60, RRT_SVCB = 64, RRT_HTTPS = 65,
	RRT_IXFR = 251, RRT_AXFR = 252, RRT_ANY = 255, RRT_CAA = 257,
};

struct rdata {
	uint16_t len;
	const uint8_t *data;   /* uncompressed wire form, names lowercased */
};

struct rrset {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;          /* one TTL per RRset (RFC 2181 5.2) */
	struct rdata *rr;      /* count entries */
	struct rrset *next;    /* next RRset at the same node */
};

enum znode_flags {
	ZN_APEX = 1,           /* the zone's origin */
	ZN_DELEG = 2,          /* has NS and is not the apex: a zone cut */
	ZN_WILDCARD = 4,       /* owner's first label is '*' */
	ZN_HAS_WILDCARD = 8,   /* a child "*.<this>" exists */
};

struct znode {
	const uint8_t *name;   /* lowercase wire form, in the arena */
	uint32_t hash;
	uint16_t flags;
	uint8_t namelen;
	struct rrset *rrsets;  /* NULL for an empty non-terminal */
	struct znode *parent;  /* NULL at the apex */
	struct znode *hnext;   /* hash chain */
	void *steer;           /* steered-name data (geodns/anycast), NULL if static */
};

struct dnssec_zone;

struct zone {
	const uint8_t *origin; /* lowercase wire form */
	uint8_t origin_len;    /* its wire length */
	uint8_t origin_labels; /* its label count (root not counted) */
	const char *file;      /* the file it came from, for messages */
	struct znode *apex;
	const struct rrset *soa;
	uint32_t neg_ttl;      /* min(SOA TTL, SOA MINIMUM), RFC 2308 */
	struct znode **table;
	uint32_t table_mask;
	size_t nodes;
	struct dnssec_zone *dnssec;  /* signing key (dnssec_zone.h), NULL: unsigned */
	struct arena arena;
};

/* --- building (one thread, before the zone is published) --- */

/* A new empty zone; origin is copied. file is borrowed for messages only
 * and copied into the arena. */
struct zone *zone_new(const uint8_t *origin, const char *file);

/*
 * Add one record. owner must be at or below the origin; rdata is copied
 * (uncompressed wire form). Records of one RRset must share a TTL: a
 * mismatching TTL is an error, as are CNAME beside other data, a second
 * SOA or CNAME, and exact duplicates are silently merged (RFC 2181 5).
 * On error returns -1 and writes a message (no position) into err.
 */
int zone_add_rr(struct zone *z, const uint8_t *owner, uint16_t type, uint32_t ttl,
                const uint8_t *rdata, uint16_t rdlen, char *err, size_t errlen);

/* Attach steered-name data to an owner (creating the node). */
int zone_set_steer(struct zone *z, const uint8_t *owner, void *steer, char *err, size_t errlen);

/* Validate and freeze: SOA and NS at the apex, flags (delegations,
 * wildcards), negative TTL. Returns -1 with a message on error. */
int zone_finish(struct zone *z, char *err, size_t errlen);

void zone_free(struct zone *z);

/* --- reading (any thread) --- */

/* Exact lookup of a name (any case); NULL if absent. */
const struct znode *zone_find(const struct zone *z, const uint8_t *name);

/* The same for a lowercase name of len bytes whose dname_hash is hash:
 * the answer path computes hashes label by label (dname_hash_label). */
const struct znode *zone_find_lc(const struct zone *z, const uint8_t *name, size_t len,
                                 uint32_t hash);

/* The RRset of a type at a node, or NULL. */
const struct rrset *znode_rrset(const struct znode *n, uint16_t type);

struct zoneset {
	struct zone **zones;
	size_t count;
};

/* The zone whose origin is the longest suffix of name (lowercase), or NULL. */
const struct zone *zoneset_find(const struct zoneset *zs, const uint8_t *name);
/* The same for a name whose labels are already known (dname.h). */
const struct zone *zoneset_find_labels(const struct zoneset *zs, const uint8_t *name,
                                       const struct dname_labels *l);

/* Frees every zone and the array. */
void zoneset_free(struct zoneset *zs);

#endif
