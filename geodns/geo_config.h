/*
 * geo_config.h: GeoDNS configuration as loaded from YAML (sections
 * `geoip`, `pops`, `policy`, `ecs`) and the per-name `steer:` settings of
 * zone records. Data only: the compiled lookup structures built from it are
 * in geodns/geo_compile.h. Everything is allocated in the owning config's
 * arena and immutable after loading.
 */
#ifndef STEERDNS_GEO_CONFIG_H
#define STEERDNS_GEO_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/check_conf.h"
#include "common/steer_rec.h"
#include "geodns/geodb.h"

/* How to read location fields out of a DB record: struct geodb_fields in
 * geodns/geodb.h, whose presets geodb_preset_maxmind / geodb_preset_flat
 * (and geodb_preset("name")) are the `schema: maxmind | flat` values. Do not
 * define a second copy of them; an explicit schema mapping fills a
 * geodb_fields with arena strings. */

struct pop {
	const char *name;
	unsigned index;           /* position in geo_config.pops */
	double lat, lon;
	struct in_addr *v4;       /* unicast addresses answered for A */
	size_t n_v4;
	struct in6_addr *v6;      /* ... and for AAAA */
	size_t n_v6;
	struct check_conf *check; /* NULL: always up */
	/* server.identity (NSID) of the steerdns at this PoP, for mapping an
	 * NSID back to the PoP (`identity:`; default: the PoP name). */
	const char *identity;
};

enum geo_match { GM_CONTINENT = 1, GM_COUNTRY, GM_SUBDIVISION, GM_ASN, GM_CIDR };

struct geo_cidr {
	uint8_t addr[16];         /* IPv4 as ::ffff:a.b.c.d */
	uint8_t len;              /* prefix length in that 128-bit space */
};

/* One policy rule: if the client matches any of the values (of one kind),
 * its PoP list is `pops` in this order. Rules are tried in file order. */
struct geo_rule {
	enum geo_match kind;
	const char **codes;       /* continent / country / "CC-SUB" subdivision codes, uppercase */
	uint32_t *asns;
	struct geo_cidr *cidrs;
	size_t n_values;
	unsigned *pops;           /* indexes into geo_config.pops */
	size_t n_pops;
	unsigned line;            /* position in the config, for `lookup` output */
};

struct ecs_scope_clamp {
	uint8_t min, max;         /* defaults v4 0..32, v6 0..128 */
};

struct geo_config {
	const char **databases;   /* .mmdb paths, resolved against the config dir */
	size_t n_databases;
	struct geodb_fields schema;   /* see geodb.h; preset or explicit paths */
	const char *asn_database; /* GeoLite2-ASN schema; NULL if none */
	/* Where the compiled trees are cached (geo_cache.h): `cache_dir`,
	 * resolved against the config dir; NULL: no cache ("" in YAML). */
	const char *cache_dir;

	struct pop *pops;
	size_t n_pops;

	struct geo_rule *rules;
	size_t n_rules;
	unsigned *fallback;       /* PoP list for clients that cannot be located */
	size_t n_fallback;        /* default: every PoP in config order */

	/* ECS (RFC 7871): trust from everyone, or only from these resolvers. */
	bool ecs_trust_all;       /* default true */
	struct geo_cidr *ecs_trusted;
	size_t n_ecs_trusted;
	struct ecs_scope_clamp scope4, scope6;
};

#endif
