/*
 * anycast_schema.h: the schema rows of the `anycast:` section
 * (common/conf_schema.h): every key with its kind, range, default and
 * description, declared once here; anycast_config_yaml.c walks these
 * tables and takes its defaults from them.
 */
#ifndef STEERDNS_ANYCAST_SCHEMA_H
#define STEERDNS_ANYCAST_SCHEMA_H

#include "common/yaml_doc.h"

extern const struct ydoc_key anycast_section_row;

extern const struct ydoc_table anycast_table, anycast_bgp_table, anycast_backoff_table,
	anycast_peer_table, anycast_health_table, anycast_self_table;

#endif
