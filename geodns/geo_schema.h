/*
 * geo_schema.h: the schema rows of the GeoDNS sections of the main config
 * (`geoip`, `pops`, `policy`, `ecs`; common/conf_schema.h): every key with
 * its kind, range, default and description, declared once here. The
 * loader (geo_config_yaml.c) walks these tables and takes its defaults
 * from them; `checkconf --print` and the README reference print them.
 */
#ifndef STEERDNS_GEO_SCHEMA_H
#define STEERDNS_GEO_SCHEMA_H

#include <stdbool.h>

#include "common/yaml_doc.h"

/* The top-level rows: geoip, pops, policy, ecs. */
extern const struct ydoc_key geo_section_rows[4];

extern const struct ydoc_table geo_geoip_table, geo_fields_table, geo_pop_table,
	geo_policy_table, geo_rule_table, geo_match_table, geo_ecs_table, geo_scope_table,
	geo_clamp4_table, geo_clamp6_table;

/*
 * PoP names that would be ambiguous, refused whatever their case: the
 * steering methods (geodns, anycast, ab: `mode:` values and the decision
 * log's method field, next to PoP names in `compare`'s reports), and the
 * keywords that stand where a PoP list or a single value goes (all, none,
 * self, default, auto). NULL-terminated.
 */
extern const char *const geo_reserved_pop_names[];

/* Is name (a PoP name) one of geo_reserved_pop_names, ignoring case? */
bool geo_pop_name_reserved(const char *name);

#endif
