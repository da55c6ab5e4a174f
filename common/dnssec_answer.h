/*
 * dnssec_answer.h: what a DO query to a signed zone adds to an answer
 * (RFC 4035 3.1): the RRSIG of every RRset in the answer and authority
 * sections, the compact-denial NSEC (RFC 9824) of a negative answer, and
 * the DS or its absence proof in a referral; authoritative additional
 * data with its RRSIG when there is room (RFC 4035 3.1.1).
 *
 * Every function writes whole or not at all and returns -1 when it did not
 * fit, so the caller can set TC.
 */
#ifndef STEERDNS_DNSSEC_ANSWER_H
#define STEERDNS_DNSSEC_ANSWER_H

#include <stdint.h>

#include "common/dnssec_zone.h"
#include "common/msg_build.h"
#include "common/zone.h"

/*
 * After an RRset was written (owner in the query's case or the zone's, TTL
 * ttl as sent): its RRSIG by dz, over the original TTL orig_ttl (RFC 4034
 * 3.1.4), in the same section. Returns 0, or -1 when it does not fit (the
 * caller sets TC: an RRset without its signature is of no use to a
 * validator). The answer path calls this only for a DO query to a signed
 * zone, so unsigned answers cost nothing more.
 */
int dnssec_put_rrsig(struct msg *m, const struct dnssec_zone *dz, enum msg_section sec,
                     const uint8_t *owner, uint16_t type, uint32_t ttl, uint32_t orig_ttl,
                     const struct rdata *rr, uint16_t count);

/*
 * Negative answer for name (wire, any case) in z: the SOA with its RRSIG and
 * the compact-denial NSEC at name with its RRSIG in the authority section.
 * node is the name's node for NODATA (its types make the NSEC bitmap), NULL
 * for a name that does not exist (NXNAME). The NSEC's TTL is the negative
 * TTL (RFC 9824 3). Returns 0 or -1.
 */
int dnssec_put_denial(struct msg *m, const struct zone *z, const uint8_t *name,
                      const struct znode *node, uint16_t qtype);

/*
 * After a referral's NS: the DS RRset of the cut with its RRSIG, or, when
 * the cut has no DS, the NSEC at the cut (types NS RRSIG NSEC) that proves
 * it, signed (RFC 4035 3.1.4). Returns 0 or -1.
 */
int dnssec_put_referral(struct msg *m, const struct zone *z, const struct znode *cut);

#endif
