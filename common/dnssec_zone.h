/*
 * dnssec_zone.h: a zone's DNSSEC signing key (one CSK) and what it puts in
 * the zone: DNSKEY, CDS and CDNSKEY at the apex (RFC 4034 2, RFC 7344).
 *
 * The key lives in key_dir as a PKCS #8 PEM file (libdnssec's pkcs8 key
 * store, file name = key ID + ".pem"). At config load: when key_dir holds
 * no key one is generated, else the one there is used; more than one is an
 * error (a rollover is done by hand, see README "DNSSEC"). All file access
 * happens here, at load; the answer path only signs (dnssec_sign.h).
 */
#ifndef STEERDNS_DNSSEC_ZONE_H
#define STEERDNS_DNSSEC_ZONE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zone.h"

/* DNSKEY flags of a CSK: Zone Key + Secure Entry Point (RFC 4034 2.1.1). */
#define DNSSEC_CSK_FLAGS 257

struct dnssec_key;

struct dnssec_zone {
	struct dnssec_key *key;   /* libdnssec key with its private part */
	uint8_t algorithm;        /* 13 ECDSAP256SHA256 or 15 ED25519 */
	uint16_t keytag;
	uint64_t id;              /* unique per loaded zone: signature cache key */
	const uint8_t *signer;    /* the zone origin (lowercase wire) */
	uint8_t signer_len;
	/* Held around signing with key (a signature cache miss only): the
	 * crypto library's key object is not documented as safe to use from
	 * several threads at once. */
	pthread_mutex_t sign_lock;
};

/* Algorithm number for a configured name ("ecdsap256sha256", "ed25519",
 * also "13"/"15"), or -1. */
int dnssec_algorithm_from_name(const char *name);

/*
 * Load (or create, when key_dir has none) the zone's key, add DNSKEY, CDS
 * (SHA-256) and CDNSKEY at the apex with the SOA's TTL, and hang the
 * signing state on z->dnssec. key_dir is created if missing. Returns 0, or
 * -1 with a message (no position) in err.
 */
int dnssec_zone_setup(struct zone *z, const char *key_dir, uint8_t algorithm, char *err,
                      size_t errlen);

void dnssec_zone_free(struct dnssec_zone *dz);

/* DS rdata for the zone's key with a digest type (2 SHA-256, 4 SHA-384)
 * into out; returns its length or -1. */
int dnssec_zone_ds(const struct dnssec_zone *dz, uint8_t digest, uint8_t *out, size_t cap);

#endif
