/*
 * geo_schema.c: the keys of the GeoDNS sections; see geo_schema.h.
 */
#include "geodns/geo_schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/check_conf_yaml.h"
#include "common/conf_schema.h"

#define N(a) YDOC_NKEYS(a)

/* --- geoip --- */

static const struct ydoc_key fields_keys[] = {
	{ .key = "latitude", .kind = YK_STR, .doc = "path of the latitude, e.g. location/latitude" },
	{ .key = "longitude", .kind = YK_STR, .doc = "path of the longitude" },
	{ .key = "country", .kind = YK_STR, .doc = "path of the ISO 3166-1 country code" },
	{ .key = "continent", .kind = YK_STR, .doc = "path of the continent code" },
	{ .key = "subdivision", .kind = YK_STR,
	  .doc = "path of the subdivision code, e.g. subdivisions/0/iso_code" },
};
const struct ydoc_table geo_fields_table = YDOC_TABLE("schema", fields_keys);

static const struct ydoc_key geoip_keys[] = {
	{ .key = "databases", .kind = YK_ANY, .required = true, .flags = YF_PATH,
	  .type = "path or list of paths",
	  .doc = ".mmdb files; where several cover an address the first with a record wins" },
	{ .key = "schema", .kind = YK_ANY, .def = "maxmind", .sub = &geo_fields_table,
	  .type = "maxmind | flat | mapping of field paths",
	  .doc = "where the DB records keep the location: a preset or '/'-separated paths" },
	{ .key = "asn_database", .kind = YK_STR, .flags = YF_PATH,
	  .doc = "a GeoLite2-ASN-schema DB, for asn rules; absent: none" },
};
const struct ydoc_table geo_geoip_table = YDOC_TABLE("geoip", geoip_keys);

/* --- pops --- */

/* A PoP's identity defaults to its name (the entry's key). */
static bool def_pop_identity(const struct ydoc_penv *e, char *buf, size_t len)
{
	const char *name = e->depth ? e->names[e->depth - 1] : NULL;
	if (!name)
		return false;
	snprintf(buf, len, "%s", name);
	return true;
}

static const struct ydoc_key pop_keys[] = {
	{ .key = "location", .kind = YK_ANY, .required = true, .type = "[latitude, longitude]",
	  .doc = "where the PoP is, in degrees" },
	{ .key = "ipv4", .kind = YK_ANY, .type = "address or list",
	  .doc = "what the PoP answers for A" },
	{ .key = "ipv6", .kind = YK_ANY, .type = "address or list",
	  .doc = "what the PoP answers for AAAA (ipv4, ipv6 or both)" },
	{ .key = "check", .kind = YK_ANY, .type = "mapping", .sub = &check_paced_table,
	  .doc = "health check; absent: always up" },
	{ .key = "identity", .kind = YK_ANY, .type = "string", .def = "the PoP's name",
	  .defprint = def_pop_identity,
	  .doc = "server.identity (NSID) of the steerdns at this PoP, to map NSIDs to PoPs" },
};
const struct ydoc_table geo_pop_table = YDOC_TABLE("pop", pop_keys);

const char *const geo_reserved_pop_names[] = {
	"geodns", "anycast", "ab", "all", "none", "self", "default", "auto", NULL,
};

bool geo_pop_name_reserved(const char *name)
{
	for (size_t i = 0; geo_reserved_pop_names[i]; i++)
		if (strcasecmp(geo_reserved_pop_names[i], name) == 0)
			return true;
	return false;
}

/* --- policy --- */

static const struct ydoc_key match_keys[] = {
	{ .key = "continent", .kind = YK_ANY, .type = "code or list",
	  .doc = "AF, AN, AS, EU, NA, OC or SA" },
	{ .key = "country", .kind = YK_ANY, .type = "code or list", .doc = "ISO 3166-1 alpha-2" },
	{ .key = "subdivision", .kind = YK_ANY, .type = "code or list", .doc = "CC-SUB, e.g. US-CA" },
	{ .key = "asn", .kind = YK_ANY, .lo = 1, .hi = UINT32_MAX, .type = "number or list",
	  .doc = "AS numbers; needs geoip.asn_database" },
	{ .key = "cidr", .kind = YK_ANY, .type = "network or list",
	  .doc = "client (ECS or resolver) networks" },
};
const struct ydoc_table geo_match_table = YDOC_TABLE("match", match_keys);

static const struct ydoc_key rule_keys[] = {
	{ .key = "match", .kind = YK_MAP, .required = true, .sub = &geo_match_table,
	  .doc = "exactly one of continent, country, subdivision, asn or cidr" },
	{ .key = "pops", .kind = YK_ANY, .required = true, .type = "PoP name or list",
	  .doc = "the PoPs for the clients it matches, in order" },
};
const struct ydoc_table geo_rule_table = YDOC_TABLE("rule", rule_keys);

/* Every PoP in config order (the root's pops mapping). */
static bool def_fallback(const struct ydoc_penv *e, char *buf, size_t len)
{
	yaml_node_t *pops = ydoc_map_get(e->d, e->maps[0], "pops");
	if (!pops || pops->type != YAML_MAPPING_NODE)
		return false;
	size_t at = (size_t)snprintf(buf, len, "[");
	for (yaml_node_pair_t *p = pops->data.mapping.pairs.start; p < pops->data.mapping.pairs.top;
	     p++)
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%s",
			                       p == pops->data.mapping.pairs.start ? "" : ", ",
			                       ydoc_scalar(ydoc_node(e->d, p->key)));
	if (at + 1 >= len)
		return false;
	snprintf(buf + at, len - at, "]");
	return true;
}

static const struct ydoc_key policy_keys[] = {
	{ .key = "rules", .kind = YK_SEQ, .def = "[]", .flags = YF_ENTRIES, .sub = &geo_rule_table,
	  .doc = "tried in order; the first that matches gives the client's PoP list" },
	{ .key = "fallback", .kind = YK_ANY, .type = "PoP name or list",
	  .def = "every PoP in order", .defprint = def_fallback,
	  .doc = "for clients the DBs cannot place" },
};
const struct ydoc_table geo_policy_table = YDOC_TABLE("policy", policy_keys);

/* --- ecs --- */

static const struct ydoc_key clamp4_keys[] = {
	{ .key = "min", .kind = YK_UINT, .lo = 0, .hi = 32, .def = "0",
	  .doc = "shortest IPv4 scope returned" },
	{ .key = "max", .kind = YK_UINT, .lo = 0, .hi = 32, .def = "32",
	  .doc = "longest IPv4 scope returned" },
};
const struct ydoc_table geo_clamp4_table = YDOC_TABLE("ipv4", clamp4_keys);

static const struct ydoc_key clamp6_keys[] = {
	{ .key = "min", .kind = YK_UINT, .lo = 0, .hi = 128, .def = "0",
	  .doc = "shortest IPv6 scope returned" },
	{ .key = "max", .kind = YK_UINT, .lo = 0, .hi = 128, .def = "128",
	  .doc = "longest IPv6 scope returned" },
};
const struct ydoc_table geo_clamp6_table = YDOC_TABLE("ipv6", clamp6_keys);

static const struct ydoc_key scope_keys[] = {
	{ .key = "ipv4", .kind = YK_MAP, .sub = &geo_clamp4_table, .flags = YF_IMPLIED,
	  .doc = "clamp of IPv4 scopes" },
	{ .key = "ipv6", .kind = YK_MAP, .sub = &geo_clamp6_table, .flags = YF_IMPLIED,
	  .doc = "clamp of IPv6 scopes" },
};
const struct ydoc_table geo_scope_table = YDOC_TABLE("scope", scope_keys);

static const struct ydoc_key ecs_keys[] = {
	{ .key = "trust", .kind = YK_ANY, .def = "all", .type = "all or list of networks",
	  .doc = "resolvers whose ECS option (RFC 7871) we believe; an empty list: none" },
	{ .key = "scope", .kind = YK_MAP, .sub = &geo_scope_table, .flags = YF_IMPLIED,
	  .doc = "clamps the ECS scope we return, per family" },
};
const struct ydoc_table geo_ecs_table = YDOC_TABLE("ecs", ecs_keys);

/* --- the sections --- */

const struct ydoc_key geo_section_rows[4] = {
	{ .key = "geoip", .kind = YK_MAP, .sub = &geo_geoip_table,
	  .doc = "GeoIP databases: GeoDNS steering (needs pops)" },
	{ .key = "pops", .kind = YK_MAP, .sub = &geo_pop_table, .flags = YF_NAMED,
	  .doc = "the points of presence by name (letters, digits, - and _; not a reserved word)" },
	{ .key = "policy", .kind = YK_MAP, .sub = &geo_policy_table, .flags = YF_IMPLIED,
	  .with = "geoip", .doc = "which PoPs a client gets; without rules: all, nearest first" },
	{ .key = "ecs", .kind = YK_MAP, .sub = &geo_ecs_table, .flags = YF_IMPLIED, .with = "geoip",
	  .doc = "EDNS Client Subnet: whom to believe, which scopes to return" },
};
