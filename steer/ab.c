/* ab.c: the A/B split (the hash and the scope); see ab.h. */
#include "steer/ab.h"

#include <string.h>

#include "common/hash_mix.h"

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
	uint64_t h = FNV64_OFFSET;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

uint64_t ab_subnet_hash(const struct steer_client *c)
{
	/* Family byte, then the /24 (3 bytes) or /56 (7 bytes): the family
	 * byte keeps 1.2.3.0/24 apart from 0102:03xx::/56. */
	uint8_t key[8];
	size_t n;
	if (c->is_v4) {
		key[0] = 4;
		memcpy(key + 1, c->addr + 12, AB_PREFIX_V4 / 8);
		n = 1 + AB_PREFIX_V4 / 8;
	} else {
		key[0] = 6;
		memcpy(key + 1, c->addr, AB_PREFIX_V6 / 8);
		n = 1 + AB_PREFIX_V6 / 8;
	}
	return hash_fmix64(fnv1a64(key, n));
}

enum ab_arm ab_arm_of(const struct steer_client *c, uint32_t anycast_bp)
{
	return ab_subnet_hash(c) % AB_BUCKETS < anycast_bp ? AB_ARM_ANYCAST : AB_ARM_GEODNS;
}

uint8_t ab_scope(const struct steer_client *c, enum ab_arm arm, uint8_t geo_scope)
{
	unsigned floor = c->is_v4 ? AB_PREFIX_V4 : AB_PREFIX_V6;
	/* RFC 7871 6: the scope counts in the option's family; a v4-mapped
	 * address in a family-2 option is a /120 there, not a /24. */
	if (c->is_v4 && c->ecs_v6)
		floor += 96;
	if (arm == AB_ARM_ANYCAST)
		return (uint8_t)floor;
	return geo_scope > floor ? geo_scope : (uint8_t)floor;
}
