/*
 * lookup.h: authoritative name resolution inside one zone, without any
 * wire output: which RRsets answer a question, and what kind of answer it
 * is (positive, NODATA, NXDOMAIN, referral).
 *
 * Semantics follow RFC 1034 4.3.2 with the wildcard rules of RFC 4592 and
 * match Knot DNS 3.2 where the RFCs leave room (see lookup.c). Results
 * point into the zone and into the caller's qname; nothing is allocated.
 */
#ifndef STEERDNS_LOOKUP_H
#define STEERDNS_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zone.h"

/* CNAME links followed before we stop (loops are caught earlier). */
#define LOOKUP_MAX_CHAIN 16
/* Answer RRsets kept: the chain plus the RRsets of an ANY answer. */
#define LOOKUP_MAX_AN 64

enum lookup_kind {
	LK_FOUND,     /* the name exists (possibly synthesized from a wildcard) */
	LK_NXDOMAIN,  /* the name does not exist and no wildcard covers it */
	LK_DELEG,     /* the name is at or below a zone cut */
};

/* One step: where a single name leads within a zone. */
struct lookup_node {
	enum lookup_kind kind;
	const struct znode *node;      /* LK_FOUND: the node answering (the wildcard node if synthesized) */
	const struct znode *encloser;  /* closest encloser (LK_NXDOMAIN or wildcard) */
	const struct znode *cut;       /* LK_DELEG: the delegation node */
	bool wildcard;                 /* node is "*.<encloser>" standing in for the name */
};

/*
 * Find name (any case) in z. Walks from below the apex down to the name:
 * the first node with ZN_DELEG makes it a referral, except a DS question at
 * the cut itself, which the parent answers (RFC 4035 3.1.4.1). If the name
 * is missing, the closest encloser (empty non-terminals count) and its
 * wildcard child decide (RFC 4592 3.3.1). name must be at or below the
 * zone origin.
 */
void lookup_node(const struct zone *z, const uint8_t *name, uint16_t qtype, struct lookup_node *out);

enum lookup_state {
	LS_HIT,       /* answer RRsets found (also: CNAME leading out of the zone or looping) */
	LS_NODATA,    /* name exists, no RRset of the type: SOA in authority */
	LS_NXDOMAIN,  /* RCODE 3, SOA in authority */
	LS_DELEG,     /* referral: NS of cut in authority */
};

struct lookup_rr {
	const uint8_t *owner;       /* name to write (query's case for the qname) */
	const struct rrset *rrset;  /* NULL for a steered answer, see steer */
	const void *steer;          /* the node's steer data when rrset is NULL:
	                             * the caller synthesizes A/AAAA (geodns/steer.h) */
	uint16_t steer_type;        /* RRT_A or RRT_AAAA */
};

struct lookup_result {
	enum lookup_state state;
	bool aa;                         /* authoritative: false only for a direct referral */
	struct lookup_rr an[LOOKUP_MAX_AN];  /* only the first n_an are set */
	unsigned n_an;
	const struct znode *cut;         /* LS_DELEG: its NS RRset goes to authority */
	const struct znode *last;        /* node of the last name looked at, or NULL */
};

/*
 * Answer (qname, qtype) from z: follows CNAMEs inside z (RFC 1034 4.3.2
 * step 3.a) until a name outside z, a loop, or LOOKUP_MAX_CHAIN links.
 * qname keeps the query's case and is used as the owner of the first
 * answer (also when synthesized from a wildcard); it must stay valid as
 * long as res is used. qname_lc is the same name lowercased (the query
 * parser has it), used for the lookups, and qlabels its label offsets
 * (NULL: computed here).
 */
void lookup_answer(const struct zone *z, const uint8_t *qname, const uint8_t *qname_lc,
                   const struct dname_labels *qlabels, uint16_t qtype,
                   struct lookup_result *res);

/*
 * The node whose A/AAAA records serve as additional data for a target name
 * (NS, MX, SRV rdata): the exact node, or the wildcard that would answer
 * for it. NULL if none, or the name is outside z. *mandatory is set when
 * it is glue a referral cannot do without: the node is at or below a zone
 * cut and the target is below the NS owner (ns_owner; NULL for non-NS).
 */
const struct znode *lookup_additional(const struct zone *z, const uint8_t *target,
                                      const uint8_t *ns_owner, bool *mandatory);

/* Is n at or below a zone cut of its zone, that is glue or other data the
 * zone is not authoritative for (and does not sign)? */
bool lookup_below_cut(const struct znode *n);

/*
 * Additional-section processing (RFC 1034 4.3.2 step 6, RFC 9460 4.1 for
 * SVCB/HTTPS, as Knot): the types whose rdata names a target are NS, MX,
 * SRV, SVCB and HTTPS. lookup_additional_types writes which RRsets of a
 * target node go to the additional section (A, AAAA, and for SVCB/HTTPS
 * the target's own RRset of that type) and returns how many, 0 for a type
 * without targets. lookup_additional_target is the target in one rdata, or
 * NULL when the rdata holds no well-formed name there.
 */
static inline unsigned lookup_additional_types(uint16_t type, uint16_t out[3])
{
	/* Inline: the answer path asks this of every RRset it writes, and
	 * most have no targets: decide that first. */
	unsigned n;
	switch (type) {
	case RRT_NS:
	case RRT_MX:
	case RRT_SRV:
		n = 2;
		break;
	case RRT_SVCB:
	case RRT_HTTPS:
		n = 3;
		out[2] = type;
		break;
	default:
		return 0;
	}
	out[0] = RRT_A;
	out[1] = RRT_AAAA;
	return n;
}

const uint8_t *lookup_additional_target(uint16_t type, const struct rdata *rd);

#endif
