/*
 * zone_entry.h: one entry of the main config's `zones:` list.
 *
 *   - zones/example.test.yaml              # a YAML zone
 *   - zones/example.com.zone               # an RFC 1035 master file; origin from the name
 *   - { file: db.example, format: rfc1035, origin: example.com. }
 *   - { file: geo.yaml, dnssec: { key_dir: keys/geo, algorithm: ed25519 } }
 *
 * Relative paths are relative to the config file's directory (dir, which
 * ends in '/' or is empty).
 */
#ifndef STEERDNS_ZONE_ENTRY_H
#define STEERDNS_ZONE_ENTRY_H

#include <stddef.h>

#include "common/config.h"
#include "common/yaml_doc.h"
#include "common/zone.h"

/* Load the zone an entry names. Returns 0 with *out set (owned by the
 * caller), or -1 with "file:line:col: message" (the entry's position for a
 * file that cannot be opened, the zone file's own position otherwise). */
int zone_entry_load(struct ydoc *d, yaml_node_t *item, const char *dir,
                    const struct zone_steer_caps *caps, struct zone **out, char *err,
                    size_t errlen);

#endif
