/*
 * dnssec_sign.h: online signing on the answer path (RFC 4034, RFC 4035).
 *
 * Every RRset an answer carries, steered answers included, is signed as it
 * is sent: RRSIG over the canonical form (RFC 4034 6) of exactly the
 * records written. Signatures are cached per worker thread, keyed by the
 * zone's key and the canonical RRset (owner, type, TTL, sorted rdata), so
 * a busy name, or a PoP's address handed to many clients, is signed once
 * per refresh period (a week; signatures are valid two weeks), not per
 * query. No locks, no I/O: the cache is the calling thread's own.
 *
 * Denial of existence is compact (RFC 9824): one NSEC at the asked name
 * whose next name is "\000.<name>", so it covers nothing else; its bitmap
 * lists the types the name has, or only NXNAME (plus RRSIG, NSEC) when the
 * name does not exist.
 */
#ifndef STEERDNS_DNSSEC_SIGN_H
#define STEERDNS_DNSSEC_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dnssec_zone.h"
#include "common/zone.h"

/* RFC 9824 NXNAME meta type: in an NSEC bitmap, "this name does not exist". */
#define RRT_NXNAME 128

/* How long a signature is valid and how long it is reused: a cached one
 * is replaced once less than DNSSEC_SIG_VALIDITY - DNSSEC_SIG_REFRESH is
 * left. Inception is set an hour back for clocks that lag. */
#define DNSSEC_SIG_VALIDITY (14u * 86400u)
#define DNSSEC_SIG_REFRESH (7u * 86400u)
#define DNSSEC_SIG_BACKDATE 3600u

/*
 * The RRSIG rdata over rr[0..count) of type at owner (wire, any case) with
 * original TTL ttl, by dz's key, at time now (seconds since the epoch).
 * On success *sig points into the thread's cache, valid until this thread
 * signs again. Returns 0, or -1 (out of memory, signing failed).
 */
int dnssec_sign_rrset(const struct dnssec_zone *dz, const uint8_t *owner, uint16_t type,
                      uint32_t ttl, const struct rdata *rr, uint16_t count, uint32_t now,
                      struct rdata *sig);

/*
 * The compact-denial NSEC rdata (RFC 9824) for owner (lowercase wire) into
 * out (cap bytes): next name "\000.<owner>", bitmap RRSIG NSEC plus, when
 * n is NULL (the name does not exist), NXNAME; else the types of node n
 * (A and AAAA too when it is steered) without qtype, the type the answer
 * says is absent. Returns the length, or -1 (also for an owner of more than
 * 253 bytes, which leaves no room for the next name).
 */
int dnssec_nsec_compact(const uint8_t *owner, const struct znode *n, uint16_t qtype,
                        uint8_t *out, size_t cap);

/* Canonical form of rdata (RFC 4034 6.2, with RFC 6840 5.1): names in the
 * rdata of the types listed there lowercased, in place. */
void dnssec_rdata_canonical(uint16_t type, uint8_t *rd, size_t len);

#endif
