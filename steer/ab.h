/*
 * ab.h: the A/B split between GeoDNS and anycast answers (issue 5).
 *
 * The `ab` steering method composes two others through the steering
 * interface (common/steer_method.h) and knows neither: the client is
 * located by the GeoDNS slot's method, then answered by the GeoDNS or the
 * anycast slot's method, and the scope raised to the split's granularity.
 *
 * A client is put into an arm by a stable hash of its subnet: the ECS
 * subnet when the locating method used it, else the resolver's address, in both
 * cases truncated to /24 (IPv4) or /56 (IPv6). The hash is FNV-1a 64 over
 * a family byte and the truncated address bytes, finished with the
 * MurmurHash3 fmix64 mixer (FNV-1a alone leaves the low bits of short
 * inputs poorly mixed, and we take them modulo 10000). It has no key and no
 * seed, so the same subnet gets the same arm on every PoP, in every
 * process, after every restart. Pure functions: safe on the answer path.
 */
#ifndef STEERDNS_AB_H
#define STEERDNS_AB_H

#include <stdint.h>

#include "common/config_compare.h"
#include "common/steer_method.h"
#include "common/steer_module.h"

/* The granularity of the split: all clients of one /24 or /56 share an arm. */
#define AB_PREFIX_V4 24
#define AB_PREFIX_V6 56
/* The arm is anycast when hash % AB_BUCKETS < anycast share in basis points
 * (struct ab_conf, common/config_compare.h). */
#define AB_BUCKETS 10000u

enum ab_arm { AB_ARM_GEODNS = 0, AB_ARM_ANYCAST = 1 };

/* The stable hash of c's /24 or /56 (see above). Two addresses in one
 * /24 (/56) hash the same; an IPv4 client hashes the same whether it came
 * as an IPv4 ECS option, a v4-mapped IPv6 one, or a resolver address. */
uint64_t ab_subnet_hash(const struct steer_client *c);

/* The arm of client c when anycast gets anycast_bp / 100 percent. */
enum ab_arm ab_arm_of(const struct steer_client *c, uint32_t anycast_bp);

/*
 * ECS scope of an A/B answer for c: never shorter than the split's
 * granularity, so a resolver never caches one arm's answer for clients of
 * the other. GeoDNS arm: max(geo_scope, 24 or 56); anycast arm: 24 or 56.
 * geo_scope and the result are in the ECS option's family, so for a
 * v4-mapped address in an IPv6 option the floor is 96 + 24. The ecs.scope
 * max clamp of the GeoDNS config is deliberately not applied on top: it
 * would let one cached answer span both arms.
 */
uint8_t ab_scope(const struct steer_client *c, enum ab_arm arm, uint8_t geo_scope);

/* The `ab:` section and the `ab` method (slot STEER_MODE_AB). */
extern const struct steer_module ab_module;
extern const struct steer_method_ops ab_method;

#endif
