/*
 * geo_config_yaml.h: the GeoDNS sections of the main config file
 * (`geoip`, `pops`, `policy`, `ecs`), YAML -> struct geo_config
 * (geodns/geo_config.h). A zone name's `steer:` is common/steer_rec_yaml.h.
 *
 * Errors follow common/yaml_doc.h exactly ("file:line:col: message", unknown
 * and duplicate keys at the key, bad values at the value, missing keys at
 * the enclosing mapping). The .mmdb files are only stat'ed here, so
 * `checkconf` reports a wrong path; opening and compiling them is the
 * compile step's job (geodns/geo_compile.h).
 */
#ifndef STEERDNS_GEO_CONFIG_YAML_H
#define STEERDNS_GEO_CONFIG_YAML_H

#include <stddef.h>

#include "common/arena.h"
#include "common/yaml_doc.h"
#include "geodns/geo_config.h"

/* The values of the four top-level sections, as found by config.c's walk
 * of the top-level mapping (each NULL when absent). Sections reference
 * each other (rules name PoPs), so they are parsed together after the walk
 * rather than one by one in file order. */
struct geo_yaml_sections {
	yaml_node_t *geoip, *pops, *policy, *ecs;
};

/*
 * Parse the GeoDNS sections. Everything is allocated in arena a (the
 * config's), relative paths are resolved against dir (the config file's
 * directory with a trailing '/', or ""). On success returns 0 and sets
 * *out, or leaves *out NULL when no section is present. On error returns
 * -1 with the message in err.
 */
int geo_config_from_yaml(struct ydoc *d, const struct geo_yaml_sections *s, struct arena *a,
                         const char *dir, struct geo_config **out, char *err, size_t errlen);

/* geo_cidr_parse() results besides 0. */
#define GEO_CIDR_ESYNTAX (-1) /* not "addr", "addr/len" */
#define GEO_CIDR_ELEN (-2)    /* prefix longer than the family allows */

/*
 * "192.0.2.0/24", "2001:db8::/32", or a bare address (a host route). IPv4
 * is stored as ::ffff:a.b.c.d with len + 96; host bits beyond the prefix
 * are cleared (gdnsd does the same) rather than rejected. Also used for
 * `steerdns lookup ADDR[/LEN]`.
 */
int geo_cidr_parse(const char *text, struct geo_cidr *out);

#endif
